import type { UsageSource } from '@opsagent/core/audit/usage-stats';
import { percentile } from '@opsagent/core/audit/usage-stats';
import { UsagePeaks } from '@opsagent/core/audit/usage-peaks';
import type { ContainerUsageStats } from '@opsagent/core/rules/rule';
import type { UsageSample } from '@opsagent/core/usage';
import { workloadRef, type Workload } from '@opsagent/core/workload';

/** Samples a new series has room for; 8 (scan, CPU) pairs of uint32 are 64 bytes, small enough for V8's heap. */
const MIN_CAPACITY = 8;

/**
 * Scans are numbered modulo 2^32. `a` is older than `b` when it is behind by less than 2^31 scans, which holds
 * for any two scans a series keeps (a window of 2^31 scans is 68 years at one scan a second).
 */
const isOlder = (a: number, b: number): boolean => ((a - b) | 0) < 0;

/** The next capacity of a full ring: up to the samples expected per window if that is more, else double. */
function grownCapacity(capacity: number, expected: number): number {
  return expected > capacity ? Math.min(capacity * 2, expected) : capacity * 2;
}

/**
 * One workload container's samples inside the window.
 *
 * CPU: a ring of (scan number, millicores) pairs in one Uint32Array, 8 bytes a sample, oldest at `head`;
 * evicting advances `head`. The time of a sample is its scan's entry in the history's table of scan times, so
 * times stay exact to the millisecond in 4 bytes. Millicores fit a uint32 up to 4,294,967 cores; a value that
 * does not (or is not an integer) turns the ring into a Float64Array for this series, so every value is kept
 * exactly as given.
 *
 * Memory: only its maximum over the window is ever asked for, so a monotonic deque keeps the (scan, bytes) pairs
 * that can still become the maximum: each is larger than every pair after it. Over a window of n samples of
 * varying usage that is about ln n pairs (6 at 289), n only if memory falls at every scan. A plain array of
 * doubles (bytes exact up to 2^53, 8 PiB): for a dozen numbers it spares the ArrayBuffer and view objects of a
 * typed array, and V8 trims it as it shrinks.
 */
class Series {
  private ring: Uint32Array | Float64Array = new Uint32Array(2 * MIN_CAPACITY);
  private head = 0;
  size = 0;
  /** scan, bytes, scan, bytes, …: oldest first, bytes strictly decreasing. */
  private readonly peaks: number[] = [];

  constructor(readonly name: string) {}

  get capacity(): number {
    return this.ring.length >> 1;
  }

  get isFloat(): boolean {
    return this.ring instanceof Float64Array;
  }

  /** The scan of the oldest sample kept (the series is never empty while it is held). */
  get oldestScan(): number {
    return this.ring[2 * this.head];
  }

  /** `expected`: samples per window at the current scan interval, so a filling series grows to fit, not beyond. */
  push(scan: number, cpu: number, memory: number, expected: number): void {
    if (this.size === this.capacity) this.resize(grownCapacity(this.capacity, expected));
    if (cpu >>> 0 !== cpu && !(this.ring instanceof Float64Array)) this.ring = Float64Array.from(this.ring);
    let i = this.head + this.size;
    if (i >= this.capacity) i -= this.capacity;
    this.ring[2 * i] = scan;
    this.ring[2 * i + 1] = cpu;
    this.size++;

    const p = this.peaks;
    while (p.length > 0 && p[p.length - 1] <= memory) p.length -= 2;
    p.push(scan, memory);
  }

  /**
   * Drops samples from the oldest while their scan's time is before `cutoff` (ms), as a list sorted by time
   * would; `scanTimes[k]` is the time of scan `firstScan + k`. Once the series is dropping samples its size is
   * about the samples per window, so it gives back capacity it no longer needs (the schedule was slowed, metrics
   * went missing for a while).
   */
  dropBefore(cutoff: number, scanTimes: readonly number[], firstScan: number): void {
    const cap = this.capacity;
    let dropped = 0;
    while (this.size > 0 && scanTimes[(this.ring[2 * this.head] - firstScan) >>> 0] < cutoff) {
      if (++this.head === cap) this.head = 0;
      this.size--;
      dropped++;
    }
    if (dropped === 0 || this.size === 0) return;
    const oldest = this.oldestScan;
    const p = this.peaks;
    while (p.length > 0 && isOlder(p[0], oldest)) {
      p.shift();
      p.shift();
    }
    if (cap > MIN_CAPACITY && cap - this.size > Math.max(8, this.size >> 2))
      this.resize(Math.max(MIN_CAPACITY, this.size + Math.max(4, this.size >> 3)));
  }

  /** Copies the CPU values, oldest first, into `out` (at least `size` long). */
  copyCpu(out: Uint32Array | Float64Array): void {
    const cap = this.capacity;
    for (let k = 0, i = this.head; k < this.size; k++) {
      out[k] = this.ring[2 * i + 1];
      if (++i === cap) i = 0;
    }
  }

  get memoryMax(): number {
    return Math.max(0, this.peaks[1]);
  }

  private resize(capacity: number): void {
    const next = this.ring instanceof Float64Array ? new Float64Array(2 * capacity) : new Uint32Array(2 * capacity);
    const cap = this.capacity;
    for (let k = 0, i = this.head; k < this.size; k++) {
      next[2 * k] = this.ring[2 * i];
      next[2 * k + 1] = this.ring[2 * i + 1];
      if (++i === cap) i = 0;
    }
    this.ring = next;
    this.head = 0;
  }
}

/**
 * The service's rolling usage window. Each scan adds, per workload container, ONE sample: the highest
 * CPU and the highest memory among the workload's Pods in that scan's PodMetrics. So `minSamples` counts
 * scans (12 = one hour at the default schedule), and U (p95 CPU, max memory) describes the busiest Pod.
 *
 * Memory held: 8 bytes per sample (scan number and millicores, uint32 each) plus about 0.75 KB per container
 * (its objects and map entry, the memory deque, ring capacity beyond the samples held). At the default
 * 5-minute schedule and 24h window (289 samples) that is about 3 KB per container, 10.6 bytes per sample:
 * 46 MiB for the 15,630 containers with usage of the bench's large cluster (bench/history.ts; three arrays
 * of numbers per container took 31 bytes per sample, 135 MiB).
 */
export class UsageHistory implements UsageSource {
  private readonly series = new Map<string, Series[]>();
  /** Time (ms) of every scan from `firstScan` on that a kept sample may refer to, oldest first. */
  private readonly scanTimes: number[] = [];
  private firstScan = 0;
  private nextScan = 0;
  private lastRecord: number | undefined;
  /** Scratch for sorting one series' CPU values (grown to the longest series, kept between calls). */
  private scratch = new Uint32Array(0);
  private scratchFloat = new Float64Array(0);

  constructor(private readonly windowMs: number) {}

  /** Adds one scan's samples and forgets workloads that no longer exist among `workloads`. */
  record(workloads: readonly Workload[], samples: readonly UsageSample[], now: number, forgetMissing: boolean): void {
    const peaks = new UsagePeaks(workloads);
    for (const sample of samples) peaks.add(sample);
    this.recordPeaks(workloads, peaks, now, forgetMissing);
  }

  /** Adds one scan's usage, already reduced to peaks as it was read, and forgets workloads that no longer exist. */
  recordPeaks(workloads: readonly Workload[], peaks: UsagePeaks, now: number, forgetMissing: boolean): void {
    const scan = this.nextScan;
    this.nextScan = (scan + 1) >>> 0;
    this.scanTimes.push(now);
    const interval = this.lastRecord === undefined ? 0 : now - this.lastRecord;
    this.lastRecord = now;
    // Samples a series holds at this pace: the window's scans, both ends included, and the one added before
    // the oldest is dropped.
    const expected = interval > 0 ? Math.floor(this.windowMs / interval) + 2 : 0;

    const present = new Set<string>();
    for (const workload of workloads) {
      const key = workloadRef(workload);
      present.add(key);
      const peak = peaks.of(workload);
      if (!peak || peak.size === 0) continue;
      let containers = this.series.get(key);
      if (!containers) this.series.set(key, (containers = []));
      for (const [name, p] of peak) {
        let s = containers.find((c) => c.name === name);
        if (!s) containers.push((s = new Series(name)));
        s.push(scan, p.cpu, p.memory, expected);
      }
    }

    const cutoff = now - this.windowMs;
    let oldestAge = -1;
    for (const [key, containers] of this.series) {
      if (forgetMissing && !present.has(key)) {
        this.series.delete(key);
        continue;
      }
      let kept = 0;
      for (const s of containers) {
        s.dropBefore(cutoff, this.scanTimes, this.firstScan);
        if (s.size === 0) continue;
        containers[kept++] = s;
        oldestAge = Math.max(oldestAge, (scan - s.oldestScan) >>> 0);
      }
      containers.length = kept;
      if (kept === 0) this.series.delete(key);
    }
    // Keep the times of the scans still referred to, from the oldest kept sample on.
    const first = oldestAge < 0 ? this.nextScan : (scan - oldestAge) >>> 0;
    const unused = (first - this.firstScan) >>> 0;
    if (unused > 0) this.scanTimes.splice(0, unused);
    this.firstScan = first;
  }

  statsFor(workload: Workload): ReadonlyMap<string, ContainerUsageStats> {
    const stats = new Map<string, ContainerUsageStats>();
    for (const s of this.series.get(workloadRef(workload)) ?? []) {
      stats.set(s.name, { samples: s.size, cpuP95: this.cpuP95(s), memoryMax: s.memoryMax });
    }
    return stats;
  }

  /** Samples held in all series (for tests and the memory figure). */
  get sampleCount(): number {
    let n = 0;
    for (const containers of this.series.values()) for (const s of containers) n += s.size;
    return n;
  }

  private cpuP95(s: Series): number {
    if (s.isFloat) {
      if (this.scratchFloat.length < s.size) this.scratchFloat = new Float64Array(scratchLength(s.size));
      const sorted = this.scratchFloat.subarray(0, s.size);
      s.copyCpu(sorted);
      return percentile(sorted.sort(), 95);
    }
    if (this.scratch.length < s.size) this.scratch = new Uint32Array(scratchLength(s.size));
    const sorted = this.scratch.subarray(0, s.size);
    s.copyCpu(sorted);
    return percentile(sorted.sort(), 95);
  }
}

function scratchLength(n: number): number {
  return Math.max(256, 2 ** Math.ceil(Math.log2(n)));
}
