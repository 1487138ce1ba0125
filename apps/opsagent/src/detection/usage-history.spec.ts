import type { UsageSample } from '@opsagent/core/usage';
import type { Workload } from '@opsagent/core/workload';
import { mulberry32 } from '../../../../tools/k8s-simulator/random';
import { UsageHistory } from './usage-history';

const MI = 2 ** 20;
const web: Workload = {
  kind: 'Deployment',
  apiVersion: 'apps/v1',
  namespace: 'shop',
  name: 'web',
  annotations: {},
  templateAnnotations: {},
  selector: { matchLabels: { app: 'web' } },
  replicas: 2,
  containers: [{ name: 'app', role: 'container', path: 'x', requests: {}, limits: {} }],
};
const sample = (pod: string, cpu: number, memory: number, labels = { app: 'web' }): UsageSample => ({
  namespace: 'shop',
  pod,
  labels,
  containers: [{ name: 'app', cpu, memory }],
});

describe('UsageHistory', () => {
  it('adds one sample per scan per container: the busiest Pod', () => {
    const sut = new UsageHistory(60 * 60_000);
    sut.record(
      [web],
      [sample('a', 100, 10 * MI), sample('b', 300, 5 * MI), sample('x', 999, MI, { app: 'other' })],
      0,
      true,
    );
    sut.record([web], [sample('a', 200, 20 * MI)], 60_000, true);
    expect(sut.statsFor(web).get('app')).toEqual({ samples: 2, cpuP95: 300, memoryMax: 20 * MI });
  });

  it('drops samples older than the window', () => {
    const sut = new UsageHistory(10 * 60_000);
    for (let minute = 0; minute <= 30; minute += 5) sut.record([web], [sample('a', minute, MI)], minute * 60_000, true);
    // minutes 20, 25, 30 are within 10 minutes of minute 30
    expect(sut.statsFor(web).get('app')?.samples).toBe(3);
    expect(sut.sampleCount).toBe(3);
  });

  it('forgets workloads that disappeared, unless told the read was incomplete', () => {
    const sut = new UsageHistory(60 * 60_000);
    sut.record([web], [sample('a', 1, MI)], 0, true);
    sut.record([], [], 1000, false);
    expect(sut.sampleCount).toBe(1);
    sut.record([], [], 2000, true);
    expect(sut.sampleCount).toBe(0);
  });
});

/**
 * The history as a list of (time, cpu, memory) per container, sorted by insertion, dropped from the front while
 * older than the window; stats by sorting a copy. What UsageHistory must answer, sample for sample.
 */
class ReferenceHistory {
  private readonly series = new Map<string, Map<string, { time: number; cpu: number; memory: number }[]>>();

  constructor(private readonly windowMs: number) {}

  record(workloads: readonly Workload[], samples: readonly UsageSample[], now: number, forgetMissing: boolean): void {
    const present = new Set<string>();
    for (const w of workloads) {
      const key = `${w.kind} ${w.namespace}/${w.name}`;
      present.add(key);
      const peak = new Map<string, { cpu: number; memory: number }>();
      for (const s of samples) {
        if (s.namespace !== w.namespace || s.labels.app !== w.selector?.matchLabels?.app) continue;
        for (const c of s.containers) {
          const p = peak.get(c.name) ?? { cpu: -Infinity, memory: -Infinity };
          peak.set(c.name, { cpu: Math.max(p.cpu, c.cpu), memory: Math.max(p.memory, c.memory) });
        }
      }
      if (peak.size === 0) continue;
      if (!this.series.has(key)) this.series.set(key, new Map());
      const containers = this.series.get(key)!;
      for (const [name, p] of peak) {
        if (!containers.has(name)) containers.set(name, []);
        containers.get(name)!.push({ time: now, ...p });
      }
    }
    for (const [key, containers] of this.series) {
      if (forgetMissing && !present.has(key)) this.series.delete(key);
      else {
        for (const [name, list] of containers) {
          while (list.length > 0 && list[0].time < now - this.windowMs) list.shift();
          if (list.length === 0) containers.delete(name);
        }
        if (containers.size === 0) this.series.delete(key);
      }
    }
  }

  statsFor(w: Workload): Map<string, { samples: number; cpuP95: number; memoryMax: number }> {
    const out = new Map<string, { samples: number; cpuP95: number; memoryMax: number }>();
    for (const [name, list] of this.series.get(`${w.kind} ${w.namespace}/${w.name}`) ?? []) {
      const cpu = list.map((s) => s.cpu).sort((a, b) => a - b);
      out.set(name, {
        samples: list.length,
        cpuP95: cpu[Math.max(1, Math.ceil(0.95 * cpu.length)) - 1],
        memoryMax: Math.max(0, ...list.map((s) => s.memory)),
      });
    }
    return out;
  }

  get sampleCount(): number {
    let n = 0;
    for (const containers of this.series.values()) for (const list of containers.values()) n += list.length;
    return n;
  }
}

const deployment = (name: string, containers = ['app']): Workload => ({
  ...web,
  name,
  selector: { matchLabels: { app: name } },
  containers: containers.map((c) => ({ name: c, role: 'container', path: 'x', requests: {}, limits: {} })),
});

/** The private parts a few tests look at: ring capacity, the scan-time table, the scan counter. */
interface Internals {
  series: Map<string, { capacity: number; size: number }[]>;
  scanTimes: number[];
  firstScan: number;
  nextScan: number;
}
const internals = (h: UsageHistory) => h as unknown as Internals;

describe('UsageHistory against a plain-array reference', () => {
  const workloads = [deployment('a'), deployment('b', ['app', 'sidecar']), deployment('c', ['app', 'x', 'y'])];

  /**
   * Random scans: irregular intervals (ties, short bursts, gaps longer than the window, the clock set back),
   * Pods coming and going, memory rising and falling in runs (the deque's worst and best cases), CPU now and
   * then beyond uint32 or fractional, workloads disappearing with and without a complete read.
   */
  function compare(seed: number, scans: number, options: { windowMs: number; start: number; firstScan?: number }) {
    const rng = mulberry32(seed);
    const int = (n: number) => Math.floor(rng() * n);
    const sut = new UsageHistory(options.windowMs);
    if (options.firstScan !== undefined) {
      internals(sut).firstScan = options.firstScan;
      internals(sut).nextScan = options.firstScan;
    }
    const ref = new ReferenceHistory(options.windowMs);
    const memory = new Map<string, number>();
    let trend = 1;
    let now = options.start;
    for (let scan = 0; scan < scans; scan++) {
      const r = rng();
      now +=
        r < 0.05
          ? 0
          : r < 0.08
            ? -int(options.windowMs)
            : r < 0.12
              ? options.windowMs + int(options.windowMs)
              : r < 0.2
                ? 1 + int(1000)
                : 60_000 + int(600_000);
      if (rng() < 0.1) trend = -trend;
      const present = workloads.filter(() => rng() < 0.9);
      const samples: UsageSample[] = [];
      for (const w of present) {
        for (let pod = int(4); pod > 0; pod--) {
          samples.push({
            namespace: 'shop',
            pod: `${w.name}-${pod}`,
            labels: { app: w.name },
            containers: w.containers
              .filter(() => rng() < 0.8)
              .map((c) => {
                const key = `${w.name}/${c.name}`;
                const m = Math.max(0, (memory.get(key) ?? 2 ** 31) + trend * int(2 ** 28) - 2 ** 26);
                memory.set(key, m);
                const cpu = rng() < 0.02 ? 2 ** 32 + int(1000) : rng() < 0.02 ? int(1000) + 0.5 : int(4000);
                return { name: c.name, cpu, memory: m };
              }),
          });
        }
      }
      const forget = rng() < 0.8;
      sut.record(present, samples, now, forget);
      ref.record(present, samples, now, forget);
      expect(sut.sampleCount).toBe(ref.sampleCount);
      for (const w of workloads) expect(sut.statsFor(w)).toEqual(ref.statsFor(w));
    }
    return sut;
  }

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('gives the same samples, p95 and max memory (seed %i)', (seed) => {
    compare(seed, 600, { windowMs: 60 * 60_000, start: Date.UTC(2026, 0, 1) });
  });

  it('keeps exact times long after the first scan and across the wrap of the scan counter', () => {
    // Starting at 2^32 - 300 scans, the counter wraps to 0 halfway. A 30-day window (the longest config allows)
    // with gaps of 30 to 60 days: the clock ends up years past the first scan, far beyond 2^32 ms (49.7 days).
    const sut = compare(99, 600, { windowMs: 30 * 86_400_000, start: Date.UTC(2026, 0, 1), firstScan: 2 ** 32 - 300 });
    expect(internals(sut).nextScan).toBe(300);
    expect(internals(sut).scanTimes.length).toBeLessThan(600);
  });

  it('holds a sample exactly `window` old and drops one a millisecond older', () => {
    const sut = new UsageHistory(10 * 60_000);
    const t0 = Date.UTC(2026, 5, 1, 12, 0, 0, 123);
    sut.record([web], [sample('a', 1, MI)], t0, true);
    sut.record([web], [sample('a', 2, 2 * MI)], t0 + 1, true);
    sut.record([web], [sample('a', 3, MI)], t0 + 10 * 60_000, true);
    expect(sut.statsFor(web).get('app')).toEqual({ samples: 3, cpuP95: 3, memoryMax: 2 * MI });
    sut.record([web], [sample('a', 4, MI)], t0 + 10 * 60_000 + 1, true);
    expect(sut.statsFor(web).get('app')).toEqual({ samples: 3, cpuP95: 4, memoryMax: 2 * MI });
    sut.record([web], [sample('a', 5, MI)], t0 + 10 * 60_000 + 2, true);
    expect(sut.statsFor(web).get('app')).toEqual({ samples: 3, cpuP95: 5, memoryMax: MI });
  });

  it('keeps the sliding maximum of memory while it falls, rises and leaves the window', () => {
    const sut = new UsageHistory(5 * 60_000);
    const ref = new ReferenceHistory(5 * 60_000);
    // Falling for 20 minutes (every value may yet be the maximum), then rising, then a single spike.
    const memory = [
      ...Array.from({ length: 20 }, (_, i) => (100 - i) * MI),
      ...Array.from({ length: 20 }, (_, i) => (60 + i) * MI),
      500 * MI,
      ...Array.from({ length: 10 }, () => MI),
    ];
    memory.forEach((m, minute) => {
      sut.record([web], [sample('a', 1, m)], minute * 60_000, true);
      ref.record([web], [sample('a', 1, m)], minute * 60_000, true);
      expect(sut.statsFor(web).get('app')?.memoryMax).toBe(ref.statsFor(web).get('app')?.memoryMax);
    });
    expect(sut.statsFor(web).get('app')?.memoryMax).toBe(MI);
  });

  it('keeps memory above 2^32 bytes and CPU above 2^32 - 1 millicores exact', () => {
    const sut = new UsageHistory(60 * 60_000);
    const big = 5 * 2 ** 30 + 7;
    sut.record([web], [sample('a', 7, big)], 0, true);
    sut.record([web], [sample('a', 2 ** 32 + 5, big - 1)], 60_000, true);
    sut.record([web], [sample('a', 2.5, 2 ** 53 - 1)], 120_000, true);
    expect(sut.statsFor(web).get('app')).toEqual({ samples: 3, cpuP95: 2 ** 32 + 5, memoryMax: 2 ** 53 - 1 });
    sut.record([web], [sample('a', 1, 1)], 3_720_001, true);
    expect(sut.statsFor(web).get('app')).toEqual({ samples: 1, cpuP95: 1, memoryMax: 1 });
  });

  it('grows the ring while it wraps around, keeping the order of samples', () => {
    const sut = new UsageHistory(100 * 60_000);
    const ref = new ReferenceHistory(100 * 60_000);
    let now = 0;
    // One scan every 10 minutes until the window is full and the oldest samples have been dropped (the ring's
    // head is past its start), then one a minute: the ring grows with its samples wrapped around its end.
    for (let i = 0; i < 150; i++) {
      now += i < 30 ? 10 * 60_000 : 60_000;
      const s = [sample('a', (i * 7919) % 1000, ((i * 104_729) % 977) * MI)];
      sut.record([web], s, now, true);
      ref.record([web], s, now, true);
      expect(sut.statsFor(web)).toEqual(ref.statsFor(web));
    }
    expect(sut.statsFor(web).get('app')?.samples).toBe(101);
  });

  it('fits a 24h window at 5 minutes in 290 slots, and gives capacity back when the schedule slows', () => {
    const sut = new UsageHistory(24 * 3600_000);
    let now = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 300; i++) sut.record([web], [sample('a', i, MI)], (now += 5 * 60_000), true);
    const series = () => internals(sut).series.get('Deployment shop/web')![0];
    expect(series().size).toBe(289);
    expect(series().capacity).toBe(290);
    expect(internals(sut).scanTimes.length).toBe(289);
    for (let i = 0; i < 48; i++) sut.record([web], [sample('a', i, MI)], (now += 60 * 60_000), true);
    expect(series().size).toBe(25);
    expect(series().capacity).toBeLessThanOrEqual(40);
    expect(internals(sut).scanTimes.length).toBe(25);
  });

  it('forgets the times of past scans once no sample refers to them', () => {
    const sut = new UsageHistory(60 * 60_000);
    for (let i = 0; i < 100; i++) sut.record([web], [sample('a', 1, MI)], i * 60_000, true);
    expect(internals(sut).scanTimes.length).toBe(61);
    sut.record([], [], 100 * 60_000, true);
    expect(sut.sampleCount).toBe(0);
    expect(internals(sut).scanTimes).toEqual([]);
    sut.record([web], [sample('a', 2, MI)], 101 * 60_000, true);
    expect(sut.statsFor(web).get('app')).toEqual({ samples: 1, cpuP95: 2, memoryMax: MI });
  });
});
