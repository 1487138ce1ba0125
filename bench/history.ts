/**
 * The usage history's memory and time at a cluster size: a `UsageHistory` fed as the detection service feeds
 * it, one `recordPeaks` per PodMetrics reading (every `usage.sampleInterval`), until its window is full and then
 * some (so slots are evicted), and `statsFor` of every workload after each of those last readings (what the audit asks; it leaves the
 * history as it is, so the scans that fill the window skip it to keep the phase short). Runs in a child of its
 * own (bench/history-worker.ts) started with --expose-gc, so the heap figures are after forced collections and
 * the process holds nothing else.
 *
 * The workloads and Pods are the bench cluster's (`planWorkloads`: same kinds, names, Pods per workload and
 * containers, init containers included, which metrics-server does not report), built directly as `Workload`s
 * and `UsageSample`s instead of being read over HTTP. Usage varies at random around each container's base
 * every scan (CPU 50–150 %, memory 90–110 %, in KiB as metrics-server reports it).
 */
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { UsageHistory } from '../libs/core/src/audit/usage-history';
import { UsagePeaks } from '../libs/core/src/audit/usage-peaks';
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
  /** Readings after the window has filled (so eviction runs); the times are the medians over these. */
  extraScans: number;
  /** Write the history to this file and load it back (the agent's save and its load at start). */
  file?: { path: string; cluster: string };
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
  /** The history file: its size, the time to write it and to load it (as at the agent's start). */
  file?: { bytes: number; saveMs: number; loadMs: number };
  /** The whole phase, ms. */
  durationMs: number;
}

/** What `new UsageHistory(windowMs)` offers; another implementation can be measured the same way. */
export interface HistoryLike {
  recordPeaks(workloads: readonly Workload[], peaks: UsagePeaks, now: number): void;
  statsFor(workload: Workload): ReadonlyMap<string, unknown>;
  readonly sampleCount: number;
  encode(cluster: string, savedAt: number): Buffer;
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

/** The bench's inputs to the history: its workloads, one PodMetrics list, and a way to draw new usage into it. */
export interface HistoryInputs {
  workloads: Workload[];
  /** One PodMetrics per Pod; `draw()` rewrites their usage. */
  samples: UsageSample[];
  /** The same usage reduced to per-workload peaks (what the service records); `draw()` rewrites them too. */
  peaks: UsagePeaks;
  containers: number;
  series: number;
  /** New usage for every Pod (CPU 50–150 % of its base, memory 90–110 %, in KiB), and the peaks recomputed. */
  draw(): void;
}

export function historyInputs(size: SizeName, seed: number): HistoryInputs {
  const plans = planWorkloads(SIZES[size], seed);
  const rng = mulberry32(seed ^ 0x68697374);
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
  const fresh = () => {
    const p = new UsagePeaks(workloads);
    for (const s of samples) p.add(s);
    return p;
  };
  const inputs: HistoryInputs = {
    workloads,
    samples,
    peaks: new UsagePeaks([]),
    containers,
    series,
    draw() {
      let k = 0;
      for (const s of samples) {
        for (const c of s.containers) {
          const base = bases[k++];
          c.cpu = Math.max(1, Math.round(base.cpu * (0.5 + rng())));
          c.memory = Math.ceil((base.memory * (0.9 + 0.2 * rng())) / 1024) * 1024;
        }
      }
      inputs.peaks = fresh();
    },
  };
  return inputs;
}

/**
 * Builds the inputs, then records every reading; `create` makes the history (the agent's, unless told otherwise).
 * `PEAK_DRAWS` readings are drawn (every Pod's usage drawn afresh and attributed with UsagePeaks, as the sampler
 * does) and then recorded in rotation: attributing 60,000 PodMetrics 20,160 times (14 days at 1 minute) would
 * measure attribution (the scan phase does), not the history.
 */
export function measureHistory(
  request: HistoryRequest,
  create: (windowMs: number) => HistoryLike = (windowMs) => new UsageHistory(windowMs),
): HistorySummary {
  const started = performance.now();
  const inputs = historyInputs(request.size, request.seed);
  const { workloads, series, containers, samples } = inputs;
  const readings: UsagePeaks[] = [];
  for (let i = 0; i < PEAK_DRAWS; i++) {
    inputs.draw();
    readings.push(inputs.peaks);
  }

  const scans = Math.floor(request.windowMs / request.intervalMs) + 1 + request.extraScans;
  const before = gcMemory();
  const history = create(request.windowMs);
  const recordMs: number[] = [];
  const statsMs: number[] = [];
  for (let scan = 0; scan < scans; scan++) {
    const t0 = performance.now();
    history.recordPeaks(workloads, readings[scan % PEAK_DRAWS], START_MS + scan * request.intervalMs);
    const t1 = performance.now();
    if (scan < scans - request.extraScans) continue;
    for (const w of workloads) history.statsFor(w);
    recordMs.push(t1 - t0);
    statsMs.push(performance.now() - t1);
  }
  const after = gcMemory();
  const sampleCount = history.sampleCount;
  const retainedBytes = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);

  // The file: written as the agent writes it, then loaded as the agent loads it at start.
  let file: HistorySummary['file'];
  if (request.file) {
    const t0 = performance.now();
    const bytes = history.encode(request.file.cluster, START_MS + scans * request.intervalMs);
    fs.writeFileSync(request.file.path, bytes);
    const t1 = performance.now();
    const loaded = UsageHistory.decode(fs.readFileSync(request.file.path), {
      windowMs: request.windowMs,
      cluster: request.file.cluster,
    });
    const t2 = performance.now();
    if (loaded.sampleCount !== sampleCount) throw new Error('history: the file loaded other samples than were saved');
    file = { bytes: bytes.length, saveMs: t1 - t0, loadMs: t2 - t1 };
  }
  // Everything alive at `before` (the inputs) and the history stay reachable until `after` is taken.
  keepAlive = [workloads, samples, readings, history];
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
    ...(file ? { file } : {}),
    durationMs: performance.now() - started,
  };
}

/** Distinct readings drawn (each is every Pod's usage drawn afresh and attributed); later readings reuse them. */
const PEAK_DRAWS = 60;
