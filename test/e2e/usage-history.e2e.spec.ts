import fs from 'node:fs';
import path from 'node:path';
import { UsageHistory } from '@opsagent/core/audit/usage-history';
import type { Workload } from '@opsagent/core/workload';
import { cpuQuantity, memoryQuantity, startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { getJson, startAgent, tempDir, waitFor, waitForScan, type AgentProcess, type ScanJson } from './harness';

/**
 * The real agent against the simulator with PodMetrics that change at every read: it samples PodMetrics alone
 * between scans (`usage.sampleInterval`), judges from the samples, and keeps its usage history and the issues'
 * first-seen times in `usage.historyFile` across a restart.
 */
const METRICS_PATH = '/apis/metrics.k8s.io/v1beta1/pods';
const MI = 2 ** 20;
const WINDOW_MS = 14 * 86_400_000;

const deployment: Workload = {
  kind: 'Deployment',
  apiVersion: 'apps/v1',
  namespace: 'shop',
  name: 'api',
  annotations: {},
  templateAnnotations: {},
  containers: [],
};

interface IssueJson {
  id: string;
  rule: string;
  kind: string;
  name: string;
  firstSeen: string;
  overProvisioning?: {
    samples: number;
    coverage?: { from: string; to: string };
    confidence?: string;
  };
}

function objects(): Record<string, unknown>[] {
  const container = {
    name: 'app',
    image: 'api:1',
    resources: { requests: { cpu: '2', memory: '4Gi' }, limits: { cpu: '2', memory: '4Gi' } },
  };
  const out: Record<string, unknown>[] = [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'shop' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'api' } },
        template: { metadata: { labels: { app: 'api' } }, spec: { containers: [container] } },
      },
    },
  ];
  for (const n of [0, 1]) {
    out.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `api-7d9f-${n}`,
        namespace: 'shop',
        labels: { app: 'api' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-7d9f', uid: 'u', controller: true }],
      },
      spec: { containers: [container] },
      status: { phase: 'Running' },
    });
  }
  return out;
}

const config = (historyFile: string) => ({
  schedule: '0 0 1 1 *', // never: the tests trigger scans
  runOnStartup: true,
  overProvisioning: { minSamples: 4 },
  usage: { sampleInterval: '1s', historyFile },
  kubernetes: { requestTimeout: '5s', retries: 1 },
});

function logLines(agent: AgentProcess): Record<string, unknown>[] {
  return agent
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function ready(agent: AgentProcess): Promise<ScanJson> {
  await waitFor(
    async () => ((await fetch(`${agent.api}/health/ready`)).status === 200 ? true : undefined),
    60_000,
    'ready',
  );
  return waitForScan(agent.api, {});
}

async function scanNow(agent: AgentProcess): Promise<ScanJson> {
  const { status, body } = await getJson<{ id: string }>(`${agent.api}/api/v1/scans`, { method: 'POST' });
  expect(status).toBe(202);
  return waitForScan(agent.api, { id: body.id });
}

async function issues(agent: AgentProcess): Promise<IssueJson[]> {
  return (await getJson<{ items: IssueJson[] }>(`${agent.api}/api/v1/issues?limit=1000`)).body.items;
}

async function stop(agent: AgentProcess): Promise<void> {
  if (agent.child.exitCode !== null) return;
  agent.child.kill('SIGTERM');
  await agent.exited;
}

let sim: Simulator;
let kubeconfig: string;
const agents: AgentProcess[] = [];

beforeAll(async () => {
  sim = await startSimulator({
    objects: objects(),
    // CPU varies per read; each read's timestamp is the simulator's clock, so every read is a new sample.
    metricsProvider: (_pod, poll) => [
      { name: 'app', usage: { cpu: cpuQuantity(40 + (poll % 7) * 5), memory: memoryQuantity(200 * MI) } },
    ],
  });
  kubeconfig = path.join(tempDir('opsagent-kube-'), 'config');
  sim.writeKubeconfig(kubeconfig);
});

afterAll(async () => {
  for (const a of agents) if (a.child.exitCode === null) a.child.kill('SIGKILL');
  await sim?.close();
});

async function start(cfg: Record<string, unknown>): Promise<AgentProcess> {
  const agent = await startAgent({ kubeconfig, config: cfg });
  agents.push(agent);
  return agent;
}

describe('usage sampling and the history file', () => {
  const dir = tempDir('opsagent-history-');
  const file = path.join(dir, 'usage-history');
  let agent: AgentProcess;
  let before: IssueJson[];

  it('samples PodMetrics alone between scans and judges over-provisioning from the samples', async () => {
    agent = await start(config(file));
    const first = await ready(agent);
    expect(first.status).toBe('succeeded');
    // The startup scan's own read is one sample: under minSamples (4).
    expect((await issues(agent)).filter((i) => i.rule.endsWith('overprovisioned'))).toEqual([]);
    sim.clearLog();
    await waitFor(
      async () => (sim.requests.filter((r) => r.path === METRICS_PATH).length >= 4 ? true : undefined),
      60_000,
      'four PodMetrics reads between scans',
    );
    // Between scans the agent read the PodMetrics list and nothing else.
    expect(new Set(sim.requests.map((r) => r.path))).toEqual(new Set([METRICS_PATH]));
    const scan = await scanNow(agent);
    expect(scan.status).toBe('succeeded');
    const found = (await issues(agent)).filter((i) => i.rule.endsWith('overprovisioned') && i.kind === 'Deployment');
    expect(found.map((i) => i.rule).sort()).toEqual(['cpu-overprovisioned', 'memory-overprovisioned']);
    for (const i of found) {
      expect(i.overProvisioning!.samples).toBeGreaterThanOrEqual(4);
      expect(i.overProvisioning!.confidence).toBe('low');
      expect(Date.parse(i.overProvisioning!.coverage!.to)).toBeGreaterThan(
        Date.parse(i.overProvisioning!.coverage!.from),
      );
    }
    const metrics = await (await fetch(`${agent.metrics}/metrics`)).text();
    const ok = /opsagent_usage_sample_reads_total\{result="ok"\} (\d+)/.exec(metrics);
    expect(Number(ok?.[1])).toBeGreaterThanOrEqual(4);
    // Written after every scan.
    expect(fs.existsSync(file)).toBe(true);
    expect(fs.existsSync(`${file}.issues`)).toBe(true);
  }, 120_000);

  it('saves at SIGTERM; after a restart the history is back and unchanged issues keep firstSeen, not logged new', async () => {
    before = await issues(agent);
    const samplesBefore = before.find((i) => i.rule === 'cpu-overprovisioned' && i.kind === 'Deployment')!
      .overProvisioning!.samples;
    await stop(agent);
    const header = JSON.parse(fs.readFileSync(file).subarray(0, fs.readFileSync(file).indexOf(10)).toString()) as {
      format: string;
      version: number;
      windowMs: number;
      cluster: string;
    };
    expect(header).toMatchObject({ format: 'opsagent-usage-history', version: 1, windowMs: WINDOW_MS });
    expect(header.cluster).toContain(`:${sim.port}`);
    const saved = UsageHistory.decode(fs.readFileSync(file), { windowMs: WINDOW_MS, cluster: header.cluster });
    expect(saved.statsFor(deployment).get('app')!.samples).toBeGreaterThanOrEqual(samplesBefore);

    agent = await start(config(file));
    const first = await ready(agent);
    expect(first.status).toBe('succeeded');
    expect(first.counts.new).toBe(0);
    const lines = logLines(agent);
    expect(lines.filter((l) => l.event === 'usage-history-loaded')).toHaveLength(1);
    expect(lines.filter((l) => l.event === 'issue-new')).toEqual([]);
    const after = await issues(agent);
    expect(after.map((i) => [i.id, i.firstSeen]).sort()).toEqual(before.map((i) => [i.id, i.firstSeen]).sort());
    // The first scan after the restart judged from the saved samples, not from one.
    const cpu = after.find((i) => i.rule === 'cpu-overprovisioned' && i.kind === 'Deployment')!;
    expect(cpu.overProvisioning!.samples).toBeGreaterThan(samplesBefore);
    await stop(agent);
  }, 120_000);

  it('starts empty, with one warning naming the file, from a corrupt history file, and keeps running', async () => {
    const bad = path.join(dir, 'corrupt');
    fs.writeFileSync(bad, `${fs.readFileSync(file).subarray(0, 200).toString('latin1')}`, 'latin1');
    fs.writeFileSync(`${bad}.issues`, '{"format":"opsagent-issue-identity","version":1,"cluster":');
    const a = await start(config(bad));
    const first = await ready(a);
    expect(first.status).toBe('succeeded');
    const warnings = logLines(a).filter((l) => l.event === 'usage-history-unreadable');
    expect(warnings.map((w) => w.file)).toEqual([bad, `${bad}.issues`]);
    expect(String(warnings[0].msg)).toContain(`usage history file ${bad} not loaded`);
    // Nothing judged from the corrupt file: the startup scan's one sample is under minSamples.
    expect(first.counts.issues).toBe(0);
    await stop(a);
    // …and the next run loads what this one saved over it.
    expect(() =>
      UsageHistory.decode(fs.readFileSync(bad), { windowMs: WINDOW_MS, cluster: headerCluster(bad) }),
    ).not.toThrow();
  }, 120_000);

  it('warns once and keeps the history in memory when the file cannot be written', async () => {
    const unwritable = path.join(dir, 'no-such-dir', 'usage-history');
    const a = await start(config(unwritable));
    expect((await ready(a)).status).toBe('succeeded');
    expect((await scanNow(a)).status).toBe('succeeded');
    const warnings = logLines(a).filter((l) => l.event === 'usage-history-unwritable');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 'warn', file: unwritable });
    expect(fs.existsSync(path.dirname(unwritable))).toBe(false);
    await stop(a);
    expect(a.child.exitCode).toBe(0);
  }, 120_000);
});

function headerCluster(file: string): string {
  const bytes = fs.readFileSync(file);
  return (JSON.parse(bytes.subarray(0, bytes.indexOf(10)).toString()) as { cluster: string }).cluster;
}
