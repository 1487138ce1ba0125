import { createHash } from 'node:crypto';
import type { ContainerUsageStats } from '../rules/rule';
import type { UsageSample } from '../usage';
import { workloadRef, type Workload } from '../workload';
import type { UsageSource } from './usage-stats';
import { UsagePeaks } from './usage-peaks';

/**
 * The usage history: how much each workload container used over `overProvisioning.window`, in memory that does
 * not grow with the window.
 *
 * The window is cut into SLOTS_PER_WINDOW time slots of window ÷ 14 each (a day at the default 14d), aligned on
 * the epoch. Per container and slot the history keeps:
 * - a sparse histogram of CPU in exponential buckets CPU_BUCKET_GROWTH (5 %) apart, from CPU_BUCKET_FLOOR
 *   (0.1 millicores) up; CPU below the floor counts in bucket 0, read as 0. A bucket is read as its geometric
 *   middle, so a percentile read from the summed histograms is within √1.05 − 1 = 2.47 % of the exact
 *   nearest-rank percentile of the same samples (the exact value lies in the same bucket), or within 0.1
 *   millicores below the floor;
 * - the peak of memory (bytes, exact), the number of samples, the times of its first and last sample (seconds).
 * A slot is dropped whole once all of its time is older than the window, so the figures cover the window and up
 * to one slot (window ÷ 14) before it: 14 to 15 days at the default 14d.
 *
 * Memory per container: one Uint32Array of a 16-slot ring of headers (6 × uint32 each, 384 bytes) followed by
 * the histogram entries (4 bytes each: bucket, slot and a 16-bit count; a full count starts another entry). Its
 * size depends on how many distinct buckets the CPU takes per slot (22 for CPU varying by a factor of 3), never
 * on the number of samples or the window length.
 *
 * Each sample is one reading of one container: the highest CPU and the highest memory among the workload's Pods
 * in one PodMetrics read (UsagePeaks), so `minSamples` counts reads, and U (p95 CPU, max memory) describes the
 * busiest Pod.
 */
export const SLOTS_PER_WINDOW = 14;
export const CPU_BUCKET_GROWTH = 1.05;
/** Millicores: the lowest bucket's lower bound. */
export const CPU_BUCKET_FLOOR = 0.1;

/** Slots a series holds at once (14 in the window and the current one fit; a power of two for `% RING`). */
const RING = 16;
const HEADER = 6; // epoch, samples, first (s), last (s), memory low 32 bits, memory high bits
const HEADERS = RING * HEADER;
const NONE = 0xffffffff;
const MAX_BUCKET = 4095;
const MAX_COUNT = 0xffff;
const LOG_GROWTH = Math.log(CPU_BUCKET_GROWTH);
const MID = Math.sqrt(CPU_BUCKET_GROWTH);
const TWO32 = 2 ** 32;

/** The bucket of a CPU figure (millicores). */
export function cpuBucket(millicores: number): number {
  if (!(millicores >= CPU_BUCKET_FLOOR)) return 0;
  const b = 1 + Math.floor(Math.log(millicores / CPU_BUCKET_FLOOR) / LOG_GROWTH);
  return Math.min(b, MAX_BUCKET);
}

/** What a bucket reads as: 0 for bucket 0, else the geometric middle of its bounds (millicores). */
export function cpuBucketValue(bucket: number): number {
  if (bucket === 0) return 0;
  return CPU_BUCKET_FLOOR * CPU_BUCKET_GROWTH ** (bucket - 1) * MID;
}

/** One slot of one container, for charts (issue 15): times in ms since the epoch, CPU in millicores, memory bytes. */
export interface UsageSlot {
  /** The slot's span: [from, to). */
  from: number;
  to: number;
  samples: number;
  firstSampleAt: number;
  lastSampleAt: number;
  cpuP50: number;
  cpuP95: number;
  cpuMax: number;
  memoryMax: number;
}

/** Describes a history for its file header. */
export interface HistoryMeta {
  windowMs: number;
  slotMs: number;
  /** Which cluster the data came from (the API server's URL); a file from another cluster is not loaded. */
  cluster: string;
}

export const HISTORY_FORMAT = 'opsagent-usage-history';
export const HISTORY_FORMAT_VERSION = 1;

export class HistoryFormatError extends Error {}

class Series {
  /** The ring of slot headers, then `used` histogram entries sorted by (bucket, ring position). */
  data: Uint32Array;
  used = 0;
  /** `data` is held by a save in progress (encodeChunks): copied before it is next changed. */
  shared = false;

  constructor(
    readonly name: string,
    data?: Uint32Array,
    used = 0,
  ) {
    if (data) {
      this.data = data;
      this.used = used;
    } else {
      this.data = new Uint32Array(HEADERS + 8);
      for (let r = 0; r < RING; r++) this.data[r * HEADER] = NONE;
    }
  }

  add(epoch: number, seconds: number, cpu: number, memory: number): void {
    const d = this.own();
    const r = epoch % RING;
    const h = r * HEADER;
    if (d[h] !== epoch) {
      if (d[h] !== NONE) {
        // A ring position holds an epoch 16 slots away: the newer one wins (a late sample is dropped).
        if (d[h] > epoch) return;
        this.evict(r);
      }
      d[h] = epoch;
      d[h + 1] = 0;
      d[h + 2] = seconds;
      d[h + 3] = seconds;
      d[h + 4] = 0;
      d[h + 5] = 0;
    }
    d[h + 1]++;
    if (seconds < d[h + 2]) d[h + 2] = seconds;
    if (seconds > d[h + 3]) d[h + 3] = seconds;
    if (memory > d[h + 5] * TWO32 + d[h + 4]) {
      d[h + 4] = memory % TWO32;
      d[h + 5] = Math.floor(memory / TWO32);
    }
    this.count((cpuBucket(cpu) << 4) | r);
  }

  /** Adds one to the histogram entry of `key` (bucket << 4 | ring position). */
  private count(key: number): void {
    let d = this.data;
    // First entry whose key is above `key`: equal keys (counts past 65,535) sit together, the last not full.
    let lo = HEADERS;
    let hi = HEADERS + this.used;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (d[mid] >>> 16 <= key) lo = mid + 1;
      else hi = mid;
    }
    if (lo > HEADERS && d[lo - 1] >>> 16 === key && (d[lo - 1] & MAX_COUNT) < MAX_COUNT) {
      d[lo - 1]++;
      return;
    }
    if (HEADERS + this.used === d.length) {
      const next = new Uint32Array(HEADERS + Math.max(8, Math.ceil(this.used * 1.25)));
      next.set(d);
      this.data = d = next;
    }
    d.copyWithin(lo + 1, lo, HEADERS + this.used);
    d[lo] = ((key << 16) | 1) >>> 0;
    this.used++;
  }

  /** Drops the slot at ring position `r` and its histogram entries. */
  evict(r: number): void {
    const d = this.own();
    d[r * HEADER] = NONE;
    let kept = HEADERS;
    for (let i = HEADERS; i < HEADERS + this.used; i++) {
      if (((d[i] >>> 16) & 15) !== r) d[kept++] = d[i];
    }
    this.used = kept - HEADERS;
    // Give back room a shrinking histogram no longer needs.
    if (d.length - kept > Math.max(16, kept >> 2)) this.data = d.slice(0, kept + Math.max(8, this.used >> 3));
  }

  /** `data`, copied first when a save holds it (copy on write). */
  private own(): Uint32Array {
    if (this.shared) {
      this.data = this.data.slice();
      this.shared = false;
    }
    return this.data;
  }

  /** Drops every slot whose epoch is below `minEpoch`; true when the series is left empty. */
  expire(minEpoch: number): boolean {
    let live = 0;
    for (let r = 0; r < RING; r++) {
      const epoch = this.data[r * HEADER];
      if (epoch === NONE) continue;
      if (epoch < minEpoch) this.evict(r);
      else live++;
    }
    return live === 0;
  }

  get samples(): number {
    let n = 0;
    for (let r = 0; r < RING; r++) if (this.data[r * HEADER] !== NONE) n += this.data[r * HEADER + 1];
    return n;
  }

  /** Stats over the slots whose ring positions are in `mask` (bit r); all slots by default. */
  stats(mask = 0xffff): ContainerUsageStats & { cpuP50: number; cpuMax: number } {
    const d = this.data;
    let samples = 0;
    let memoryMax = 0;
    let first = Infinity;
    let last = -Infinity;
    for (let r = 0; r < RING; r++) {
      const h = r * HEADER;
      if (d[h] === NONE || !(mask & (1 << r))) continue;
      samples += d[h + 1];
      memoryMax = Math.max(memoryMax, d[h + 5] * TWO32 + d[h + 4]);
      first = Math.min(first, d[h + 2]);
      last = Math.max(last, d[h + 3]);
    }
    const p50 = Math.max(1, Math.ceil(0.5 * samples));
    const p95 = Math.max(1, Math.ceil(0.95 * samples));
    let seen = 0;
    let cpuP50 = 0;
    let cpuP95 = 0;
    let cpuMax = 0;
    for (let i = HEADERS; i < HEADERS + this.used; i++) {
      const e = d[i];
      if (!(mask & (1 << ((e >>> 16) & 15)))) continue;
      const before = seen;
      seen += e & MAX_COUNT;
      const value = cpuBucketValue(e >>> 20);
      if (before < p50 && seen >= p50) cpuP50 = value;
      if (before < p95 && seen >= p95) cpuP95 = value;
      cpuMax = value;
    }
    return {
      samples,
      cpuP95,
      memoryMax,
      firstSampleAt: first * 1000,
      lastSampleAt: last * 1000,
      cpuP50,
      cpuMax,
    };
  }

  /** Ring positions of the slots held, oldest first. */
  slots(): number[] {
    const held: number[] = [];
    for (let r = 0; r < RING; r++) if (this.data[r * HEADER] !== NONE) held.push(r);
    return held.sort((a, b) => this.data[a * HEADER] - this.data[b * HEADER]);
  }

  epochAt(r: number): number {
    return this.data[r * HEADER];
  }
}

/**
 * The service's usage history (see the top of this file). Samples come from PodMetrics reads between scans and
 * from each scan's own read; the scans' rules read `statsFor`.
 */
export class UsageHistory implements UsageSource {
  readonly slotMs: number;
  private readonly series = new Map<string, Series[]>();
  private minEpoch = 0;

  constructor(readonly windowMs: number) {
    this.slotMs = Math.max(1, Math.floor(windowMs / SLOTS_PER_WINDOW));
  }

  /** Adds one read of PodMetrics: `samples` attributed to `workloads`. */
  record(workloads: readonly Workload[], samples: readonly UsageSample[], now: number): void {
    const peaks = new UsagePeaks(workloads);
    for (const sample of samples) peaks.add(sample);
    this.recordPeaks(workloads, peaks, now);
  }

  /** Adds one read of PodMetrics, already reduced to per-workload peaks as it was read, taken at `now` (ms). */
  recordPeaks(workloads: readonly Workload[], peaks: UsagePeaks, now: number): void {
    this.expire(now);
    const epoch = Math.floor(now / this.slotMs);
    if (epoch < this.minEpoch) return;
    const seconds = Math.floor(now / 1000);
    for (const workload of workloads) {
      const peak = peaks.of(workload);
      if (!peak || peak.size === 0) continue;
      const key = workloadRef(workload);
      let containers = this.series.get(key);
      if (!containers) this.series.set(key, (containers = []));
      for (const [name, p] of peak) {
        let s = containers.find((c) => c.name === name);
        if (!s) containers.push((s = new Series(name)));
        s.add(epoch, seconds, p.cpu, p.memory);
      }
    }
  }

  /** Forgets the workloads not among `workloads` (a complete read found them gone). */
  retain(workloads: readonly Workload[]): void {
    const present = new Set<string>();
    for (const w of workloads) present.add(workloadRef(w));
    for (const key of this.series.keys()) if (!present.has(key)) this.series.delete(key);
  }

  /** Drops the slots wholly older than the window at `now`. */
  expire(now: number): void {
    // A slot [e·slot, (e+1)·slot) is kept while its end is after now − window.
    const minEpoch = Math.floor((now - this.windowMs) / this.slotMs);
    if (minEpoch <= this.minEpoch) return;
    this.minEpoch = minEpoch;
    for (const [key, containers] of this.series) {
      let kept = 0;
      for (const s of containers) if (!s.expire(minEpoch)) containers[kept++] = s;
      containers.length = kept;
      if (kept === 0) this.series.delete(key);
    }
  }

  statsFor(workload: Workload): ReadonlyMap<string, ContainerUsageStats> {
    const stats = new Map<string, ContainerUsageStats>();
    for (const s of this.series.get(workloadRef(workload)) ?? []) {
      const { samples, cpuP95, memoryMax, firstSampleAt, lastSampleAt } = s.stats();
      stats.set(s.name, { samples, cpuP95, memoryMax, firstSampleAt, lastSampleAt });
    }
    return stats;
  }

  /** Per container, its slots oldest first: what a chart of usage over the window draws. */
  timeline(workload: Workload): ReadonlyMap<string, UsageSlot[]> {
    const out = new Map<string, UsageSlot[]>();
    for (const s of this.series.get(workloadRef(workload)) ?? []) {
      out.set(
        s.name,
        s.slots().map((r) => {
          const st = s.stats(1 << r);
          const from = s.epochAt(r) * this.slotMs;
          return {
            from,
            to: from + this.slotMs,
            samples: st.samples,
            firstSampleAt: st.firstSampleAt!,
            lastSampleAt: st.lastSampleAt!,
            cpuP50: st.cpuP50,
            cpuP95: st.cpuP95,
            cpuMax: st.cpuMax,
            memoryMax: st.memoryMax,
          };
        }),
      );
    }
    return out;
  }

  /** Samples held in all series (tests, figures). */
  get sampleCount(): number {
    let n = 0;
    for (const containers of this.series.values()) for (const s of containers) n += s.samples;
    return n;
  }

  /** Containers with usage held. */
  get seriesCount(): number {
    let n = 0;
    for (const containers of this.series.values()) n += containers.length;
    return n;
  }

  /**
   * The history as file bytes: one line of JSON (the header: format, version, window, slot, cluster, body length
   * and SHA-256), then the body: per workload its key and containers, per container its name and its Uint32Array.
   * One Buffer of exactly the file's size; `encodeChunks` gives the same bytes without holding them all.
   */
  encode(cluster: string, savedAt: number): Buffer {
    const parts = this.capture();
    const { header, bodyBytes } = this.fileHeader(cluster, savedAt, parts);
    const out = Buffer.allocUnsafe(header.length + bodyBytes);
    header.copy(out);
    let at = header.length;
    for (const piece of bodyPieces(new ByteWriter(1 << 16), parts)) {
      out.set(piece, at);
      at += piece.length;
    }
    return out;
  }

  /**
   * `encode`'s bytes as the header line and then pieces of the body of at most `chunkBytes` each, made as they
   * are asked for, so that saving a history of 20 MiB holds one chunk beside it rather than a copy of it. Every
   * piece of the body is the same reused buffer: a consumer must be done with a chunk before it asks for the
   * next one (writing each to a file in turn, as `FileHandle.writeFile` does). The history must not change until
   * the last chunk was taken.
   */
  *encodeChunks(cluster: string, savedAt: number, chunkBytes = 1 << 20): Generator<Buffer, void, undefined> {
    // The history as it is now: series changed while the chunks are written (a sample between two writes) copy
    // their arrays first, so the file is this moment's, and its header's length and SHA-256 hold.
    const parts = this.capture();
    for (const part of parts) for (const s of part.series) s.series.shared = true;
    try {
      const { header } = this.fileHeader(cluster, savedAt, parts);
      yield header;
      for (const piece of bodyPieces(new ByteWriter(chunkBytes), parts)) yield piece;
    } finally {
      for (const part of parts) for (const s of part.series) if (s.data === s.series.data) s.series.shared = false;
    }
  }

  /** What the body holds, with each series' array and length as they are now. */
  private capture(): CapturedWorkload[] {
    const parts: CapturedWorkload[] = [];
    for (const [key, containers] of this.series) {
      parts.push({ key, series: containers.map((s) => ({ series: s, name: s.name, data: s.data, used: s.used })) });
    }
    return parts;
  }

  /** The header line (with the body's length and SHA-256, from a first pass over the body). */
  private fileHeader(
    cluster: string,
    savedAt: number,
    parts: readonly CapturedWorkload[],
  ): { header: Buffer; bodyBytes: number } {
    const hash = createHash('sha256');
    let bodyBytes = 0;
    for (const piece of bodyPieces(new ByteWriter(1 << 16), parts)) {
      hash.update(piece);
      bodyBytes += piece.length;
    }
    const header = {
      format: HISTORY_FORMAT,
      version: HISTORY_FORMAT_VERSION,
      windowMs: this.windowMs,
      slotMs: this.slotMs,
      cluster,
      savedAt: new Date(savedAt).toISOString(),
      minEpoch: this.minEpoch,
      bodyBytes,
      sha256: hash.digest('hex'),
    };
    return { header: Buffer.from(`${JSON.stringify(header)}\n`), bodyBytes };
  }

  /** Reads `encode`'s bytes; throws HistoryFormatError saying what is wrong (torn, foreign, other version …). */
  static decode(bytes: Buffer, expected: Omit<HistoryMeta, 'slotMs'>): UsageHistory {
    const newline = bytes.indexOf(10);
    if (newline < 0 || newline > 4096) throw new HistoryFormatError('no header line (not a usage history file)');
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(bytes.subarray(0, newline).toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new HistoryFormatError('the header is not JSON (not a usage history file)');
    }
    if (header === null || typeof header !== 'object' || header.format !== HISTORY_FORMAT)
      throw new HistoryFormatError(`format is ${JSON.stringify(header?.format)}, not "${HISTORY_FORMAT}"`);
    if (header.version !== HISTORY_FORMAT_VERSION)
      throw new HistoryFormatError(
        `format version ${JSON.stringify(header.version)}; this agent reads version ${HISTORY_FORMAT_VERSION}`,
      );
    if (header.cluster !== expected.cluster)
      throw new HistoryFormatError(
        `it holds cluster ${JSON.stringify(header.cluster)}, this agent reads ${JSON.stringify(expected.cluster)}`,
      );
    if (header.windowMs !== expected.windowMs)
      throw new HistoryFormatError(
        `its window is ${String(header.windowMs)} ms, overProvisioning.window is ${expected.windowMs} ms`,
      );
    const body = bytes.subarray(newline + 1);
    if (body.length !== header.bodyBytes)
      throw new HistoryFormatError(
        `truncated: the body has ${body.length} bytes, the header says ${String(header.bodyBytes)}`,
      );
    if (createHash('sha256').update(body).digest('hex') !== header.sha256)
      throw new HistoryFormatError('corrupt: the body does not match its SHA-256');
    const history = new UsageHistory(expected.windowMs);
    if (typeof header.minEpoch === 'number') history.minEpoch = header.minEpoch;
    const r = new ByteReader(body);
    try {
      for (let n = r.u32(); n > 0; n--) {
        const key = r.str();
        const containers: Series[] = [];
        for (let c = r.u32(); c > 0; c--) {
          const name = r.str();
          const used = r.u32();
          const data = r.words(HEADERS + used, Math.ceil(used / 8));
          containers.push(new Series(name, data, used));
        }
        if (containers.length > 0) history.series.set(key, containers);
      }
      if (!r.atEnd) throw new HistoryFormatError('bytes left after the last series');
    } catch (error) {
      if (error instanceof HistoryFormatError) throw error;
      throw new HistoryFormatError(`corrupt body: ${error instanceof Error ? error.message : String(error)}`);
    }
    return history;
  }
}

/** A workload's series as a save found them: each series' array and length at that moment. */
interface CapturedWorkload {
  key: string;
  series: { series: Series; name: string; data: Uint32Array; used: number }[];
}

/** The body of `parts` through `w`: yields its buffer each time it is full, and the rest at the end. */
function* bodyPieces(w: ByteWriter, parts: readonly CapturedWorkload[]): Generator<Buffer, void, undefined> {
  w.u32(parts.length);
  for (const { key, series } of parts) {
    w.str(key);
    w.u32(series.length);
    for (const s of series) {
      w.str(s.name);
      w.u32(s.used);
      const words = s.data.subarray(0, HEADERS + s.used);
      for (let at = 0; at < words.length;) {
        at += w.words(words, at);
        if (w.full) yield w.take();
      }
      if (w.nearlyFull) yield w.take();
    }
  }
  if (w.size > 0) yield w.take();
}

/**
 * Fills one buffer of `capacity` bytes that its user empties (`take`) when it is full: the body is written in
 * pieces of at most `capacity` bytes. A record of numbers or a string goes in whole (the buffer is taken first
 * when `nearlyFull`); the words of a series fill it to the end and go on in the next piece.
 */
class ByteWriter {
  private readonly buf: Buffer;
  private at = 0;

  constructor(capacity: number) {
    // Room for the longest record that goes in whole: a name (at most 4 KiB of UTF-8 in practice) and its length.
    this.buf = Buffer.allocUnsafe(Math.max(capacity, 1 << 16));
  }

  get size(): number {
    return this.at;
  }

  /** No room left for words. */
  get full(): boolean {
    return this.at + 4 > this.buf.length;
  }

  /** Less room left than a whole record of key, counts and name may need. */
  get nearlyFull(): boolean {
    return this.buf.length - this.at < 1 << 15;
  }

  /** The bytes written since the last `take` (a view: valid until the next write). */
  take(): Buffer {
    const out = this.buf.subarray(0, this.at);
    this.at = 0;
    return out;
  }

  private room(n: number): void {
    if (this.at + n > this.buf.length)
      throw new RangeError(`a record of ${n} bytes does not fit a ${this.buf.length}-byte chunk`);
  }

  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32LE(v, this.at);
    this.at += 4;
  }

  str(s: string): void {
    const n = Buffer.byteLength(s);
    this.u32(n);
    this.room(n);
    this.buf.write(s, this.at, 'utf8');
    this.at += n;
  }

  /** As many of `a`'s words from `from` on as fit; returns how many went in. */
  words(a: Uint32Array, from: number): number {
    const n = Math.min(a.length - from, Math.floor((this.buf.length - this.at) / 4));
    if (ENDIAN_LE) this.buf.set(new Uint8Array(a.buffer, a.byteOffset + 4 * from, 4 * n), this.at);
    else for (let i = 0; i < n; i++) this.buf.writeUInt32LE(a[from + i], this.at + 4 * i);
    this.at += 4 * n;
    return n;
  }
}

class ByteReader {
  private at = 0;

  constructor(private readonly buf: Buffer) {}

  get atEnd(): boolean {
    return this.at === this.buf.length;
  }

  private need(n: number): void {
    if (this.at + n > this.buf.length) throw new HistoryFormatError('corrupt body: a record runs past the end');
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.at);
    this.at += 4;
    return v;
  }

  str(): string {
    const n = this.u32();
    this.need(n);
    const s = this.buf.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }

  /** `n` words, in an array with `spare` words of room after them. */
  words(n: number, spare: number): Uint32Array {
    this.need(4 * n);
    const a = new Uint32Array(n + spare);
    if (ENDIAN_LE) new Uint8Array(a.buffer).set(this.buf.subarray(this.at, this.at + 4 * n));
    else for (let i = 0; i < n; i++) a[i] = this.buf.readUInt32LE(this.at + 4 * i);
    this.at += 4 * n;
    return a;
  }
}

const ENDIAN_LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
