/**
 * The REST phase: the built agent (`dist/.../main.js serve`, as the container runs it) against a simulator
 * serving a cluster that yields a known number of issues; after its startup scan, autocannon loads
 * `/health` and `/api/v1/issues` (unfiltered and filtered, limit 100) one after the other, from a separate
 * process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSimulator } from '../tools/k8s-simulator/simulator';
import { buildIssueCluster } from './cluster';
import type { LoadResult } from './loadgen-worker';
import { runLoad } from './workers';
import { getJson, startAgentProcess } from './agent-process';

export interface RestOptions {
  issues: number;
  namespaces: number;
  connections: number;
  durationSec: number;
  warmupSec: number;
  /** NODE_OPTIONS of the agent process (the Helm chart's); empty = Node's defaults. */
  nodeOptions: string;
  /** The /health-under-load sub-phase: connections on HEALTH_LOAD_PATH for this many seconds; 0 = skip it. */
  healthLoad: { connections: number; durationSec: number };
  log: (line: string) => void;
}

/** The probe's view of `/health` while many connections load the heaviest API page (liveness under load). */
export interface HealthUnderLoad {
  connections: number;
  durationSec: number;
  /** The page loaded, e.g. `/api/v1/issues?limit=1000`. */
  loadPath: string;
  /** The load: its 2xx and its shed (503) answers. */
  load: LoadResult;
  /** Sequential GET /health, one every PROBE_GAP_MS, each with the chart's 5 s probe timeout. */
  probes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Probes without an answer within PROBE_TIMEOUT_MS. */
  timeouts: number;
  /** Probes answered with a status other than 200. */
  failures: number;
}

export interface RestResult {
  issues: number;
  connections: number;
  durationSec: number;
  /** The agent's startup scan of the issue cluster, as it reported it. */
  scanMs: number;
  endpoints: LoadResult[];
  healthUnderLoad?: HealthUnderLoad;
  /** The agent process (NestJS, both servers, 100k issues in its store), from /proc: bytes. */
  agentRss: { afterScan?: number; peakAfterScan?: number; afterLoad?: number; peakAfterLoad?: number };
}

export const REST_TARGETS = (namespace: string) => [
  { name: 'health', path: '/health' },
  { name: 'issues', path: '/api/v1/issues?limit=100' },
  // One indexed key: the store starts from the namespace index (about issues / namespaces entries).
  { name: 'issues-namespace', path: `/api/v1/issues?namespace=${namespace}&rule=memory-limit-missing&limit=100` },
  // No key narrows much: the store walks the kind index in severity order to count `total`.
  { name: 'issues-severity', path: '/api/v1/issues?kind=Deployment&minSeverity=high&limit=100' },
];

export async function runRest(opts: RestOptions): Promise<RestResult> {
  const cluster = buildIssueCluster(opts.issues, opts.namespaces);
  const sim = await startSimulator({ token: 'bench-token' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-bench-'));
  try {
    sim.load(cluster.objects());
    const kubeconfig = path.join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig);
    opts.log(`rest: starting the agent (${cluster.expectedIssues} issues expected)`);
    const agent = await startAgentProcess({
      kubeconfig,
      // once a year: only the startup scan runs during the load
      config: { schedule: '0 0 1 1 *', runOnStartup: true, scanTimeout: '10m' },
      nodeOptions: opts.nodeOptions,
    });
    try {
      const scan = await agent.nextScan();
      const counts = scan.counts as { issues?: number } | undefined;
      if (scan.status !== 'succeeded' || counts?.issues !== cluster.expectedIssues) {
        throw new Error(
          `rest: startup scan ${String(scan.status)} with ${counts?.issues} issues, expected ${cluster.expectedIssues}`,
        );
      }
      const afterScan = agent.memory();
      const namespace = 'team-007';
      const targets = REST_TARGETS(namespace).map((t) => ({ name: t.name, url: agent.api + t.path }));
      for (const t of targets.slice(1)) {
        const { status, body } = await getJson(t.url);
        const items = body.items as unknown[] | undefined;
        if (status !== 200 || !items || items.length === 0) throw new Error(`rest: ${t.url} answered ${status}`);
        if (t.name === 'issues' && body.total !== cluster.expectedIssues) {
          throw new Error(`rest: ${t.url} total ${String(body.total)}, expected ${cluster.expectedIssues}`);
        }
      }
      opts.log(
        `rest: ${targets.length} endpoints × ${opts.durationSec} s, ${opts.connections} connections (+${opts.warmupSec} s warm-up each)`,
      );
      const endpoints = await runLoad({
        targets,
        connections: opts.connections,
        durationSec: opts.durationSec,
        warmupSec: opts.warmupSec,
      });
      let healthUnderLoad: HealthUnderLoad | undefined;
      if (opts.healthLoad.durationSec > 0) {
        opts.log(
          `rest: /health probed while ${opts.healthLoad.connections} connections load ${HEALTH_LOAD_PATH} for ${opts.healthLoad.durationSec} s`,
        );
        healthUnderLoad = await probeUnderLoad(agent.api, opts.healthLoad.connections, opts.healthLoad.durationSec);
      }
      const afterLoad = agent.memory();
      return {
        issues: cluster.expectedIssues!,
        connections: opts.connections,
        durationSec: opts.durationSec,
        scanMs: Number(scan.durationMs),
        endpoints,
        healthUnderLoad,
        agentRss: {
          afterScan: afterScan.rss,
          peakAfterScan: afterScan.peak,
          afterLoad: afterLoad.rss,
          peakAfterLoad: afterLoad.peak,
        },
      };
    } finally {
      await agent.stop();
    }
  } finally {
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The heaviest page the API serves. */
export const HEALTH_LOAD_PATH = '/api/v1/issues?limit=1000';
/** The chart's livenessProbe timeoutSeconds. */
const PROBE_TIMEOUT_MS = 5_000;
const PROBE_GAP_MS = 100;

/**
 * Loads HEALTH_LOAD_PATH from the load-generator process while this process (idle otherwise: the simulator
 * has nothing to serve after the startup scan) probes /health one request at a time, as a kubelet would.
 */
async function probeUnderLoad(api: string, connections: number, durationSec: number): Promise<HealthUnderLoad> {
  let loading = true;
  const load = runLoad({
    targets: [{ name: 'issues-1000', url: api + HEALTH_LOAD_PATH }],
    connections,
    durationSec,
    warmupSec: 0,
  }).finally(() => (loading = false));
  const latencies: number[] = [];
  let timeouts = 0;
  let failures = 0;
  // Let the load reach full concurrency before the first probe.
  await new Promise((r) => setTimeout(r, 500));
  while (loading) {
    const started = performance.now();
    try {
      const res = await fetch(`${api}/health`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      await res.arrayBuffer();
      if (res.status !== 200) failures++;
      latencies.push(performance.now() - started);
    } catch {
      timeouts++;
      latencies.push(performance.now() - started);
    }
    await new Promise((r) => setTimeout(r, PROBE_GAP_MS));
  }
  const [result] = await load;
  const sorted = Float64Array.from(latencies).sort();
  const rank = (p: number) => (sorted.length ? sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] : NaN);
  return {
    connections,
    durationSec,
    loadPath: HEALTH_LOAD_PATH,
    load: result,
    probes: sorted.length,
    p50Ms: rank(50),
    p99Ms: rank(99),
    maxMs: sorted.length ? sorted[sorted.length - 1] : NaN,
    timeouts,
    failures,
  };
}
