/**
 * `usage.source: prometheus` against a REAL Prometheus (Debian's `prometheus`, installed by
 * scripts/setup-promtool.sh when missing) holding two days of cAdvisor and kube-state-metrics series backfilled
 * with `promtool tsdb create-blocks-from openmetrics`, and the in-repo Kubernetes API simulator over HTTP. The
 * faults (a Prometheus that is down, one that answers 503, one that never answers) are real servers too.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { stringify } from 'yaml';
import type { Workload } from '@opsagent/core/workload';
import { PrometheusClient } from '../../apps/opsagent/src/prometheus/prometheus.client';
import { PrometheusUsageReader } from '../../apps/opsagent/src/prometheus/prometheus-usage.reader';
import {
  backfill,
  cpuCounter,
  ensurePrometheus,
  startPrometheus,
  PROMETHEUS_SETUP_TIMEOUT_MS,
  type OmFamily,
  type OmRange,
  type PrometheusServer,
} from '../../bench/prometheus-server';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { ROOT, getJson, startAgent, tempDir, waitFor, waitForScan, type AgentProcess, type ScanJson } from './harness';

const BIN = path.join(ROOT, 'bin', 'opsagent');
const MI = 1024 * 1024;
const DAY = 86_400;
const WINDOW = '2d';

// Data: one sample a minute, from 47 h before `end` (inside the 2-day window for the next hour) to `end`.
const end = Math.floor(Date.now() / 60_000) * 60 - 60;
const range: OmRange = { start: end - 2 * DAY + 3600, end, step: 60 };
const mid = end - DAY; // the rollout of `web`: web-old-x1 ends, web-new-* start
const life = {
  whole: { from: range.start, to: range.end },
  beforeRollout: { from: range.start, to: mid },
  afterRollout: { from: mid + 60, to: range.end },
};
const inLife = (l: { from: number; to: number }) => (t: number) => t >= l.from && t <= l.to;
const samplesIn = (l: { from: number; to: number }) => Math.floor((l.to - l.from) / 60) + 1;

/** api: 0.2 cores, with a daily 30-minute burst to 0.8 (2.4 % of the time with the 5m rate: p95 stays 0.2). */
const apiCpu = (t: number) => (t % DAY < 1800 ? 0.8 : 0.2);
const apiMemory = (t: number) => (t % DAY < 1800 ? 700 * MI : 300 * MI);

interface PodData {
  namespace: string;
  pod: string;
  life: { from: number; to: number };
  cpu: (t: number) => number;
  memory: (t: number) => number;
  container?: string;
}

const PODS: PodData[] = [
  { namespace: 'shop', pod: 'web-old-x1', life: life.beforeRollout, cpu: () => 0.3, memory: () => 600 * MI },
  { namespace: 'shop', pod: 'web-new-y1', life: life.afterRollout, cpu: () => 0.1, memory: () => 200 * MI },
  { namespace: 'shop', pod: 'web-new-y2', life: life.afterRollout, cpu: () => 0.1, memory: () => 200 * MI },
  { namespace: 'shop', pod: 'api-1-z', life: life.whole, cpu: apiCpu, memory: apiMemory },
  { namespace: 'shop', pod: 'db-0', life: life.whole, cpu: () => 0.05, memory: () => 100 * MI },
  // Throttled in 30 % of its CFS periods (see CFS below) at a p95 of 100m: cpu-throttled, and no CPU cut.
  { namespace: 'shop', pod: 'worker-1-a', life: life.whole, cpu: () => 0.1, memory: () => 100 * MI },
  // The Pod-level cgroup series cAdvisor also exports: never a container's usage.
  {
    namespace: 'shop',
    pod: 'web-new-y1',
    container: '',
    life: life.afterRollout,
    cpu: () => 5,
    memory: () => 50_000 * MI,
  },
  {
    namespace: 'shop',
    pod: 'web-new-y1',
    container: 'POD',
    life: life.afterRollout,
    cpu: () => 5,
    memory: () => 50_000 * MI,
  },
  // No kube-state-metrics series in this namespace: attributed through the live Pods.
  { namespace: 'legacy', pod: 'batch-abc-1', life: life.whole, cpu: () => 0.25, memory: () => 256 * MI },
  { namespace: 'legacy', pod: 'batch-old-1', life: life.beforeRollout, cpu: () => 0.6, memory: () => 400 * MI },
];

/**
 * cAdvisor's CFS counters (periods per second) of the containers with a CPU limit: web is throttled in 1 % of its
 * periods (below the 10 % default), worker in 30 %.
 */
const CFS: { pod: string; life: { from: number; to: number }; periods: number; throttled: number }[] = [
  { pod: 'web-old-x1', life: life.beforeRollout, periods: 10, throttled: 0.1 },
  { pod: 'web-new-y1', life: life.afterRollout, periods: 10, throttled: 0.1 },
  { pod: 'web-new-y2', life: life.afterRollout, periods: 10, throttled: 0.1 },
  { pod: 'worker-1-a', life: life.whole, periods: 10, throttled: 3 },
];

const OWNERS = {
  pods: [
    ['shop', 'web-old-x1', 'ReplicaSet', 'web-old', life.beforeRollout],
    ['shop', 'web-new-y1', 'ReplicaSet', 'web-new', life.afterRollout],
    ['shop', 'web-new-y2', 'ReplicaSet', 'web-new', life.afterRollout],
    ['shop', 'api-1-z', 'ReplicaSet', 'api-1', life.whole],
    ['shop', 'db-0', 'StatefulSet', 'db', life.whole],
    ['shop', 'worker-1-a', 'ReplicaSet', 'worker-1', life.whole],
  ] as const,
  replicaSets: [
    ['shop', 'web-old', 'Deployment', 'web', life.beforeRollout],
    ['shop', 'web-new', 'Deployment', 'web', life.afterRollout],
    ['shop', 'api-1', 'Deployment', 'api', life.whole],
    ['shop', 'worker-1', 'Deployment', 'worker', life.whole],
  ] as const,
};

function families(): OmFamily[] {
  const base = (p: PodData) => ({
    namespace: p.namespace,
    pod: p.pod,
    container: p.container ?? 'app',
    id: `/kubepods/${p.pod}/${p.container ?? 'app'}`,
    image: 'example/app:1',
    job: 'kubelet',
    metrics_path: '/metrics/cadvisor',
  });
  return [
    {
      name: 'container_cpu_usage_seconds',
      type: 'counter',
      series: PODS.map((p) => ({ labels: { ...base(p), cpu: 'total' }, value: cpuCounter(range, p.cpu, p.life) })),
    },
    {
      name: 'container_memory_working_set_bytes',
      type: 'gauge',
      series: PODS.map((p) => ({
        labels: base(p),
        value: (t: number) => (inLife(p.life)(t) ? p.memory(t) : undefined),
      })),
    },
    ...(['periods', 'throttled'] as const).map((which): OmFamily => ({
      name: which === 'periods' ? 'container_cpu_cfs_periods' : 'container_cpu_cfs_throttled_periods',
      type: 'counter',
      series: CFS.map((c) => ({
        labels: base({ namespace: 'shop', pod: c.pod, life: c.life, cpu: () => 0, memory: () => 0 }),
        value: cpuCounter(range, () => c[which], c.life),
      })),
    })),
    {
      name: 'kube_pod_owner',
      type: 'gauge',
      series: OWNERS.pods.map(([namespace, pod, kind, name, l]) => ({
        labels: {
          namespace,
          pod,
          owner_kind: kind,
          owner_name: name,
          owner_is_controller: 'true',
          job: 'kube-state-metrics',
        },
        value: (t: number) => (inLife(l)(t) ? 1 : undefined),
      })),
    },
    {
      name: 'kube_replicaset_owner',
      type: 'gauge',
      series: OWNERS.replicaSets.map(([namespace, replicaset, kind, name, l]) => ({
        labels: { namespace, replicaset, owner_kind: kind, owner_name: name, owner_is_controller: 'true' },
        value: (t: number) => (inLife(l)(t) ? 1 : undefined),
      })),
    },
  ];
}

// ---- the cluster as it is now (after the rollout) ----
const container = (resources: Record<string, unknown>) => [{ name: 'app', image: 'example/app:1', resources }];
const owner = (kind: string, name: string, apiVersion = 'apps/v1') => [
  { apiVersion, kind, name, uid: `${kind}-${name}`, controller: true },
];
function deployment(namespace: string, name: string, resources: Record<string, unknown>, replicas = 1) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: container(resources) } },
    },
  };
}
function replicaSet(namespace: string, name: string, app: string) {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace, ownerReferences: owner('Deployment', app) },
    spec: { selector: { matchLabels: { app } }, template: { metadata: { labels: { app } }, spec: { containers: [] } } },
  };
}
function pod(namespace: string, name: string, app: string, ownedBy: [string, string]) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app }, ownerReferences: owner(...ownedBy) },
    spec: { containers: container({}) },
    status: { phase: 'Running' },
  };
}
const OBJECTS = [
  deployment('shop', 'web', { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '1', memory: '2Gi' } }, 2),
  replicaSet('shop', 'web-new', 'web'),
  pod('shop', 'web-new-y1', 'web', ['ReplicaSet', 'web-new']),
  pod('shop', 'web-new-y2', 'web', ['ReplicaSet', 'web-new']),
  deployment('shop', 'api', { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }),
  replicaSet('shop', 'api-1', 'api'),
  pod('shop', 'api-1-z', 'api', ['ReplicaSet', 'api-1']),
  {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'shop' },
    spec: {
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      // No limits: the missing-limit rules still report while Prometheus is down.
      template: {
        metadata: { labels: { app: 'db' } },
        spec: { containers: container({ requests: { cpu: '50m', memory: '128Mi' } }) },
      },
    },
  },
  pod('shop', 'db-0', 'db', ['StatefulSet', 'db']),
  deployment('shop', 'worker', { requests: { cpu: '1', memory: '128Mi' }, limits: { cpu: '1', memory: '128Mi' } }),
  replicaSet('shop', 'worker-1', 'worker'),
  pod('shop', 'worker-1-a', 'worker', ['ReplicaSet', 'worker-1']),
  deployment('legacy', 'batch', { requests: { cpu: '1', memory: '512Mi' }, limits: { cpu: '1', memory: '512Mi' } }),
  replicaSet('legacy', 'batch-abc', 'batch'),
  pod('legacy', 'batch-abc-1', 'batch', ['ReplicaSet', 'batch-abc']),
];

let sim: Simulator;
let prometheus: PrometheusServer;
let kubeconfig: string;
let dir: string;
let backfilled: number;

beforeAll(async () => {
  ensurePrometheus();
  dir = tempDir('opsagent-prometheus-');
  backfilled = (await backfill(dir, path.join(dir, 'tsdb'), families(), range)).samples;
  prometheus = await startPrometheus(dir);
  sim = await startSimulator({ objects: OBJECTS });
  kubeconfig = path.join(dir, 'kubeconfig');
  sim.writeKubeconfig(kubeconfig);
}, PROMETHEUS_SETUP_TIMEOUT_MS + 180_000);

afterAll(async () => {
  await prometheus?.close();
  await sim?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function configFile(name: string, config: Record<string, unknown>): string {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, stringify(config));
  return file;
}

function prometheusConfig(url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    overProvisioning: { window: WINDOW },
    usage: { source: 'prometheus', prometheus: { url, timeout: '20s' } },
    ...extra,
  };
}

interface Finding {
  rule: string;
  namespace: string;
  name: string;
  container: string;
  overProvisioning?: { samples: number; usage: number; request: number; recommended: number };
}
interface CliReport {
  issues: Finding[];
  summary: { prometheusQueries?: number; usageSamples: number; containersWithoutUsage: number };
  warnings: { code: string; message: string }[];
}

function runCli(config: Record<string, unknown>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const file = configFile(`cli-${Math.random().toString(36).slice(2)}`, config);
  return new Promise((resolve) => {
    const child = spawn(BIN, ['scan', '--output', 'json', '--config', file], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', KUBECONFIG: kubeconfig, TZ: 'UTC' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const find = (issues: Finding[], rule: string, namespace: string, name: string) =>
  issues.find((i) => i.rule === rule && i.namespace === namespace && i.name === name);

// Expected figures, from the data above.
const WEB_SAMPLES = samplesIn(life.beforeRollout) + 2 * samplesIn(life.afterRollout);

function workload(kind: string, namespace: string, name: string): Workload {
  return {
    kind,
    apiVersion: 'apps/v1',
    namespace,
    name,
    annotations: {},
    templateAnnotations: {},
    selector: { matchLabels: { app: name } },
    containers: [],
  };
}

describe('PrometheusUsageReader against a real Prometheus', () => {
  const workloads = [
    workload('Deployment', 'shop', 'web'),
    workload('Deployment', 'shop', 'api'),
    workload('StatefulSet', 'shop', 'db'),
    workload('Deployment', 'legacy', 'batch'),
    workload('Deployment', 'shop', 'worker'),
  ];
  const livePods = [{ namespace: 'legacy', name: 'batch-abc-1', labels: { app: 'batch' } }];
  const reader = (samplesPerBatch?: number) =>
    new PrometheusUsageReader(new PrometheusClient({ url: prometheus.url, timeoutMs: 20_000 }), {
      windowMs: 2 * DAY * 1000,
      rateRangeMs: 5 * 60_000,
      samplesPerBatch,
    });

  it('backfilled the data', () => {
    expect(backfilled).toBeGreaterThan(20_000);
  });

  it('reads p95 CPU, peak memory, samples and coverage per workload container, the rollout Pod included', async () => {
    const sut = await reader().read({ workloads, livePods, isNamespaceAudited: () => true });
    if (!sut.ok) throw new Error(sut.reason);
    const web = sut.usage.statsFor(workloads[0]);
    expect([...web.keys()]).toEqual(['app']); // the container="" and "POD" series are left out
    const app = web.get('app')!;
    expect(app.cpuP95).toBeCloseTo(300, 0); // web-old-x1, gone since the rollout: the busiest Pod
    expect(app.memoryMax).toBe(600 * MI);
    expect(app.samples).toBe(WEB_SAMPLES);
    // To within one subquery step (the 5m rate range): the first and last steps that see a sample.
    expect(app.firstSampleAt! - range.start * 1000).toBeGreaterThanOrEqual(0);
    expect(app.firstSampleAt! - range.start * 1000).toBeLessThanOrEqual(5 * 60_000);
    expect(Math.abs(app.lastSampleAt! - range.end * 1000)).toBeLessThanOrEqual(5 * 60_000);

    const api = sut.usage.statsFor(workloads[1]).get('app')!;
    expect(api.cpuP95).toBeCloseTo(200, 0); // the p95, not the 800m burst
    expect(api.memoryMax).toBe(700 * MI); // the peak, burst included
    expect(api.samples).toBe(samplesIn(life.whole));
    expect(api.cpuPeriods).toBeUndefined(); // no CFS series: no CPU limit as cAdvisor sees it

    // CFS periods summed over the Pods of the window (the rollout's too): 1 % of web's, 30 % of worker's.
    expect(app.cpuThrottledPeriods! / app.cpuPeriods!).toBeCloseTo(0.01, 3);
    expect(app.cpuPeriods).toBeGreaterThan(0.95 * 10 * (range.end - range.start));
    const worker = sut.usage.statsFor(workloads[4]).get('app')!;
    expect(worker.cpuThrottledPeriods! / worker.cpuPeriods!).toBeCloseTo(0.3, 3);

    expect(sut.usage.statsFor(workloads[2]).get('app')?.cpuP95).toBeCloseTo(50, 0);
    // legacy has no owner series: through the live Pod; batch-old-1 (gone) is not counted.
    const batch = sut.usage.statsFor(workloads[3]).get('app')!;
    expect(batch.cpuP95).toBeCloseTo(250, 0);
    expect(batch.samples).toBe(samplesIn(life.whole));
    expect(sut.usage.counts).toEqual({ pods: 8, byOwner: 6, byLivePod: 1, unattributed: 1 });
    expect(sut.queries).toBe(2); // owners, and one batch of both namespaces
  });

  it('asks nothing and warns of nothing when no audited namespace has a workload', async () => {
    const sut = await reader().read({ workloads, livePods, isNamespaceAudited: () => false });
    expect(sut).toMatchObject({ ok: true, queries: 0, warnings: [] });
  });

  it('splits the namespaces into batches when a query would read too many samples, with the same figures', async () => {
    const whole = await reader().read({ workloads, livePods, isNamespaceAudited: () => true });
    const split = await reader(1).read({ workloads, livePods, isNamespaceAudited: () => true });
    if (!whole.ok || !split.ok) throw new Error('read failed');
    expect(split.queries).toBe(3);
    for (const w of workloads) expect(split.usage.statsFor(w)).toEqual(whole.usage.statsFor(w));
  });
});

describe('opsagent scan (live) with usage.source: prometheus', () => {
  it('judges over-provisioning from the whole window at once, with no metrics-server', async () => {
    const before = sim.requests.length;
    const result = await runCli(prometheusConfig(prometheus.url));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as CliReport;

    const webCpu = find(report.issues, 'cpu-overprovisioned', 'shop', 'web')?.overProvisioning;
    expect(webCpu?.usage).toBeCloseTo(300, 0);
    expect(Math.abs((webCpu?.recommended ?? 0) - 300)).toBeLessThanOrEqual(3);
    expect(webCpu?.samples).toBe(WEB_SAMPLES);
    const webMemory = find(report.issues, 'memory-overprovisioned', 'shop', 'web')?.overProvisioning;
    expect(webMemory?.usage).toBe(600 * MI);
    expect(webMemory?.recommended).toBe(Math.ceil((600 * 1.15 * MI) / MI) * MI);

    expect(find(report.issues, 'cpu-overprovisioned', 'shop', 'api')?.overProvisioning?.recommended).toBe(200);
    expect(find(report.issues, 'memory-overprovisioned', 'shop', 'api')).toBeUndefined(); // 1Gi < 2 × 700Mi
    expect(find(report.issues, 'cpu-overprovisioned', 'shop', 'db')).toBeUndefined();
    // worker: 30 % of its CFS periods throttled. Its 100m p95 under a 1-core request would be a cut, but a
    // throttled container never gets one; web's 1 % is below underProvisioning.cpu.throttledRatio.
    const throttled = report.issues.filter((i) => i.rule === 'cpu-throttled');
    expect(throttled.map((i) => `${i.namespace}/${i.name}/${i.container}`)).toEqual(['shop/worker/app']);
    expect((throttled[0] as Finding & { message: string }).message).toMatch(
      /^container "app" was CPU-throttled in 30 % of its CFS periods over the window \(\d+ of \d+\) at a CPU limit of 1, p95 usage 100m/,
    );
    expect(find(report.issues, 'cpu-overprovisioned', 'shop', 'worker')).toBeUndefined();
    expect(find(report.issues, 'cpu-overprovisioned', 'legacy', 'batch')?.overProvisioning?.usage).toBeCloseTo(250, 0);

    expect(report.summary.prometheusQueries).toBe(2);
    expect(report.warnings).toEqual([]);
    const requests = sim.requests.slice(before);
    expect(requests.some((r) => r.path.includes('metrics.k8s.io'))).toBe(false);
  });

  it('warns when Prometheus has no kube_pod_owner series, and attributes through the live Pods', async () => {
    const result = await runCli(prometheusConfig(prometheus.url, { includeNamespaces: ['legacy'] }));
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as CliReport;
    expect(report.warnings).toEqual([
      expect.objectContaining({
        code: 'prometheus-no-owners',
        message: expect.stringMatching(/kube_pod_owner.*1 of 2 Pods/),
      }),
    ]);
    expect(find(report.issues, 'cpu-overprovisioned', 'legacy', 'batch')?.overProvisioning?.usage).toBeCloseTo(250, 0);
  });

  it('carries a warning naming the URL and the status when Prometheus answers 503, and still audits', async () => {
    const server = net.createServer((socket) =>
      socket.once('data', () =>
        socket.end(
          'HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 9\r\n\r\nshutting\n',
        ),
      ),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    try {
      const result = await runCli(prometheusConfig(url));
      expect(result.status).toBe(0);
      const report = JSON.parse(result.stdout) as CliReport;
      expect(report.warnings).toEqual([
        {
          code: 'prometheus-unavailable',
          message: expect.stringContaining(`Prometheus ${url}/api/v1/query: HTTP 503`),
        },
      ]);
      expect(report.issues.some((i) => i.rule.endsWith('-overprovisioned'))).toBe(false);
      expect(find(report.issues, 'cpu-limit-missing', 'shop', 'db')).toBeDefined();
    } finally {
      server.close();
    }
  });

  it('carries a timeout warning when Prometheus never answers', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => sockets.push(socket)); // accepts, reads, never answers
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    try {
      const result = await runCli({
        ...prometheusConfig(url),
        usage: { source: 'prometheus', prometheus: { url, timeout: '1s' } },
      });
      expect(result.status).toBe(0);
      const report = JSON.parse(result.stdout) as CliReport;
      expect(report.warnings).toEqual([
        {
          code: 'prometheus-unavailable',
          message: expect.stringContaining('no answer within 1000 ms (usage.prometheus.timeout)'),
        },
      ]);
      expect(find(report.issues, 'cpu-limit-missing', 'shop', 'db')).toBeDefined();
      expect(sockets.length).toBeGreaterThan(0);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});

describe('opsagent serve with usage.source: prometheus', () => {
  let agent: AgentProcess;

  afterAll(async () => {
    if (agent && agent.child.exitCode === null) {
      agent.child.kill('SIGTERM');
      await agent.exited;
    }
  });

  it('judges at its first scan, then keeps the over-provisioning issues with a warning when Prometheus is down', async () => {
    agent = await startAgent({
      kubeconfig,
      config: { schedule: '0 0 1 1 *', ...prometheusConfig(prometheus.url) },
    });
    const first = await waitFor(
      async () => {
        const { status, body } = await getJson<ScanJson>(`${agent.api}/api/v1/scans/latest`);
        return status === 200 ? body : undefined;
      },
      60_000,
      'the startup scan',
    );
    expect(first.status).toBe('succeeded');
    expect(first.warnings).toEqual([]);
    expect(first.counts.prometheusQueries).toBe(2);
    const overProvisioned = async () =>
      (await getJson<{ items: Finding[] }>(`${agent.api}/api/v1/issues?limit=1000`)).body.items.filter((i) =>
        i.rule.endsWith('-overprovisioned'),
      );
    const throttled = (await getJson<{ items: Finding[] }>(`${agent.api}/api/v1/issues?rule=cpu-throttled`)).body;
    expect(throttled.items.map((i) => `${i.rule} ${i.namespace}/${i.name}`)).toEqual(['cpu-throttled shop/worker']);
    const before = await overProvisioned();
    expect(before.map((i) => `${i.rule} ${i.namespace}/${i.name}`).sort()).toEqual([
      'cpu-overprovisioned legacy/batch',
      'cpu-overprovisioned shop/api',
      'cpu-overprovisioned shop/web',
      'memory-overprovisioned legacy/batch',
      'memory-overprovisioned shop/web',
    ]);
    expect(find(before, 'cpu-overprovisioned', 'shop', 'web')?.overProvisioning?.samples).toBe(WEB_SAMPLES);

    await prometheus.close();
    const posted = await getJson<{ id: string }>(`${agent.api}/api/v1/scans`, { method: 'POST' });
    expect(posted.status).toBe(202);
    const second = await waitForScan(agent.api, { id: posted.body.id });
    expect(second.status).toBe('succeeded');
    expect(second.warnings).toEqual([
      {
        code: 'prometheus-unavailable',
        message: expect.stringMatching(
          new RegExp(
            `^over-provisioning rules skipped this scan: Prometheus ${prometheus.url}/api/v1/query: unreachable: ECONNREFUSED`,
          ),
        ),
      },
    ]);
    expect(second.counts.carriedOver).toBe(6); // the five over-provisioning issues and cpu-throttled shop/worker
    expect((await overProvisioned()).map((i) => i.name).sort()).toEqual(before.map((i) => i.name).sort());
    expect(sim.requests.some((r) => r.path.includes('metrics.k8s.io'))).toBe(false);
  }, 120_000);
});
