import { historyInputs } from '../../../../bench/history';
import { UsagePeaks } from './usage-peaks';
import { percentile } from './usage-stats';
import type { UsageSample } from '../usage';
import type { Workload } from '../workload';
import { workloadRef } from '../workload';
import { cpuBucket, cpuBucketValue, HistoryFormatError, SLOTS_PER_WINDOW, UsageHistory } from './usage-history';

const MI = 2 ** 20;
const MINUTE = 60_000;
const DAY = 86_400_000;
const T0 = Date.parse('2026-11-20T00:00:00Z');
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
  it('adds one sample per read per container: the busiest Pod', () => {
    const sut = new UsageHistory(DAY);
    sut.record([web], [sample('a', 100, 10 * MI), sample('b', 300, 5 * MI), sample('x', 999, MI, { app: 'o' })], T0);
    sut.record([web], [sample('a', 200, 20 * MI)], T0 + MINUTE);
    const stats = sut.statsFor(web).get('app')!;
    expect(stats.samples).toBe(2);
    expect(stats.memoryMax).toBe(20 * MI);
    expect(stats.cpuP95 / 300).toBeCloseTo(1, 1);
    expect(stats.firstSampleAt).toBe(T0);
    expect(stats.lastSampleAt).toBe(T0 + MINUTE);
  });

  it('reads CPU within 2.5 % from 0.1 millicores up, and 0 below', () => {
    for (let m = 0.1; m < 1e7; m *= 1.013) {
      expect(Math.abs(cpuBucketValue(cpuBucket(m)) / m - 1)).toBeLessThanOrEqual(0.025);
    }
    expect(cpuBucketValue(cpuBucket(0))).toBe(0);
    expect(cpuBucketValue(cpuBucket(0.05))).toBe(0);
  });

  it('drops slots wholly older than the window, a slot (window ÷ 14) at a time', () => {
    const window = 14 * DAY;
    const sut = new UsageHistory(window);
    expect(sut.slotMs).toBe(DAY);
    const start = T0; // midnight: slots are days
    for (let t = start; t < start + 20 * DAY; t += 60 * MINUTE) sut.record([web], [sample('a', 5, MI)], t);
    const last = start + 20 * DAY - 60 * MINUTE;
    const stats = sut.statsFor(web).get('app')!;
    // now − 14 days is day 5, 23:00: day 5 still ends after it and is kept whole; days 0–4 are gone.
    expect(stats.firstSampleAt).toBe(start + 5 * DAY);
    expect(stats.lastSampleAt).toBe(last);
    expect(stats.samples).toBe((SLOTS_PER_WINDOW + 1) * 24);
    expect(sut.timeline(web).get('app')).toHaveLength(SLOTS_PER_WINDOW + 1);
    // An hour later day 5 is wholly older than the window.
    sut.record([web], [sample('a', 5, MI)], last + 60 * MINUTE);
    expect(sut.statsFor(web).get('app')!.firstSampleAt).toBe(start + 6 * DAY);
  });

  it('keeps memory per container independent of the window: 7 days and 30 days at 1 minute', () => {
    const bytes = (window: number) => {
      const sut = new UsageHistory(window);
      let x = 1;
      for (let t = T0; t < T0 + window; t += MINUTE) {
        x = (x * 48271) % 2147483647;
        sut.record([web], [sample('a', 100 + (x % 200), MI + (x % 1000))], t);
      }
      return { encoded: sut.encode('c', T0).length, samples: sut.sampleCount };
    };
    const week = bytes(7 * DAY);
    const month = bytes(30 * DAY);
    expect(month.samples).toBeGreaterThan(4 * week.samples * 0.9);
    expect(month.encoded).toBeLessThan(week.encoded * 1.2);
    expect(month.encoded).toBeLessThan(3000);
  });

  it('counts past 65,535 samples of one bucket in one slot', () => {
    const sut = new UsageHistory(14 * DAY);
    const peaks = new UsagePeaks([web]);
    peaks.add(sample('a', 50, MI));
    for (let i = 0; i < 70_000; i++) sut.recordPeaks([web], peaks, T0 + i);
    const peaks2 = new UsagePeaks([web]);
    peaks2.add(sample('a', 5000, MI));
    for (let i = 0; i < 10_000; i++) sut.recordPeaks([web], peaks2, T0 + 70_000 + i);
    const stats = sut.statsFor(web).get('app')!;
    expect(stats.samples).toBe(80_000);
    // 70,000 of 80,000 (87.5 %) at 50m: the p95 is the 5000m bucket.
    expect(stats.cpuP95 / 5000).toBeCloseTo(1, 1);
    expect(sut.timeline(web).get('app')![0].cpuP50 / 50).toBeCloseTo(1, 1);
  });

  it('forgets workloads not retained', () => {
    const sut = new UsageHistory(DAY);
    sut.record([web], [sample('a', 1, MI)], T0);
    sut.retain([web]);
    expect(sut.sampleCount).toBe(1);
    sut.retain([]);
    expect(sut.sampleCount).toBe(0);
  });

  it('on the bench data, reads p95 within 5 % of the exact percentile and the exact memory peak', () => {
    const inputs = historyInputs('tiny', 7);
    const window = 14 * DAY;
    const interval = 20 * MINUTE; // 14 days of readings; memory does not depend on how many
    const sut = new UsageHistory(window);
    const exact = new Map<string, { cpu: number[]; memory: number }>();
    for (let t = T0; t < T0 + window; t += interval) {
      inputs.draw();
      sut.recordPeaks(inputs.workloads, inputs.peaks, t);
      for (const w of inputs.workloads) {
        for (const [name, p] of inputs.peaks.of(w) ?? []) {
          const key = `${workloadRef(w)}/${name}`;
          const e = exact.get(key) ?? { cpu: [], memory: 0 };
          e.cpu.push(p.cpu);
          e.memory = Math.max(e.memory, p.memory);
          exact.set(key, e);
        }
      }
    }
    let checked = 0;
    let worst = 0;
    for (const w of inputs.workloads) {
      for (const [name, stats] of sut.statsFor(w)) {
        const e = exact.get(`${workloadRef(w)}/${name}`)!;
        const p95 = percentile(
          [...e.cpu].sort((a, b) => a - b),
          95,
        );
        expect(stats.samples).toBe(e.cpu.length);
        expect(stats.memoryMax).toBe(e.memory);
        worst = Math.max(worst, Math.abs(stats.cpuP95 / p95 - 1));
        checked++;
      }
    }
    expect(checked).toBe(inputs.series);
    expect(worst).toBeLessThanOrEqual(0.05);
  });

  describe('file format', () => {
    const filled = () => {
      const sut = new UsageHistory(14 * DAY);
      for (let i = 0; i < 500; i++)
        sut.record([web], [sample('a', 10 + (i % 37), MI * (1 + (i % 11)))], T0 + i * 15 * MINUTE);
      return sut;
    };
    const meta = { windowMs: 14 * DAY, cluster: 'https://k8s.example:6443' };

    it('loads what it saved: the same stats and timeline', () => {
      const sut = filled();
      const loaded = UsageHistory.decode(sut.encode(meta.cluster, T0), meta);
      expect(loaded.statsFor(web)).toEqual(sut.statsFor(web));
      expect(loaded.timeline(web)).toEqual(sut.timeline(web));
      // and it goes on recording
      loaded.record([web], [sample('a', 1, 99 * MI)], T0 + 600 * 15 * MINUTE);
      expect(loaded.statsFor(web).get('app')!.memoryMax).toBe(99 * MI);
    });

    it.each([
      ['truncated', (b: Buffer) => b.subarray(0, b.length - 7), /truncated/],
      ['corrupt', (b: Buffer) => Buffer.from(b).fill(0x41, b.length - 40, b.length - 30), /corrupt/],
      ['foreign', () => Buffer.from('hello world\n'), /not a usage history file/],
      ['empty', () => Buffer.alloc(0), /no header line/],
      [
        'of another version',
        (b: Buffer) => Buffer.from(b.toString('latin1').replace('"version":1', '"version":2'), 'latin1'),
        /format version 2/,
      ],
    ])('refuses a %s file, saying why', (_what, spoil, reason) => {
      const bytes = spoil(filled().encode(meta.cluster, T0));
      expect(() => UsageHistory.decode(bytes, meta)).toThrow(HistoryFormatError);
      expect(() => UsageHistory.decode(bytes, meta)).toThrow(reason);
    });

    /** 300 workloads of 2 containers, a day of readings 15 minutes apart: a body of about 250 KB. */
    const many = () => {
      const workloads: Workload[] = [];
      for (let i = 0; i < 300; i++) {
        workloads.push({
          ...web,
          name: `w-${i}`,
          selector: { matchLabels: { app: `w-${i}` } },
          containers: ['app', 'sidecar'].map((name) => ({
            name,
            role: 'container' as const,
            path: 'x',
            requests: {},
            limits: {},
          })),
        });
      }
      const sut = new UsageHistory(14 * DAY);
      const read = (i: number) =>
        workloads.map((w, k) => ({
          namespace: 'shop',
          pod: `${w.name}-0`,
          labels: { app: w.name },
          containers: [
            { name: 'app', cpu: 1 + ((i * 37 + k) % 900), memory: MI * (1 + ((i + k) % 13)) },
            { name: 'sidecar', cpu: 1 + ((i * 11 + k) % 50), memory: MI },
          ],
        }));
      for (let i = 0; i < 96; i++) sut.record(workloads, read(i), T0 + i * 15 * MINUTE);
      return { sut, workloads, read };
    };

    it('streams the same bytes as encode, in chunks no larger than asked for', () => {
      const { sut } = many();
      const whole = sut.encode(meta.cluster, T0);
      const chunks: Buffer[] = [];
      for (const chunk of sut.encodeChunks(meta.cluster, T0, 1 << 16)) chunks.push(Buffer.from(chunk));
      expect(chunks.length).toBeGreaterThan(3);
      for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(1 << 16);
      expect(Buffer.concat(chunks).equals(whole)).toBe(true);
    });

    it('streams the history as it was when the save began, though samples arrive between chunks', () => {
      const { sut, workloads, read } = many();
      const before = sut.encode(meta.cluster, T0);
      const chunks: Buffer[] = [];
      let i = 96;
      for (const chunk of sut.encodeChunks(meta.cluster, T0, 1 << 16)) {
        chunks.push(Buffer.from(chunk));
        // A sample lands while the file is written (and, later, one that evicts the oldest slot).
        sut.record(workloads, read(i), T0 + i * 15 * MINUTE + (i === 99 ? 15 * DAY : 0));
        i++;
      }
      const saved = Buffer.concat(chunks);
      expect(saved.equals(before)).toBe(true);
      const loaded = UsageHistory.decode(saved, meta);
      expect(loaded.sampleCount).toBe(96 * 600);
      // The live history kept the samples that arrived meanwhile.
      expect(sut.statsFor(workloads[0]).get('app')!.lastSampleAt).toBe(T0 + 99 * 15 * MINUTE + 15 * DAY);
      // and once the save is over, a change no longer copies (the next file holds it).
      const next = UsageHistory.decode(sut.encode(meta.cluster, T0), meta);
      expect(next.sampleCount).toBe(sut.sampleCount);
    });

    it('refuses a file of another cluster or window', () => {
      const bytes = filled().encode(meta.cluster, T0);
      expect(() => UsageHistory.decode(bytes, { ...meta, cluster: 'https://other:6443' })).toThrow(/holds cluster/);
      expect(() => UsageHistory.decode(bytes, { ...meta, windowMs: 7 * DAY })).toThrow(/window/);
    });
  });
});
