import { OwnerIndex } from '@opsagent/core/audit/usage-attribution';
import type { PinoLogger } from 'nestjs-pino';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { UsagePeaks } from '@opsagent/core/audit/usage-peaks';
import { parseConfig } from '@opsagent/core/config/config.loader';
import type { OpsAgentConfig } from '@opsagent/core/config/config.schema';
import type { UsageSample } from '@opsagent/core/usage';
import type { Workload } from '@opsagent/core/workload';
import { DetectionService } from '../detection/detection.service';
import { IssueStore } from '../issues/issue-store.service';
import {
  ClusterReader,
  type ClusterSnapshot,
  type ReadOptions,
  type ReadAttribution,
} from '../kubernetes/cluster-reader';
import { METRIC } from '../metrics/metrics.names';
import { MetricsService } from '../metrics/metrics.service';
import { collectBytes, HistoryStore, type HistoryBytes, type HistoryPart } from './history-store';
import { USAGE_METRIC, UsageHistoryService } from './usage-history.service';

const GI = 2 ** 30;

/** A ClusterReader port serving a fixed cluster: `workloads`, and PodMetrics `metrics` (or an error) per read. */
class FakeReader extends ClusterReader {
  workloads: Workload[] = [];
  metrics: UsageSample[] | Error = [];
  clusterIdentity = 'https://fake:6443';
  usageReads = 0;
  async read(options: ReadOptions): Promise<ClusterSnapshot> {
    const snapshot: ClusterSnapshot = {
      workloads: this.workloads,
      skipped: {},
      failures: [],
      kindsAttempted: 8,
      warnings: [],
      requests: 8,
      bytes: 100,
      attribution: { workloads: this.workloads, owners: new OwnerIndex() },
    };
    if (this.metrics instanceof Error) snapshot.metricsError = this.metrics.message;
    else {
      const peaks = new UsagePeaks(this.workloads);
      for (const s of this.metrics) if (!options.acceptSample || options.acceptSample(s)) peaks.add(s);
      snapshot.usagePeaks = peaks;
    }
    return snapshot;
  }
  async readUsage(attribution: ReadAttribution, options: Parameters<ClusterReader['readUsage']>[1]) {
    this.usageReads++;
    if (this.metrics instanceof Error) throw this.metrics;
    const peaks = new UsagePeaks(attribution.workloads);
    for (const s of this.metrics) if (!options.acceptSample || options.acceptSample(s)) peaks.add(s);
    return { peaks, requests: 1, bytes: 10 };
  }
}

/** The history files as an in-memory port. */
class MemoryFiles extends HistoryStore {
  readonly parts = new Map<HistoryPart, Buffer>();
  failWith?: Error;
  saves = 0;
  where(part: HistoryPart): string {
    return `/data/${part}`;
  }
  async load(part: HistoryPart): Promise<Buffer | undefined> {
    return this.parts.get(part);
  }
  async save(part: HistoryPart, data: HistoryBytes): Promise<void> {
    if (this.failWith) throw this.failWith;
    const bytes = collectBytes(data);
    this.saves++;
    this.parts.set(part, bytes);
  }
}

interface Line {
  level: string;
  event?: unknown;
  file?: unknown;
  msg?: string;
}

function logger(lines: Line[]): PinoLogger {
  const at = (level: string) => (object: Record<string, unknown>, msg?: string) =>
    lines.push({ level, event: object.event, file: object.file, msg });
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    runInContext: <T>(fn: () => T) => fn(),
  } as unknown as PinoLogger;
}

function metrics(registry: Registry): MetricsService {
  const r = { registers: [registry] };
  return new MetricsService(
    new Counter({ name: METRIC.runs, help: 'h', labelNames: ['status'], ...r }),
    new Counter({ name: METRIC.issuesFound, help: 'h', labelNames: ['rule', 'severity'], ...r }),
    new Histogram({ name: METRIC.duration, help: 'h', ...r }),
    new Gauge({ name: METRIC.bySeverity, help: 'h', labelNames: ['severity'], ...r }),
    new Gauge({ name: METRIC.lastSuccess, help: 'h', ...r }),
    new Counter({ name: METRIC.skipped, help: 'h', ...r }),
    new Counter({ name: METRIC.kubeRequests, help: 'h', labelNames: ['resource', 'code'], ...r }),
    new Gauge({ name: METRIC.buildInfo, help: 'h', labelNames: ['version', 'node_version'], ...r }),
    new Gauge({ name: METRIC.leader, help: 'h', ...r }),
    new Gauge({ name: METRIC.wasteCpu, help: 'h', labelNames: ['namespace'], ...r }),
    new Gauge({ name: METRIC.wasteMemory, help: 'h', labelNames: ['namespace'], ...r }),
    new Gauge({ name: METRIC.wasteCost, help: 'h', labelNames: ['namespace'], ...r }),
  );
}

const web: Workload = {
  kind: 'Deployment',
  apiVersion: 'apps/v1',
  namespace: 'shop',
  name: 'web',
  annotations: {},
  templateAnnotations: {},
  selector: { matchLabels: { app: 'web' } },
  replicas: 2,
  containers: [
    { name: 'app', role: 'container', path: 'x', requests: { cpu: 2000, memory: 4 * GI }, limits: { memory: 4 * GI } },
  ],
};

const metric = (pod: string, timestamp: string, cpu = 100): UsageSample => ({
  namespace: 'shop',
  pod,
  labels: { app: 'web' },
  timestamp,
  windowMs: 30_000,
  containers: [{ name: 'app', cpu, memory: 2 ** 28 }],
});

/** The agent's detection and usage history over fakes of the ports, as DetectionModule and UsageModule wire them. */
function agent(opts: { reader?: FakeReader; files?: MemoryFiles; store?: IssueStore; config?: object } = {}) {
  const reader = opts.reader ?? new FakeReader();
  const files = opts.files ?? new MemoryFiles();
  const store = opts.store ?? new IssueStore();
  const config: OpsAgentConfig = parseConfig({
    scanMinInterval: '0s',
    overProvisioning: { minSamples: 3 },
    usage: { historyFile: '/data/usage' },
    ...opts.config,
  });
  const lines: Line[] = [];
  const registry = new Registry();
  const r = { registers: [registry] };
  const usage = new UsageHistoryService(
    reader,
    store,
    files,
    config,
    new Counter({ name: USAGE_METRIC.sampleReads, help: 'h', labelNames: ['result'], ...r }),
    new Counter({ name: USAGE_METRIC.historyWrites, help: 'h', labelNames: ['result'], ...r }),
    logger(lines),
  );
  const detection = new DetectionService(reader, store, metrics(registry), config, logger(lines), usage);
  const value = async (name: string, labels: Record<string, string>) =>
    (await registry.getSingleMetric(name)!.get()).values.find((v) =>
      Object.entries(labels).every(([k, x]) => v.labels[k] === x),
    )?.value;
  return { reader, files, store, usage, detection, lines, value };
}

const overProvisioned = (store: IssueStore) => store.all().filter((i) => i.rule.endsWith('overprovisioned'));

describe('UsageHistoryService: sampling between scans', () => {
  it('folds PodMetrics read between scans into the history the scans judge from', async () => {
    const { reader, usage, detection, store } = agent();
    reader.workloads = [web];
    reader.metrics = [metric('web-1', '2026-11-20T10:00:00Z')];
    await detection.runOnce('startup'); // its own read is the first sample
    expect(overProvisioned(store)).toHaveLength(0);
    reader.metrics = [metric('web-1', '2026-11-20T10:01:00Z')];
    await usage.sample();
    reader.metrics = [metric('web-1', '2026-11-20T10:02:00Z')];
    await usage.sample();
    expect(reader.usageReads).toBe(2);
    expect(usage.history.statsFor(web).get('app')?.samples).toBe(3);
    await detection.runOnce('schedule'); // nothing new in its read: still 3 samples, enough
    const found = overProvisioned(store);
    expect(found.map((i) => i.rule).sort()).toEqual(['cpu-overprovisioned', 'memory-overprovisioned']);
    expect(found[0].overProvisioning).toMatchObject({ samples: 3, confidence: 'low' });
  });

  it('counts a PodMetrics whose timestamp did not move once, whoever reads it', async () => {
    const { reader, usage, detection } = agent();
    reader.workloads = [web];
    reader.metrics = [metric('web-1', '2026-11-20T10:00:00Z'), metric('web-2', '2026-11-20T10:00:00Z')];
    await detection.runOnce('startup');
    await usage.sample();
    await usage.sample();
    await detection.runOnce('schedule');
    expect(usage.history.statsFor(web).get('app')?.samples).toBe(1);
    // One Pod's metrics moved: one more reading (of that Pod).
    reader.metrics = [metric('web-1', '2026-11-20T10:01:00Z', 999), metric('web-2', '2026-11-20T10:00:00Z')];
    await usage.sample();
    await usage.sample();
    expect(usage.history.statsFor(web).get('app')?.samples).toBe(2);
  });

  it('does not sample before the first scan has found the workloads', async () => {
    const { reader, usage } = agent();
    reader.metrics = [metric('web-1', '2026-11-20T10:00:00Z')];
    await usage.sample();
    expect(reader.usageReads).toBe(0);
  });

  it('makes a failed sample a warning on the next scan, counted and logged, and fails nothing else', async () => {
    const { reader, usage, detection, lines, value } = agent();
    reader.workloads = [web];
    reader.metrics = [metric('web-1', '2026-11-20T10:00:00Z')];
    await detection.runOnce('startup');
    reader.metrics = new Error('metrics API unavailable (HTTP 503); is metrics-server installed?');
    await usage.sample();
    await usage.sample();
    expect(await value(USAGE_METRIC.sampleReads, { result: 'failed' })).toBe(2);
    expect(lines.filter((l) => l.event === 'usage-sample-failed' && l.level === 'warn')).toHaveLength(2);
    reader.metrics = [metric('web-1', '2026-11-20T10:05:00Z')];
    const scan = await detection.runOnce('schedule');
    expect(scan.status).toBe('succeeded');
    const warning = scan.warnings.find((w) => w.code === 'usage-sample-failed');
    expect(warning?.message).toBe(
      '2 usage samples (PodMetrics read every 1m) failed since the last scan; last: ' +
        'metrics API unavailable (HTTP 503); is metrics-server installed?',
    );
    expect((await detection.runOnce('schedule')).warnings.map((w) => w.code)).not.toContain('usage-sample-failed');
  });
});

describe('UsageHistoryService: kept across restarts', () => {
  it('saves after every scan and loads at start: the same history, and issues keep their first-seen time', async () => {
    const before = agent();
    before.reader.workloads = [web];
    for (let i = 0; i < 3; i++) {
      before.reader.metrics = [metric('web-1', `2026-11-20T10:0${i}:00Z`)];
      if (i === 0) await before.detection.runOnce('startup');
      else await before.usage.sample();
    }
    await before.detection.runOnce('schedule');
    await before.usage.flush();
    expect(before.files.saves).toBe(4); // history + identity, after each of the 2 scans
    const firstSeen = new Map(before.store.all().map((i) => [i.id, i.firstSeen]));
    expect(overProvisioned(before.store)).toHaveLength(2);

    const after = agent({ reader: before.reader, files: before.files });
    await after.usage.onModuleInit();
    expect(after.usage.history.statsFor(web)).toEqual(before.usage.history.statsFor(web));
    const scan = await after.detection.runOnce('startup');
    expect(scan.counts).toMatchObject({ new: 0 });
    expect(after.lines.filter((l) => l.event === 'issue-new')).toEqual([]);
    for (const issue of after.store.all()) expect(issue.firstSeen).toBe(firstSeen.get(issue.id));
    expect(after.store.size).toBe(firstSeen.size);
  });

  it('saves at shutdown', async () => {
    const { reader, usage, detection, files } = agent();
    reader.workloads = [web];
    reader.metrics = [metric('web-1', '2026-11-20T10:00:00Z')];
    await detection.runOnce('startup');
    await usage.flush();
    files.parts.clear();
    reader.metrics = [metric('web-1', '2026-11-20T10:01:00Z')];
    await usage.sample();
    await usage.onModuleDestroy();
    const again = agent({ reader, files });
    await again.usage.onModuleInit();
    expect(again.usage.history.statsFor(web).get('app')?.samples).toBe(2);
  });

  it.each([
    ['torn', (b: Buffer) => b.subarray(0, b.length >> 1), /truncated/],
    [
      'of another version',
      (b: Buffer) => Buffer.from(b.toString('latin1').replace('"version":1', '"version":9'), 'latin1'),
      /format version 9/,
    ],
    ['foreign', () => Buffer.from('{"hello":"world"}\n'), /format is undefined/],
  ])('starts empty from a %s file, with one warning naming it', async (_what, spoil, reason) => {
    const before = agent();
    before.reader.workloads = [web];
    before.reader.metrics = [metric('web-1', '2026-11-20T10:00:00Z')];
    await before.detection.runOnce('startup');
    await before.usage.flush();
    before.files.parts.set('usage', spoil(before.files.parts.get('usage')!));
    const after = agent({ reader: before.reader, files: before.files });
    await after.usage.onModuleInit();
    expect(after.usage.history.sampleCount).toBe(0);
    const warnings = after.lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ event: 'usage-history-unreadable', file: '/data/usage' });
    expect(warnings[0].msg).toMatch(reason);
    expect(warnings[0].msg).toContain('usage history file /data/usage not loaded');
    // and it still runs
    expect((await after.detection.runOnce('schedule')).status).toBe('succeeded');
  });

  it('does not load a file of another cluster', async () => {
    const before = agent();
    before.reader.workloads = [web];
    before.reader.metrics = [metric('web-1', '2026-11-20T10:00:00Z')];
    await before.detection.runOnce('startup');
    await before.usage.flush();
    const reader = new FakeReader();
    reader.clusterIdentity = 'https://other:6443';
    const after = agent({ reader, files: before.files });
    await after.usage.onModuleInit();
    expect(after.usage.history.sampleCount).toBe(0);
    expect(after.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      expect.stringContaining('holds cluster "https://fake:6443", this agent reads "https://other:6443"'),
      expect.stringContaining('issue identity file /data/issues not loaded'),
    ]);
  });

  it('keeps going in memory when the file cannot be written: one warning, scans succeed', async () => {
    const { reader, detection, files, lines, value, usage } = agent();
    files.failWith = Object.assign(new Error("EACCES: permission denied, open '/data/.usage.tmp'"), { code: 'EACCES' });
    reader.workloads = [web];
    reader.metrics = [metric('web-1', '2026-11-20T10:00:00Z')];
    expect((await detection.runOnce('startup')).status).toBe('succeeded');
    expect((await detection.runOnce('schedule')).status).toBe('succeeded');
    await usage.flush();
    const warnings = lines.filter((l) => l.event === 'usage-history-unwritable');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].msg).toContain('usage history file /data/usage cannot be written (EACCES');
    expect(await value(USAGE_METRIC.historyWrites, { result: 'failed' })).toBe(2);
  });

  it('writes nothing without usage.historyFile', async () => {
    const { reader, detection, files } = agent({ config: { usage: {} } });
    reader.workloads = [web];
    await detection.runOnce('startup');
    expect(files.saves).toBe(0);
  });
});
