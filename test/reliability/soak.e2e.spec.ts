import fs from 'node:fs';
import path from 'node:path';
import { audit } from '@opsagent/core/audit/audit';
import { SampleUsage } from '@opsagent/core/audit/usage-stats';
import { isNamespaceAudited, parseConfig, resolveRuleSettings } from '@opsagent/core/config/config.loader';
import { extractWorkloads } from '@opsagent/core/manifests/workload-extractor';
import { startSimulator, type Fault, type Simulator } from '../../tools/k8s-simulator/simulator';
import { workloadObjects } from '../e2e/fixtures';
import { getJson, startAgent, tempDir, waitFor, waitForScan, type AgentProcess, type ScanJson } from '../e2e/harness';
import { mulberry32 } from '../../tools/k8s-simulator/random';

/**
 * A bounded soak in test mode: the built agent (a process) against the in-process simulator, SCANS scans
 * triggered back to back with POST /api/v1/scans. Between scans workloads are added, changed and removed;
 * before each, faults are injected at random (fixed seed): transient ones the retries must absorb
 * (`kubernetes.retries: 3`), and lasting ones that make the scan partial or failed.
 *
 * After every scan the issue set (every page of GET /api/v1/issues) must equal an oracle computed here
 * with the core library (`extractWorkloads` + `audit`, same config) on the simulator's current objects —
 * or, for a partial scan, that with the unreadable kinds' previous issues kept, and for a failed one the
 * previous set — and the scan's new/resolved/carried-over counts must equal the diff with the previous set.
 */
const SEED = 0x50a4;
const SCANS = 200;
/** When the heap is sampled the first time: after start-up allocations and the first full GCs. */
const HEAP_BASELINE_SCAN = 20;
/**
 * Allowed growth of the live heap (after a forced full GC) from scan 20 to the last scan. Not the 5 % first
 * aimed at: sampled after every scan on a 2-core machine, the live heap moved between 59 and 68 MiB (±8 %)
 * with the number of objects, issues and buffers of the moment, with no upward trend over 200 scans
 * (61.4 MiB at scan 20, 62.4 MiB at scan 200). 20 % still catches a leak of 70 KB per scan.
 */
const HEAP_TOLERANCE = 0.2;

const AGENT_CONFIG = {
  schedule: '0 0 1 1 *', // scans come from the test only
  runOnStartup: true,
  kubernetes: { pageSize: 3, requestTimeout: '1s', retries: 3 },
  scanTimeout: '30s',
};
/** The same settings as the agent's, for the oracle (ports are the harness's business). */
const CONFIG = parseConfig(AGENT_CONFIG);
const RULES = resolveRuleSettings(CONFIG);

interface KindInfo {
  kind: string;
  apiVersion: string;
  /** The collection path the reader lists (cluster-wide). */
  listPath: string;
}

const KINDS: KindInfo[] = [
  { kind: 'Deployment', apiVersion: 'apps/v1', listPath: '/apis/apps/v1/deployments' },
  { kind: 'StatefulSet', apiVersion: 'apps/v1', listPath: '/apis/apps/v1/statefulsets' },
  { kind: 'DaemonSet', apiVersion: 'apps/v1', listPath: '/apis/apps/v1/daemonsets' },
  { kind: 'ReplicaSet', apiVersion: 'apps/v1', listPath: '/apis/apps/v1/replicasets' },
  { kind: 'ReplicationController', apiVersion: 'v1', listPath: '/api/v1/replicationcontrollers' },
  { kind: 'Job', apiVersion: 'batch/v1', listPath: '/apis/batch/v1/jobs' },
  { kind: 'CronJob', apiVersion: 'batch/v1', listPath: '/apis/batch/v1/cronjobs' },
  { kind: 'Pod', apiVersion: 'v1', listPath: '/api/v1/pods' },
];
const METRICS_PATH = '/apis/metrics.k8s.io/v1beta1/pods';

const random = mulberry32(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
const chance = (p: number): boolean => random() < p;
const between = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));

// ---- workloads ----

function resources(): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  if (chance(0.6))
    out.requests = {
      ...(chance(0.8) ? { cpu: `${between(1, 20) * 50}m` } : {}),
      ...(chance(0.7) ? { memory: `${between(1, 16) * 32}Mi` } : {}),
    };
  if (chance(0.5))
    out.limits = {
      ...(chance(0.6) ? { cpu: `${between(1, 8) * 250}m` } : {}),
      ...(chance(0.8) ? { memory: `${between(1, 16) * 64}Mi` } : {}),
    };
  return out;
}

function podSpec(restartNever: boolean): Record<string, unknown> {
  const containers = Array.from({ length: between(1, 2) }, (_, i) => ({
    name: i === 0 ? 'app' : 'sidecar',
    image: 'registry.example/app:1',
    resources: resources(),
  }));
  const init = chance(0.2) ? { initContainers: [{ name: 'init', image: 'busybox', resources: resources() }] } : {};
  return { ...(restartNever ? { restartPolicy: 'Never' } : {}), containers, ...init };
}

/** A random workload of `kind`; sometimes exempt from a rule, owned by a controller, or in kube-system. */
function workload(info: KindInfo, namespace: string, name: string): Record<string, unknown> {
  const annotations = chance(0.15)
    ? { 'opsagent.io/ignore': pick(['cpu-limit-missing', '*', 'memory-request-missing']) }
    : undefined;
  const owned = ['ReplicaSet', 'Job', 'Pod'].includes(info.kind) && chance(0.15);
  const metadata = {
    name,
    namespace,
    labels: { app: name },
    ...(annotations ? { annotations } : {}),
    ...(owned
      ? {
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'owner', uid: 'u-1', controller: true }],
        }
      : {}),
  };
  const template = (never = false) => ({ metadata: { labels: { app: name } }, spec: podSpec(never) });
  const selector = { matchLabels: { app: name } };
  const base = { apiVersion: info.apiVersion, kind: info.kind, metadata };
  switch (info.kind) {
    case 'Pod':
      return { ...base, spec: podSpec(false), status: { phase: 'Running' } };
    case 'Job':
      return { ...base, spec: { template: template(true) } };
    case 'CronJob':
      return { ...base, spec: { schedule: '0 * * * *', jobTemplate: { spec: { template: template(true) } } } };
    case 'ReplicationController':
      return { ...base, spec: { selector: { app: name }, template: template() } };
    default:
      return { ...base, spec: { replicas: between(1, 3), selector, template: template() } };
  }
}

function workloadsIn(sim: Simulator): Record<string, unknown>[] {
  return sim.objects().filter((o) => KINDS.some((k) => k.kind === o.kind));
}

let created = 0;
/** Adds, changes and removes 0–3 workloads. */
function mutate(sim: Simulator): { added: number; changed: number; removed: number } {
  const counts = { added: 0, changed: 0, removed: 0 };
  for (let n = between(0, 3); n > 0; n--) {
    const existing = workloadsIn(sim);
    const roll = random();
    if (roll < 0.4 || existing.length < 10) {
      const info = pick(KINDS);
      const ns = chance(0.1) ? 'kube-system' : `team-${between(0, 3)}`;
      sim.upsert(workload(info, ns, `soak-${info.kind.toLowerCase()}-${++created}`));
      counts.added++;
    } else {
      const target = pick(existing) as { kind: string; metadata: { namespace: string; name: string } };
      const info = KINDS.find((k) => k.kind === target.kind)!;
      if (roll < 0.75) {
        sim.upsert(workload(info, target.metadata.namespace, target.metadata.name));
        counts.changed++;
      } else {
        sim.remove(`${info.apiVersion}/${info.kind}`, target.metadata.namespace, target.metadata.name);
        counts.removed++;
      }
    }
  }
  return counts;
}

// ---- faults ----

interface Plan {
  label: string;
  faults: Fault[];
  /** Kinds the scan cannot read: it must be partial with exactly these. */
  unreadable: string[];
  /** Nothing can be read: the scan must fail. */
  fails?: boolean;
}

function plan(): Plan {
  const info = pick(KINDS);
  const transientPath = chance(0.8) ? info.listPath : METRICS_PATH;
  const roll = random();
  let p = 0;
  const next = (share: number) => roll < (p += share);
  // Transient: the retries (3) absorb them, the scan succeeds.
  if (next(0.48)) return { label: 'none', faults: [], unreadable: [] };
  if (next(0.1)) return { label: '503 once', faults: [{ path: transientPath, status: 503, times: 1 }], unreadable: [] };
  if (next(0.07))
    return {
      label: 'latency',
      faults: [{ path: transientPath, latencyMs: between(50, 300), times: between(1, 3) }],
      unreadable: [],
    };
  if (next(0.07))
    return {
      label: 'drop before headers',
      faults: [{ path: transientPath, drop: 'before-headers', times: 1 }],
      unreadable: [],
    };
  if (next(0.05))
    return { label: 'drop mid-body', faults: [{ path: transientPath, drop: 'mid-body', times: 1 }], unreadable: [] };
  if (next(0.04))
    return {
      label: '429 Retry-After 0',
      faults: [{ path: transientPath, retryAfterSeconds: 0, times: 1 }],
      unreadable: [],
    };
  if (next(0.04))
    return {
      label: '410 expired continue',
      faults: [{ path: info.listPath, expireContinue: true, times: 1 }],
      unreadable: [],
    };
  if (next(0.03)) return { label: 'metrics 503', faults: [{ path: METRICS_PATH, status: 503 }], unreadable: [] };
  // Lasting for the scan: that kind is unreadable (partial), or everything is (failed).
  if (next(0.04))
    return { label: '503 for one kind', faults: [{ path: info.listPath, status: 503 }], unreadable: [info.kind] };
  if (next(0.03))
    return { label: '403 for one kind', faults: [{ path: info.listPath, status: 403 }], unreadable: [info.kind] };
  if (next(0.03))
    return {
      label: 'malformed JSON',
      faults: [{ path: info.listPath, malformedJson: true, times: 1 }],
      unreadable: [info.kind],
    };
  return {
    label: 'API down',
    faults: [{ path: /.*/, status: 503 }],
    unreadable: KINDS.map((k) => k.kind),
    fails: true,
  };
}

// ---- the oracle and the agent's view ----

interface IssueView {
  id: string;
  kind: string;
  rule: string;
  severity: string;
  message: string;
}

const key = (i: IssueView) => `${i.id} ${i.rule} ${i.severity} ${i.message}`;

/** The issues the rules give for the simulator's objects right now. */
function oracle(sim: Simulator): Map<string, IssueView> {
  const { workloads } = extractWorkloads(
    sim.objects().map((object) => ({ object })),
    { defaultNamespace: 'default' },
  );
  const { issues } = audit(workloads, new SampleUsage(workloads, []), {
    rules: RULES.rules,
    settings: RULES.settings,
    isNamespaceAudited: (ns) => isNamespaceAudited(CONFIG, ns),
  });
  return new Map(issues.map((i) => [i.id, i]));
}

async function agentIssues(api: string): Promise<Map<string, IssueView>> {
  const all = new Map<string, IssueView>();
  let token: string | undefined;
  do {
    const page = await getJson<{ items: IssueView[]; continue?: string }>(
      `${api}/api/v1/issues?limit=40${token ? `&continue=${encodeURIComponent(token)}` : ''}`,
    );
    expect(page.status).toBe(200);
    for (const issue of page.body.items) {
      expect(all.has(issue.id)).toBe(false); // paging never repeats an issue
      all.set(issue.id, issue);
    }
    token = page.body.continue;
  } while (token);
  return all;
}

function expectSameIssues(actual: Map<string, IssueView>, expected: Map<string, IssueView>, scan: number): void {
  const missing = [...expected.values()].filter(
    (i) => actual.get(i.id) === undefined || key(actual.get(i.id)!) !== key(i),
  );
  const extra = [...actual.values()].filter((i) => expected.get(i.id) === undefined);
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `scan #${scan}: ${missing.length} issue(s) missing or different, ${extra.length} unexpected\n` +
        `missing: ${missing.slice(0, 5).map(key).join('\n  ')}\nextra: ${extra.slice(0, 5).map(key).join('\n  ')}`,
    );
  }
}

/**
 * Test-only instrumentation, preloaded into the agent with NODE_OPTIONS: a full GC on SIGUSR2, so the heap
 * figures compare live memory instead of wherever the sawtooth of uncollected garbage happens to be (it
 * swings by 100+ MiB between major GCs). The app itself is unchanged.
 */
const GC_PRELOAD = `process.on('SIGUSR2', () => { global.gc(); global.gc(); process.stderr.write('soak: gc done\\n'); });\n`;
let gcRuns = 0;

/** Heap used right after a full GC in the agent, as its /metrics reports it. */
async function heapUsed(agentProcess: AgentProcess): Promise<number> {
  const done = ++gcRuns;
  agentProcess.child.kill('SIGUSR2');
  await waitFor(
    async () => (agentProcess.stderr().split('soak: gc done').length - 1 >= done ? true : undefined),
    10_000,
    'a GC in the agent',
  );
  const text = await (await fetch(`${agentProcess.metrics}/metrics`)).text();
  const match = /^nodejs_heap_size_used_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
  if (!match) throw new Error('nodejs_heap_size_used_bytes missing from /metrics');
  return Number(match[1]);
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

// ---- the soak ----

let sim: Simulator;
let agent: AgentProcess;

beforeAll(async () => {
  sim = await startSimulator({ objects: workloadObjects(4) });
  const kubeconfig = path.join(tempDir('opsagent-soak-kube-'), 'config');
  sim.writeKubeconfig(kubeconfig);
  const preload = path.join(tempDir('opsagent-soak-gc-'), 'gc-on-signal.cjs');
  fs.writeFileSync(preload, GC_PRELOAD);
  agent = await startAgent({
    kubeconfig,
    config: AGENT_CONFIG,
    env: { NODE_OPTIONS: `--expose-gc --require ${preload}` },
  });
  await waitFor(async () => ((await fetch(`${agent.api}/health/ready`)).status === 200 ? true : undefined), 20_000);
}, 30_000);

afterAll(async () => {
  if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
  await sim?.close();
});

it(`keeps the issue set equal to the rules over ${SCANS} scans with changes and faults`, async () => {
  const started = Date.now();
  const startup = await waitForScan(agent.api, {});
  expect(startup.status).toBe('succeeded');
  let previous = await agentIssues(agent.api);
  expectSameIssues(previous, oracle(sim), 0);

  const injected = new Map<string, number>();
  const statuses = { succeeded: 0, partial: 0, failed: 0 } as Record<string, number>;
  const changes = { added: 0, changed: 0, removed: 0 };
  let heapAtBaseline = 0;

  for (let n = 1; n <= SCANS; n++) {
    const changed = mutate(sim);
    for (const k of Object.keys(changes) as (keyof typeof changes)[]) changes[k] += changed[k];
    const p = plan();
    injected.set(p.label, (injected.get(p.label) ?? 0) + 1);
    const faultIds = p.faults.map((f) => sim.inject(f));

    const trigger = await getJson<{ id: string }>(`${agent.api}/api/v1/scans`, { method: 'POST' });
    expect(trigger.status).toBe(202);
    let scan: ScanJson;
    try {
      scan = await waitForScan(agent.api, { id: trigger.body.id });
    } finally {
      for (const id of faultIds) sim.removeFault(id);
    }
    statuses[scan.status]++;
    const context = `scan #${n} (${p.label})`;

    const actual = await agentIssues(agent.api);
    const unreadable = new Set(p.unreadable);
    if (p.fails) {
      expect({ context, status: scan.status }).toEqual({ context, status: 'failed' });
      // A failed scan leaves the issue set as it was.
      expectSameIssues(actual, previous, n);
    } else {
      const expectedStatus = unreadable.size > 0 ? 'partial' : 'succeeded';
      expect({ context, status: scan.status, errors: scan.errors.map((e) => e.kind).sort() }).toEqual({
        context,
        status: expectedStatus,
        errors: [...unreadable].sort(),
      });
      // The rules on what is there now; for an unreadable kind, its previous issues are kept.
      const expected = new Map([...oracle(sim)].filter(([, i]) => !unreadable.has(i.kind)));
      for (const [id, i] of previous) if (unreadable.has(i.kind)) expected.set(id, i);
      expectSameIssues(actual, expected, n);
      const added = [...actual.keys()].filter((id) => !previous.has(id)).length;
      const resolved = [...previous.keys()].filter((id) => !actual.has(id)).length;
      const carried = [...previous.values()].filter((i) => unreadable.has(i.kind)).length;
      expect({ context, ...scan.counts }).toMatchObject({
        context,
        issues: actual.size,
        new: added,
        resolved,
        carriedOver: carried,
      });
    }
    previous = actual;
    if (n === HEAP_BASELINE_SCAN) heapAtBaseline = await heapUsed(agent);
  }

  const heapAtEnd = await heapUsed(agent);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const faults = [...injected].filter(([label]) => label !== 'none');
  console.log(
    [
      `soak: ${SCANS} scans in ${seconds} s: ${statuses.succeeded} succeeded, ${statuses.partial} partial, ${statuses.failed} failed`,
      `workloads: ${changes.added} added, ${changes.changed} changed, ${changes.removed} removed (${workloadsIn(sim).length} at the end, ${previous.size} issues)`,
      `faults injected: ${faults.reduce((s, [, c]) => s + c, 0)} (${faults.map(([l, c]) => `${l} ${c}`).join(', ')})`,
      `heap used after a full GC: ${mib(heapAtBaseline)} after scan ${HEAP_BASELINE_SCAN}, ${mib(heapAtEnd)} after scan ${SCANS} (${(((heapAtEnd - heapAtBaseline) / heapAtBaseline) * 100).toFixed(1)} %, bound +${HEAP_TOLERANCE * 100} %)`,
    ].join('\n'),
  );
  expect(statuses.partial + statuses.failed).toBeGreaterThan(0);
  expect(heapAtEnd).toBeLessThanOrEqual(heapAtBaseline * (1 + HEAP_TOLERANCE));
}, 120_000);
