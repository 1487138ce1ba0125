/** What the bench's orchestrator and its child processes say to each other over the IPC channel. */

export type ScanMode = 'floor' | 'naive' | 'opsagent';

export interface WorkerInit {
  mode: ScanMode;
  /** Simulator URL and bearer token (floor); kubeconfig file (naive, opsagent). */
  server: string;
  token: string;
  kubeconfig: string;
  pageSize: number;
  /** Lists fetched at once by floor and naive: the same as the agent's reader. */
  concurrency: number;
  /** The agent's config (opsagent mode), as a YAML file would give it. */
  config?: Record<string, unknown>;
  /**
   * Steady-state runs: advance `Date.now` by this much after each scan (the schedule's interval), so the
   * usage history's window fills and slides as in a long-running agent; and force GC before reading the heap.
   */
  clockStepMs?: number;
}

export type ToWorker = { type: 'init'; init: WorkerInit } | { type: 'run' } | { type: 'exit' };

export type FromWorker =
  { type: 'ready'; memory: MemorySnapshot } | { type: 'result'; run: RunResult } | { type: 'error'; message: string };

export interface MemorySnapshot {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export interface RunResult {
  /** Wall time of the run in the child, ms. */
  durationMs: number;
  /** CPU time (user + system) the child spent during the run, ms. */
  cpuMs: number;
  /** opsagent: the ClusterReader's share of durationMs. */
  readMs?: number;
  /** Requests and body bytes as the client counted them. */
  requests: number;
  bytes: number;
  /** Items received (all kinds and PodMetrics). */
  items: number;
  /** opsagent: the scan record's status and counts. */
  status?: string;
  issues?: number;
  workloads?: number;
  containers?: number;
  usageSamples?: number;
  newIssues?: number;
  /** Highest values sampled (every few ms) during the run, bytes. */
  peak: MemorySnapshot;
  /** Kernel high-water mark of the process's RSS so far (getrusage maxrss), bytes. */
  maxRss: number;
  /** After the run, following a forced GC (steady state; needs --expose-gc). */
  heapUsedAfterGc?: number;
}

export function memorySnapshot(): MemorySnapshot {
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  };
}

/**
 * Samples `process.memoryUsage()` every `intervalMs` and keeps the highest values. Long synchronous work
 * (a JSON.parse of a page) delays samples; the kernel's maxrss, reported beside it, has no such gap.
 */
export class MemorySampler {
  private peak: MemorySnapshot = memorySnapshot();
  private timer?: NodeJS.Timeout;

  constructor(private readonly intervalMs = 5) {}

  start(): void {
    this.reset();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  reset(): void {
    this.peak = memorySnapshot();
  }

  sample(): void {
    const m = memorySnapshot();
    const p = this.peak;
    if (m.rss > p.rss) p.rss = m.rss;
    if (m.heapUsed > p.heapUsed) p.heapUsed = m.heapUsed;
    if (m.heapTotal > p.heapTotal) p.heapTotal = m.heapTotal;
    if (m.external > p.external) p.external = m.external;
    if (m.arrayBuffers > p.arrayBuffers) p.arrayBuffers = m.arrayBuffers;
  }

  read(): MemorySnapshot {
    this.sample();
    return { ...this.peak };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

export { mapLimit } from '../apps/opsagent/src/common/map-limit';
