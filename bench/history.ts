/**
 * The usage history's memory and time at a cluster size: a `UsageHistory` fed as the detection service feeds
 * it, one `record` per scan with every Pod's PodMetrics, until its window is full and then some (so samples are
 * evicted), and `statsFor` of every workload after each of those last scans (what the audit asks; it leaves the
 * history as it is, so the scans that fill the window skip it to keep the phase short). Runs in a child of its
 * own (bench/history-worker.ts) started with --expose-gc, so the heap figures are after forced collections and
 * the process holds nothing else.
 *
 * The workloads and Pods are the bench cluster's (`planWorkloads`: same kinds, names, Pods per workload and
 * containers, init containers included, which metrics-server does not report), built directly as `Workload`s
 * and `UsageSample`s instead of being read over HTTP. Usage varies at random around each container's base
 * every scan (CPU 50–150 %, memory 90–110 %, in KiB as metrics-server reports it).
 */
import { performance } from 'node:perf_hooks';
import { UsageHistory } from '../apps/opsagent/src/detection/usage-history';
import type { UsageSample } from '../libs/core/src/usage';
import type { Workload } from '../libs/core/src/workload';
import { mulberry32 } from '../tools/k8s-simulator/random';
import { LISTED, planWorkloads, SIZES, type SizeName, type WorkloadPlan } from './cluster';

export interface HistoryRequest {
  size: SizeName;
  seed: number;
  /** The service's `overProvisioning.window`, ms. */
  windowMs: number;
  /** Time between scans on the history's clock (the default schedule: 5 minutes). */
  intervalMs: number;
  /** Scans after the window has filled (so eviction runs); the times are the medians over these. */
  extraScans: number;
}

/** Bytes of the process's memory that a forced GC leaves: JS heap, and typed arrays' backing stores beside it. */
export interface GcMemory {
  heapUsed: number;
  arrayBuffers: number;
}

export interface HistorySummary {
  size: SizeName;
  workloads: number;
  /** Containers of the workloads, init containers included. */
  containers: number;
  /** Containers with usage (init containers have none): the history's series. */
  series: number;
  /** PodMetrics per scan. */
  pods: number;
  windowMs: number;
  intervalMs: number;
  scans: number;
  /** Samples held after the last scan. */
  samples: number;
  /** After forced GC, with the workloads and samples built and the history empty / after the last scan. */
  before: GcMemory;
  after: GcMemory;
  /** after − before, heap and array buffers together. */
  retainedBytes: number;
  bytesPerSample: number;
  /** Per scan over the last `extraScans` scans (full window, evicting): ms. */
  recordMs: number[];
  statsMs: number[];
  medianRecordMs: number;
  medianStatsMs: number;
  /** The whole phase, ms. */
  durationMs: number;
}

/** What `new UsageHistory(windowMs)` offers; another implementation can be measured the same way. */
export interface HistoryLike {
  record(workloads: readonly Workload[], samples: readonly UsageSample[], now: number, forgetMissing: boolean): void;
  statsFor(workload: Workload): ReadonlyMap<string, unknown>;
  readonly sampleCount: number;
}

const START_MS = Date.parse('2026-11-20T08:00:00Z');
/** The order in which the agent's reader lists the kinds (bench/cluster.ts LISTED). */
const KIND_ORDER = LISTED.map((l) => l.kind as string);
/** Written after the last heap figure, so that nothing measured is collected before it. */
export let keepAlive: unknown;

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function gcMemory(): GcMemory {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('history: run with --expose-gc');
  gc();
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return { heapUsed, arrayBuffers };
}

function toWorkload(p: WorkloadPlan): { workload: Workload; podLabels: Record<string, string> } {
  const selector = { 'app.kubernetes.io/name': p.name, 'app.kubernetes.io/instance': p.name };
  const labels = {
    ...selector,
    'app.kubernetes.io/part-of': p.namespace,
    'app.kubernetes.io/version': p.containers[0].image.split(':')[1],
    'app.kubernetes.io/managed-by': p.applied ? 'kubectl' : 'Helm',
  };
  const workload: Workload = {
    kind: p.kind,
    apiVersion: p.kind === 'Job' || p.kind === 'CronJob' ? 'batch/v1' : p.kind === 'Pod' ? 'v1' : 'apps/v1',
    namespace: p.namespace,
    name: p.name,
    annotations: {},
    templateAnnotations: {},
    // Jobs and CronJobs select by their template's labels (the agent's workload-extractor); bare Pods by name.
    ...(p.kind === 'Pod'
      ? {}
      : { selector: { matchLabels: p.kind === 'Job' || p.kind === 'CronJob' ? labels : selector } }),
    replicas: p.pods,
    containers: p.containers.map((c, i) => ({
      name: c.name,
      role: c.init ? 'init' : 'container',
      path: `spec.template.spec.${c.init ? 'initContainers' : 'containers'}[${i}]`,
      requests: {},
      limits: {},
    })),
  };
  return { workload, podLabels: p.kind === 'Deployment' ? { ...labels, 'pod-template-hash': 'b7c9d5f4x8' } : labels };
}

/** Builds the inputs, then runs every scan; `create` makes the history (the agent's, unless told otherwise). */
export function measureHistory(
  request: HistoryRequest,
  create: (windowMs: number) => HistoryLike = (windowMs) => new UsageHistory(windowMs),
): HistorySummary {
  const started = performance.now();
  const plans = planWorkloads(SIZES[request.size], request.seed);
  const rng = mulberry32(request.seed ^ 0x68697374);
  const workloads: Workload[] = [];
  const samples: UsageSample[] = [];
  /** Per sampled container, its base usage, so each scan can draw around it. */
  const bases: { cpu: number; memory: number }[] = [];
  let containers = 0;
  let series = 0;
  // In the order the API server lists them (by kind, then namespace and name; PodMetrics by namespace and
  // name) and allocated in that order, so a namespace's Pods lie together in memory as the reader's would.
  const byKey = (a: { namespace: string; name: string }, b: { namespace: string; name: string }) =>
    a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  const pods: { namespace: string; name: string; plan: WorkloadPlan; labels: Record<string, string> }[] = [];
  for (const p of [...plans].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || byKey(a, b))) {
    const { workload, podLabels } = toWorkload(p);
    workloads.push(workload);
    containers += p.containers.length;
    series += p.containers.filter((c) => !c.init).length;
    for (let i = 0; i < p.pods; i++) {
      const name = p.kind === 'Pod' ? p.name : `${p.name}-${i}`;
      pods.push({ namespace: p.namespace, name, plan: p, labels: podLabels });
    }
  }
  for (const pod of pods.sort(byKey)) {
    const usage = pod.plan.containers
      .filter((c) => !c.init)
      .map((c) => {
        bases.push({ cpu: c.cpuUse, memory: c.memoryUse });
        return { name: c.name, cpu: 0, memory: 0 };
      });
    samples.push({ namespace: pod.namespace, pod: pod.name, labels: pod.labels, containers: usage });
  }
  const draw = () => {
    let k = 0;
    for (const s of samples) {
      for (const c of s.containers) {
        const base = bases[k++];
        c.cpu = Math.max(1, Math.round(base.cpu * (0.5 + rng())));
        c.memory = Math.ceil((base.memory * (0.9 + 0.2 * rng())) / 1024) * 1024;
      }
    }
  };

  const scans = Math.floor(request.windowMs / request.intervalMs) + 1 + request.extraScans;
  draw();
  const before = gcMemory();
  const history = create(request.windowMs);
  const recordMs: number[] = [];
  const statsMs: number[] = [];
  for (let scan = 0; scan < scans; scan++) {
    draw();
    const t0 = performance.now();
    history.record(workloads, samples, START_MS + scan * request.intervalMs, true);
    const t1 = performance.now();
    if (scan < scans - request.extraScans) continue;
    for (const w of workloads) history.statsFor(w);
    recordMs.push(t1 - t0);
    statsMs.push(performance.now() - t1);
  }
  const after = gcMemory();
  const sampleCount = history.sampleCount;
  const retainedBytes = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
  // Everything alive at `before` (the inputs) and the history stay reachable until `after` is taken.
  keepAlive = [workloads, samples, bases, history];
  return {
    size: request.size,
    workloads: workloads.length,
    containers,
    series,
    pods: samples.length,
    windowMs: request.windowMs,
    intervalMs: request.intervalMs,
    scans,
    samples: sampleCount,
    before,
    after,
    retainedBytes,
    bytesPerSample: retainedBytes / sampleCount,
    recordMs,
    statsMs,
    medianRecordMs: median(recordMs),
    medianStatsMs: median(statsMs),
    durationMs: performance.now() - started,
  };
}
