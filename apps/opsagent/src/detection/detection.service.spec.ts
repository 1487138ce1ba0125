import { OwnerIndex } from '@opsagent/core/audit/usage-attribution';
import type { PinoLogger } from 'nestjs-pino';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { parseConfig } from '@opsagent/core/config/config.loader';
import type { Workload } from '@opsagent/core/workload';
import { UsagePeaks } from '@opsagent/core/audit/usage-peaks';
import type { OpsAgentConfig } from '@opsagent/core/config/config.schema';
import type { UsageSample } from '@opsagent/core/usage';
import {
  ClusterReader,
  type ClusterSnapshot,
  type ReadOptions,
  type ReadAttribution,
} from '../kubernetes/cluster-reader';
import { collectBytes, HistoryStore, type HistoryBytes, type HistoryPart } from '../usage/history-store';
import { USAGE_METRIC, UsageHistoryService } from '../usage/usage-history.service';
import { IssueStore } from '../issues/issue-store.service';
import { Leadership } from '../leader-election/leadership';
import { MetricsService } from '../metrics/metrics.service';
import { METRIC } from '../metrics/metrics.names';
import { PrometheusUsage } from '@opsagent/core/audit/prometheus-usage';
import { WindowUsageReader, type WindowUsage, type WindowUsageRequest } from '../prometheus/window-usage-reader';
import { DetectionService } from './detection.service';

/** A ClusterReader port that returns whatever snapshot the test sets (the HTTP reader has its own e2e specs). */
class FakeReader extends ClusterReader {
  next: Partial<ClusterSnapshot> | (() => Promise<ClusterSnapshot>) = {};
  reads: ReadOptions[] = [];
  /** What `readUsage` (the sampler's PodMetrics read) returns: samples, or an error to throw. */
  nextUsage: UsageSample[] | Error = [];
  usageReads = 0;
  readonly clusterIdentity = 'https://fake:6443';
  async read(options: ReadOptions): Promise<ClusterSnapshot> {
    this.reads.push(options);
    if (typeof this.next === 'function') return this.next();
    const snapshot: ClusterSnapshot = {
      workloads: [],
      skipped: {},
      samples: [],
      failures: [],
      kindsAttempted: 8,
      warnings: [],
      requests: 8,
      bytes: 100,
      attribution: { workloads: [], owners: new OwnerIndex() },
      ...this.next,
    };
    snapshot.attribution = { workloads: snapshot.workloads, owners: new OwnerIndex() };
    if (snapshot.samples && options.acceptSample) snapshot.samples = snapshot.samples.filter(options.acceptSample);
    return snapshot;
  }
  async readUsage(attribution: ReadAttribution, options: Parameters<ClusterReader['readUsage']>[1]) {
    this.usageReads++;
    if (this.nextUsage instanceof Error) throw this.nextUsage;
    const peaks = new UsagePeaks(attribution.workloads);
    for (const s of this.nextUsage) if (!options.acceptSample || options.acceptSample(s)) peaks.add(s);
    return { peaks, requests: 1, bytes: 10 };
  }
}

/** The history files as an in-memory port. */
class MemoryFiles extends HistoryStore {
  readonly parts = new Map<HistoryPart, Buffer>();
  failWith?: Error;
  where(part: HistoryPart): string {
    return `/mem/${part}`;
  }
  async load(part: HistoryPart): Promise<Buffer | undefined> {
    return this.parts.get(part);
  }
  async save(part: HistoryPart, data: HistoryBytes): Promise<void> {
    if (this.failWith) throw this.failWith;
    const bytes = collectBytes(data);
    this.parts.set(part, bytes);
  }
}

function usageService(
  reader: ClusterReader,
  store: IssueStore,
  config: OpsAgentConfig,
  logger: PinoLogger,
  files: HistoryStore = new MemoryFiles(),
  registry = new Registry(),
): UsageHistoryService {
  const r = { registers: [registry] };
  return new UsageHistoryService(
    reader,
    store,
    files,
    config,
    new Counter({ name: USAGE_METRIC.sampleReads, help: 'h', labelNames: ['result'], ...r }),
    new Counter({ name: USAGE_METRIC.historyWrites, help: 'h', labelNames: ['result'], ...r }),
    logger,
  );
}

const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  runInContext: <T>(fn: () => T) => fn(),
} as unknown as PinoLogger;

/** A logger port that keeps each line's level and object (pino itself is exercised by the e2e specs). */
function recordingLogger(): { logger: PinoLogger; lines: { level: string; event?: unknown; status?: unknown }[] } {
  const lines: { level: string; event?: unknown; status?: unknown }[] = [];
  const at = (level: string) => (object: Record<string, unknown>) =>
    lines.push({ level, event: object.event, status: object.status });
  return {
    logger: {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      runInContext: <T>(fn: () => T) => fn(),
    } as unknown as PinoLogger,
    lines,
  };
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

function detection(
  reader: FakeReader,
  store: IssueStore,
  metricsService: MetricsService,
  config: OpsAgentConfig,
  logger: PinoLogger,
): DetectionService {
  return new DetectionService(
    reader,
    store,
    metricsService,
    config,
    logger,
    usageService(reader, store, config, logger),
  );
}

function workload(kind: Workload['kind'], name: string): Workload {
  return {
    kind,
    apiVersion: 'apps/v1',
    namespace: 'shop',
    name,
    annotations: {},
    templateAnnotations: {},
    selector: { matchLabels: { app: name } },
    replicas: 1,
    containers: [{ name: 'app', role: 'container', path: 'x', requests: {}, limits: {} }],
  };
}

describe('DetectionService', () => {
  let reader: FakeReader;
  let store: IssueStore;
  let registry: Registry;
  let sut: DetectionService;

  beforeEach(() => {
    reader = new FakeReader();
    store = new IssueStore();
    registry = new Registry();
    sut = detection(
      reader,
      store,
      metrics(registry),
      parseConfig({ includeNamespaces: ['shop'], scanMinInterval: '0s' }),
      silent,
    );
  });

  const value = async (name: string, labels: Record<string, string> = {}) =>
    (await registry.getSingleMetric(name)!.get()).values.find((v) =>
      Object.entries(labels).every(([k, l]) => v.labels[k] === l),
    )?.value;

  it('stores the issues of a scan and counts new and resolved ones across scans', async () => {
    reader.next = { workloads: [workload('Deployment', 'web'), workload('StatefulSet', 'db')] };
    const first = await sut.runOnce('api');
    expect(first).toMatchObject({ status: 'succeeded', counts: { issues: 8, new: 8, resolved: 0 } });
    expect(reader.reads[0].namespaces).toEqual(['shop']);
    reader.next = { workloads: [workload('Deployment', 'web')] };
    const second = await sut.runOnce('api');
    expect(second.counts).toMatchObject({ issues: 4, new: 0, resolved: 4 });
    expect(store.latestScan?.id).toBe(second.id);
    expect(await value(METRIC.runs, { status: 'succeeded' })).toBe(2);
    // Counted when first found: web's and db's issue in the first scan, none again in the second.
    expect(await value(METRIC.issuesFound, { rule: 'memory-limit-missing', severity: 'high' })).toBe(2);
    expect(await value(METRIC.bySeverity, { severity: 'high' })).toBe(2);
  });

  it('counts each issue once in opsagent_issues_found_total, when it is new in the store', async () => {
    const total = async () =>
      (await registry.getSingleMetric(METRIC.issuesFound)!.get()).values.reduce((s, v) => s + v.value, 0);
    reader.next = { workloads: [workload('Deployment', 'web')] };
    await sut.runOnce('api');
    expect(await total()).toBe(4);
    await sut.runOnce('api');
    await sut.runOnce('api');
    expect(await total()).toBe(4); // an unchanged cluster adds nothing
    const api = workload('Deployment', 'api');
    api.containers[0] = { ...api.containers[0], requests: { cpu: 100, memory: 2 ** 26 }, limits: { memory: 2 ** 26 } };
    reader.next = { workloads: [workload('Deployment', 'web'), api] };
    await sut.runOnce('api');
    expect(await total()).toBe(5); // api's cpu-limit-missing
    expect(await value(METRIC.issuesFound, { rule: 'cpu-limit-missing', severity: 'low' })).toBe(2);
  });

  it('keeps the issues of a kind that could not be read and reports the scan partial', async () => {
    reader.next = { workloads: [workload('Deployment', 'web'), workload('StatefulSet', 'db')] };
    await sut.runOnce('api');
    reader.next = {
      workloads: [workload('Deployment', 'web')],
      failures: [{ kind: 'StatefulSet', resource: 'apps/statefulsets', code: 403, reason: 'HTTP 403 Forbidden' }],
    };
    const scan = await sut.runOnce('api');
    expect(scan.status).toBe('partial');
    expect(scan.errors).toEqual([
      { kind: 'StatefulSet', resource: 'apps/statefulsets', code: 403, reason: 'HTTP 403 Forbidden' },
    ]);
    expect(scan.counts).toMatchObject({ issues: 8, resolved: 0, carriedOver: 4 });
    expect(await value(METRIC.runs, { status: 'partial' })).toBe(1);
  });

  it('fails the scan, keeping every issue, when nothing could be read', async () => {
    reader.next = { workloads: [workload('Deployment', 'web')] };
    await sut.runOnce('api');
    reader.next = {
      failures: Array.from({ length: 8 }, (_, i) => ({
        kind: 'Pod' as const,
        resource: `r${i}`,
        reason: 'fetch failed',
      })),
    };
    const scan = await sut.runOnce('api');
    expect(scan.status).toBe('failed');
    expect(store.size).toBe(4);
    expect(await value(METRIC.runs, { status: 'failed' })).toBe(1);
  });

  it('logs the scan line at info when it succeeds, warn when partial and error when failed', async () => {
    const { logger, lines } = recordingLogger();
    sut = detection(reader, store, metrics(new Registry()), parseConfig({ scanMinInterval: '0s' }), logger);
    reader.next = { workloads: [workload('Deployment', 'web')] };
    await sut.runOnce('api');
    reader.next = {
      failures: [{ kind: 'StatefulSet', resource: 'apps/statefulsets', code: 403, reason: 'HTTP 403 Forbidden' }],
    };
    await sut.runOnce('api');
    reader.next = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6443'));
    await sut.runOnce('api');
    expect(lines.filter((l) => l.event === 'scan')).toEqual([
      { level: 'info', event: 'scan', status: 'succeeded' },
      { level: 'warn', event: 'scan', status: 'partial' },
      { level: 'error', event: 'scan', status: 'failed' },
    ]);
  });

  it('warns and keeps over-provisioning issues when metrics are unavailable', async () => {
    reader.next = { samples: undefined, metricsError: 'metrics API unavailable (HTTP 404)' };
    const scan = await sut.runOnce('api');
    expect(scan.status).toBe('succeeded');
    expect(scan.warnings.map((w) => w.code)).toContain('metrics-unavailable');
  });

  it('keeps the usage history through a scan without metrics, and the over-provisioning issues too', async () => {
    sut = detection(
      reader,
      store,
      metrics(new Registry()),
      parseConfig({ overProvisioning: { minSamples: 2 }, scanMinInterval: '0s' }),
      silent,
    );
    const big = workload('Deployment', 'web');
    big.containers[0] = {
      ...big.containers[0],
      requests: { cpu: 2000, memory: 4 * 2 ** 30 },
      limits: { memory: 4 * 2 ** 30 },
    };
    const usage = {
      namespace: 'shop',
      pod: 'web-1',
      labels: { app: 'web' },
      containers: [{ name: 'app', cpu: 100, memory: 2 ** 28 }],
    };
    const overProvisioned = () => store.all().filter((i) => i.rule.endsWith('overprovisioned')).length;
    reader.next = { workloads: [big], samples: [usage] };
    await sut.runOnce('api'); // 1 sample: below minSamples
    expect(overProvisioned()).toBe(0);
    reader.next = { workloads: [big], samples: undefined, metricsError: 'HTTP 503' };
    await sut.runOnce('api'); // no metrics: nothing judged, history kept
    expect(overProvisioned()).toBe(0);
    reader.next = { workloads: [big], samples: [usage] };
    await sut.runOnce('api'); // 2 samples, the first from before the gap
    expect(overProvisioned()).toBe(2);
    reader.next = { workloads: [big], samples: undefined, metricsError: 'HTTP 404' };
    const gap = await sut.runOnce('api');
    expect(gap.counts).toMatchObject({ resolved: 0, carriedOver: 2 });
    expect(overProvisioned()).toBe(2);
  });

  it('replaces the waste gauges after each scan: a namespace left without over-provisioning drops out', async () => {
    const registry = new Registry();
    sut = detection(
      reader,
      store,
      metrics(registry),
      parseConfig({ overProvisioning: { minSamples: 1 }, scanMinInterval: '0s' }),
      silent,
    );
    const big = (namespace: string) => {
      const w = { ...workload('Deployment', 'web'), namespace };
      w.containers = [{ ...w.containers[0], requests: { cpu: 2000, memory: 4 * 2 ** 30 }, limits: {} }];
      return w;
    };
    const sample = (namespace: string) => ({
      namespace,
      pod: 'web-1',
      labels: { app: 'web' },
      containers: [{ name: 'app', cpu: 100, memory: 2 ** 28 }],
    });
    const series = async (name: string) =>
      Object.fromEntries(
        (await registry.getSingleMetric(name)!.get()).values.map((v) => [String(v.labels.namespace), v.value]),
      );
    reader.next = { workloads: [big('shop'), big('batch')], samples: [sample('shop'), sample('batch')] };
    await sut.runOnce('api');
    // Per namespace: 1.9 cores (2 − 0.1) × the replicas of workload() (1); memory 4Gi − 295Mi.
    const replicas = workload('Deployment', 'web').replicas ?? 1;
    expect(await series(METRIC.wasteCpu)).toEqual({ batch: 1.9 * replicas, shop: 1.9 * replicas });
    expect(await series(METRIC.wasteMemory)).toEqual({
      batch: (4096 - 295) * 2 ** 20 * replicas,
      shop: (4096 - 295) * 2 ** 20 * replicas,
    });
    const cost = store.waste().byNamespace.shop.monthlyCost;
    expect(cost).toBeGreaterThan(0);
    expect(await series(METRIC.wasteCost)).toEqual({ batch: cost, shop: cost });
    // batch's web now requests what it uses: its series go, shop's stay.
    const fitted = big('batch');
    fitted.containers = [{ ...fitted.containers[0], requests: { cpu: 100, memory: 2 ** 28 } }];
    reader.next = { workloads: [big('shop'), fitted], samples: [sample('shop'), sample('batch')] };
    await sut.runOnce('api');
    expect(await series(METRIC.wasteCpu)).toEqual({ shop: 1.9 * replicas });
    expect(await series(METRIC.wasteMemory)).toEqual({ shop: (4096 - 295) * 2 ** 20 * replicas });
    expect(await series(METRIC.wasteCost)).toEqual({ shop: cost });
  });

  it('a new leader carries over the over-provisioning issues it took over until its history has minSamples', async () => {
    let changed: (leading: boolean, reason: string) => void = () => undefined;
    const leadership: Leadership = {
      enabled: true,
      identity: 'replica-b',
      isLeader: () => true,
      leader: () => 'replica-b',
      onChange: (listener) => (changed = listener),
    };
    sut = new DetectionService(
      reader,
      store,
      metrics(new Registry()),
      parseConfig({
        overProvisioning: { minSamples: 3 },
        scanMinInterval: '0s',
        runOnStartup: false,
        reports: { policyReports: true },
        leaderElection: { enabled: true },
      }),
      silent,
      usageService(reader, store, parseConfig({}), silent),
      undefined,
      null,
      leadership,
    );
    // What the previous leader reported: web's CPU over-provisioning, and gone's (a workload deleted since).
    const reported = (name: string) => ({
      id: `over-${name}`,
      rule: 'cpu-overprovisioned',
      severity: 'medium' as const,
      namespace: 'shop',
      kind: 'Deployment',
      name,
      container: 'app',
      message: 'm',
      remediation: 'r',
      firstSeen: '2026-11-01T00:00:00.000Z',
      lastSeen: '2026-12-01T00:00:00.000Z',
    });
    store.load([reported('web'), reported('gone')]);
    changed(true, 'acquired the Lease');
    const web = workload('Deployment', 'web');
    web.containers[0] = {
      ...web.containers[0],
      requests: { cpu: 100, memory: 2 ** 27 },
      limits: { cpu: 100, memory: 2 ** 27 },
    };
    const usage = {
      namespace: 'shop',
      pod: 'web-1',
      labels: { app: 'web' },
      containers: [{ name: 'app', cpu: 90, memory: 2 ** 26 }],
    };
    reader.next = { workloads: [web], samples: [usage] };
    const first = await sut.runOnce('schedule');
    expect(first.counts).toMatchObject({ new: 0, resolved: 1, carriedOver: 1 }); // gone's is resolved at once
    expect(store.get('over-web')?.firstSeen).toBe('2026-11-01T00:00:00.000Z');
    await sut.runOnce('schedule'); // 2 samples: still below minSamples
    expect(store.get('over-web')).toBeDefined();
    const third = await sut.runOnce('schedule'); // 3 samples: web is judged, and it is not over-provisioned
    expect(third.counts).toMatchObject({ resolved: 1, carriedOver: 0 });
    expect(store.get('over-web')).toBeUndefined();
  });

  it('never overlaps scans: a tick during a scan is skipped and counted', async () => {
    let release!: () => void;
    reader.next = () =>
      new Promise<ClusterSnapshot>((resolve) => {
        release = () =>
          resolve({
            workloads: [],
            skipped: {},
            attribution: { workloads: [], owners: new OwnerIndex() },
            samples: [],
            failures: [],
            kindsAttempted: 8,
            warnings: [],
            requests: 0,
            bytes: 0,
          });
      });
    const first = sut.trigger('schedule');
    expect(first.accepted).toBe(true);
    const second = sut.trigger('schedule');
    expect(second).toMatchObject({ accepted: false });
    expect(sut.trigger('api')).toMatchObject({ accepted: false });
    expect(await value(METRIC.skipped)).toBe(1);
    await new Promise((r) => setImmediate(r));
    release();
    await sut.stop(1000);
    expect(store.latestScan?.status).toBe('succeeded');
  });

  it('aborts a running scan at stop after the grace period and records it as failed', async () => {
    reader.next = () => new Promise<ClusterSnapshot>(() => undefined);
    // The fake ignores the signal, so model a reader that honours it:
    reader.read = (options: ReadOptions) =>
      new Promise((_resolve, reject) => options.signal!.addEventListener('abort', () => reject(new Error('aborted'))));
    sut.trigger('schedule');
    await sut.stop(10);
    expect(store.latestScan).toMatchObject({
      status: 'failed',
      errors: [{ kind: 'scan', reason: 'scan aborted: shutting down' }],
    });
    expect(() => sut.trigger('api')).toThrow(/shutting down/);
  });
});

/** A WindowUsageReader port answering from in-memory Pod rows, or failing as an unreachable Prometheus does. */
class FakeWindowUsage extends WindowUsageReader {
  fail?: string;
  requests: WindowUsageRequest[] = [];
  async read(request: WindowUsageRequest): Promise<WindowUsage> {
    this.requests.push(request);
    if (this.fail) return { ok: false, reason: this.fail, queries: 1 };
    const usage = new PrometheusUsage({
      workloads: request.workloads,
      usage: [
        { namespace: 'shop', pod: 'web-1', container: 'app', cpuP95: 100, memoryMax: 64 * 2 ** 20, samples: 500 },
      ],
      podOwners: [],
      replicaSetOwners: [],
      jobOwners: [],
      livePods: request.livePods,
    });
    return { ok: true, usage, queries: 2, warnings: [] };
  }
}

describe('DetectionService with a window usage source (usage.source: prometheus)', () => {
  const config = parseConfig({
    includeNamespaces: ['shop'],
    scanMinInterval: '0s',
    usage: { source: 'prometheus', prometheus: { url: 'http://prometheus:9090' } },
  });
  const sized = (): Workload => ({
    ...workload('Deployment', 'web'),
    containers: [
      {
        name: 'app',
        role: 'container',
        path: 'x',
        requests: { cpu: 2000, memory: 2 * 2 ** 30 },
        limits: { cpu: 2000, memory: 2 * 2 ** 30 },
      },
    ],
  });
  let reader: FakeReader;
  let window: FakeWindowUsage;
  let sut: DetectionService;

  beforeEach(() => {
    reader = new FakeReader();
    reader.next = {
      workloads: [sized()],
      samples: undefined,
      pods: [{ namespace: 'shop', name: 'web-1', labels: { app: 'web' } }],
    };
    window = new FakeWindowUsage();
    const store = new IssueStore();
    sut = new DetectionService(
      reader,
      store,
      metrics(new Registry()),
      config,
      silent,
      usageService(reader, store, config, silent),
      undefined,
      window,
    );
  });

  it('reads no PodMetrics, judges at its first scan from the window and counts the queries', async () => {
    const scan = await sut.runOnce('startup');
    expect(reader.reads[0].usage).toBe('none');
    expect(window.requests[0].livePods).toEqual([{ namespace: 'shop', name: 'web-1', labels: { app: 'web' } }]);
    expect(scan.warnings).toEqual([]);
    expect(scan.counts).toMatchObject({ prometheusQueries: 2, usageSamples: 500, issues: 2 });
  });

  it('keeps the over-provisioning issues and warns when the source cannot be read', async () => {
    await sut.runOnce('startup');
    window.fail = 'Prometheus http://prometheus:9090/api/v1/query: HTTP 503 unavailable';
    const scan = await sut.runOnce('api');
    expect(scan.status).toBe('succeeded');
    expect(scan.warnings).toEqual([
      {
        code: 'prometheus-unavailable',
        message:
          'over-provisioning rules skipped this scan: Prometheus http://prometheus:9090/api/v1/query: HTTP 503 ' +
          'unavailable; their previous issues are kept',
      },
    ]);
    expect(scan.counts).toMatchObject({ issues: 2, resolved: 0, carriedOver: 2, prometheusQueries: 1 });
  });
});
