/** The bench's result document (bench/results/latest.json), its targets and its one printed table. */
import type { ClusterSize, SizeName, SyntheticCluster } from './cluster';
import type { AgentScanSummary } from './agent-process';
import type { CliResult } from './cli';
import type { HistorySummary } from './history';
import type { PrometheusSummary } from './prometheus';
import type { ScanMode, MemorySnapshot, RunResult } from './protocol';
import type { RestResult } from './rest';

/** What the simulator's request log says about one run. */
export interface RequestStats {
  requests: number;
  /** Response body bytes sent. */
  bytes: number;
  /** GETs of a list the scan needs (the listed kinds with `limit`, and PodMetrics). */
  listRequests: number;
  /** GETs of single objects (`.../pods/<name>`), which a scan must never make. */
  objectGets: number;
  /** Anything else: other paths, other methods, non-200 answers. */
  other: number;
  byPath: Record<string, number>;
}

export interface RunRecord extends RunResult {
  warmUp: boolean;
  server: RequestStats & {
    /** CPU the simulator (the orchestrator process) spent during the run, ms. */ cpuMs: number;
  };
}

export interface ModeSummary {
  mode: ScanMode;
  label: string;
  runs: RunRecord[];
  /** Over the measured runs (warm-up excluded), ms. */
  medianMs: number;
  minMs: number;
  /** The first run: cold JIT, and for the agent the scan that finds every issue new. */
  coldMs: number;
  medianReadMs?: number;
  medianCpuMs: number;
  medianServerCpuMs: number;
  requestsPerScan: number;
  bytesPerScan: number;
  /** Highest over every run of the process (bytes). */
  peak: MemorySnapshot;
  maxRss: number;
  idle: MemorySnapshot;
  issues?: number;
  workloads?: number;
  containers?: number;
  usageSamples?: number;
}

export interface SteadySummary {
  size: SizeName;
  scans: number;
  warmupScans: number;
  clockStepMs: number;
  window: string;
  heapUsedAfterGc: number[];
  durationsMs: number[];
  requestsPerScan: number[];
  baseline: number;
  final: number;
  growthPct: number;
  maxRss: number;
}

export interface TargetCheck {
  id: string;
  what: string;
  value: string;
  target: string;
  ok: boolean;
}

export interface BenchReport {
  schema: 1;
  startedAt: string;
  finishedAt: string;
  machine: { node: string; cpus: number; cpuModel: string; memoryBytes: number; platform: string };
  options: Record<string, unknown>;
  cluster: {
    size: SizeName;
    seed: number;
    shape: ClusterSize;
    counts: SyntheticCluster['counts'];
    pageSize: number;
    expectedPagesPerScan: number;
    /** Time to load the cluster into the simulator; absent when no phase read it. */
    loadMs?: number;
  };
  scan: Partial<Record<ScanMode, ModeSummary>>;
  /** The `dense` shape: the same size's workloads and Pods in one namespace, floor and OpsAgent. */
  dense?: {
    shape: ClusterSize;
    counts: SyntheticCluster['counts'];
    expectedPagesPerScan: number;
    floor: ModeSummary;
    opsagent: ModeSummary;
  };
  /** The agent process itself (serve) scanning the same cluster. */
  agent?: AgentScanSummary;
  steady?: SteadySummary;
  history?: HistorySummary;
  rest?: RestResult;
  /** Start-up of the CLI: `--help` and the offline `scan examples/`. */
  cli?: CliResult;
  /** The agent process with `usage.source: prometheus` against a backfilled Prometheus. */
  prometheus?: PrometheusSummary;
  targets: TargetCheck[];
  /** Broken expectations (not timing): a wrong request count, a missing figure. Non-empty = exit 1. */
  problems: string[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const MIB = 1024 * 1024;
export const mib = (bytes: number | undefined): string =>
  bytes === undefined ? 'n/a' : `${(bytes / MIB).toFixed(0)} MiB`;
const mib1 = (bytes: number): string => `${(bytes / MIB).toFixed(1)} MiB`;
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
const secs = (ms: number): string =>
  ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
const days = (ms: number): string => (ms % 86_400_000 === 0 ? `${ms / 86_400_000} d` : `${ms / 3_600_000} h`);
const msFmt = (ms: number): string => (ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`);
const int = (n: number): string => Math.round(n).toLocaleString('en-US');

export function checkTargets(report: BenchReport): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const { floor, naive, opsagent } = report.scan;
  if (opsagent && floor) {
    const r = opsagent.medianMs / floor.medianMs;
    checks.push({
      id: 'scan-vs-floor',
      what: 'OpsAgent scan time / floor',
      value: r.toFixed(2),
      target: '≤ 1.5',
      ok: r <= 1.5,
    });
  }
  const dense = report.dense;
  if (dense) {
    // Attribution costs O(1) per Pod: a namespace holding every workload must not make the scan dearer (issue 12).
    const r = dense.opsagent.medianMs / dense.floor.medianMs;
    checks.push({
      id: 'dense-scan-vs-floor',
      what: 'OpsAgent scan time / floor, every workload in one namespace',
      value: r.toFixed(2),
      target: '≤ 0.8',
      ok: r <= 0.8,
    });
  }
  if (opsagent && naive) {
    const r = opsagent.medianMs / naive.medianMs;
    checks.push({
      id: 'scan-vs-naive',
      what: 'OpsAgent scan time / naive',
      value: r.toFixed(2),
      target: '≤ 0.5',
      ok: r <= 0.5,
    });
  }
  // The agent process (serve) is the agent; the scan worker (reader + detection only) stands in without it.
  const agentPeak = report.agent?.peakRss ?? (opsagent ? Math.max(opsagent.peak.rss, opsagent.maxRss) : undefined);
  if (agentPeak !== undefined) {
    checks.push({
      id: 'scan-rss',
      what: report.agent ? 'peak RSS of the agent process during scans' : 'peak RSS of the scan worker during scans',
      value: mib(agentPeak),
      target: '≤ 300 MiB',
      ok: agentPeak <= 300 * MIB,
    });
  }
  // The agent process started from the history phase's full file (issue 12: ≤ 300 MiB with that history). A
  // saved run from before that measured the two apart: their sum is judged then.
  const history = report.history;
  if (report.agent?.peakRss !== undefined && history && history.size === report.cluster.size) {
    const loaded = report.agent.historyBytes !== undefined;
    const value = loaded ? report.agent.peakRss : report.agent.peakRss + history.retainedBytes;
    checks.push({
      id: 'rss-with-history',
      what: loaded
        ? `agent peak RSS with a full ${days(history.windowMs)} usage history loaded`
        : `agent peak RSS + a full ${days(history.windowMs)} usage history (sum)`,
      value: mib(value),
      target: '≤ 300 MiB',
      ok: value <= 300 * MIB,
    });
  }
  if (history) {
    checks.push({
      id: 'history-retained',
      what: `usage history retained after GC (${days(history.windowMs)} every ${history.intervalMs / 60_000} min)`,
      value: mib1(history.retainedBytes),
      target: '≤ 40 MiB',
      ok: history.retainedBytes <= 40 * MIB,
    });
  }
  if (history?.file) {
    checks.push({
      id: 'history-load',
      what: 'usage history file loaded at start (read + decode)',
      value: msFmt(history.file.loadMs),
      target: '≤ 1 s',
      ok: history.file.loadMs <= 1000,
    });
  }
  if (opsagent) {
    const expected = report.cluster.expectedPagesPerScan;
    const measured = opsagent.runs.filter((r) => !r.warmUp);
    const pagesOnly = measured.every(
      (r) => r.server.requests === expected && r.server.objectGets === 0 && r.server.other === 0,
    );
    checks.push({
      id: 'requests-per-scan',
      what: 'API requests per scan (simulator log)',
      value: `${opsagent.requestsPerScan} (${measured.reduce((n, r) => n + r.server.objectGets, 0)} object GETs)`,
      target: `= ${expected} pages`,
      ok: pagesOnly,
    });
  }
  const rest = report.rest;
  if (rest) {
    const health = rest.endpoints.find((e) => e.name === 'health');
    const issues = rest.endpoints.filter((e) => e.name.startsWith('issues'));
    if (issues.length > 0 && health) {
      const worstP99 = Math.max(...issues.map((e) => e.p99Ms));
      checks.push({
        id: 'rest-p99',
        what: `/api/v1/issues p99 at ${int(rest.issues)} issues (worst)`,
        value: msFmt(worstP99),
        target: '≤ 50 ms',
        ok: worstP99 <= 50,
      });
      const worstShare = Math.min(...issues.map((e) => e.requestsPerSec / health.requestsPerSec));
      checks.push({
        id: 'rest-rps',
        what: '/api/v1/issues req/s ÷ /health req/s (worst)',
        value: `${(worstShare * 100).toFixed(0)} %`,
        target: '≥ 50 %',
        ok: worstShare >= 0.5,
      });
    }
  }
  const underLoad = report.rest?.healthUnderLoad;
  if (underLoad) {
    checks.push({
      id: 'health-under-load',
      what: `/health max under ${underLoad.connections} connections on ${underLoad.loadPath}`,
      value: `${msFmt(underLoad.maxMs)} (${underLoad.timeouts} timeouts)`,
      target: '< 5 s (probe timeout)',
      ok: underLoad.timeouts === 0 && underLoad.failures === 0 && underLoad.maxMs < 5_000,
    });
  }
  // The agent that served the REST load holds 100,000 issues: the same 300 MiB budget as while it scans.
  const restPeak = rest?.agentRss.peakAfterLoad ?? rest?.agentRss.peakAfterScan;
  if (rest && restPeak !== undefined) {
    checks.push({
      id: 'rest-rss',
      what: `peak RSS of the agent process serving ${int(rest.issues)} issues under load`,
      value: mib(restPeak),
      target: '≤ 300 MiB',
      ok: restPeak <= 300 * MIB,
    });
  }
  const steady = report.steady;
  if (steady) {
    checks.push({
      id: 'steady-heap',
      what: `heap growth, scans ${steady.warmupScans}→${steady.scans} (${steady.size})`,
      value: `${steady.growthPct >= 0 ? '+' : ''}${steady.growthPct.toFixed(2)} %`,
      target: '≤ 5 %',
      ok: steady.growthPct <= 5,
    });
  }
  // The offline CLI must not load the service (NestJS, client-node): a CI step or a pre-commit hook runs it often.
  for (const c of report.cli?.commands ?? []) {
    checks.push({
      id: `cli-${c.name}`,
      what: `bin/opsagent ${c.args.join(' ')}: wall time, median of ${c.runsMs.length}`,
      value: secs(c.medianMs),
      target: '≤ 0.4 s',
      ok: c.medianMs <= 400,
    });
  }
  return checks;
}

/** Every figure the bench promises, for the smoke test and for `problems`. */
export function missingFigures(report: BenchReport): string[] {
  const missing: string[] = [];
  const finite = (name: string, v: number | undefined) => {
    if (v === undefined || !Number.isFinite(v)) missing.push(name);
  };
  for (const mode of ['floor', 'naive', 'opsagent'] as const) {
    const s = report.scan[mode];
    if (!s) continue;
    finite(`${mode}.medianMs`, s.medianMs);
    finite(`${mode}.requestsPerScan`, s.requestsPerScan);
    finite(`${mode}.bytesPerScan`, s.bytesPerScan);
    finite(`${mode}.peak.rss`, s.peak.rss);
    finite(`${mode}.peak.heapUsed`, s.peak.heapUsed);
  }
  if (report.dense) {
    for (const mode of ['floor', 'opsagent'] as const) finite(`dense.${mode}.medianMs`, report.dense[mode].medianMs);
  }
  for (const e of report.rest?.endpoints ?? []) {
    finite(`rest.${e.name}.requestsPerSec`, e.requestsPerSec);
    finite(`rest.${e.name}.p50Ms`, e.p50Ms);
    finite(`rest.${e.name}.p99Ms`, e.p99Ms);
  }
  const underLoad = report.rest?.healthUnderLoad;
  if (underLoad) {
    finite('rest.healthUnderLoad.p99Ms', underLoad.p99Ms);
    finite('rest.healthUnderLoad.maxMs', underLoad.maxMs);
  }
  if (report.agent) {
    finite('agent.idleRss', report.agent.idleRss);
    finite('agent.peakRss', report.agent.peakRss);
    report.agent.scans.forEach((scan, i) => finite(`agent.scans[${i}].durationMs`, scan.durationMs));
  }
  if (report.steady) report.steady.heapUsedAfterGc.forEach((h, i) => finite(`steady.heapUsedAfterGc[${i}]`, h));
  for (const c of report.cli?.commands ?? []) {
    finite(`cli.${c.name}.medianMs`, c.medianMs);
    finite(`cli.${c.name}.medianCpuMs`, c.medianCpuMs);
  }
  if (report.cli) finite('cli.floor.medianMs', report.cli.floor?.medianMs);
  report.prometheus?.scans.forEach((scan, i) => {
    finite(`prometheus.scans[${i}].durationMs`, scan.durationMs);
    finite(`prometheus.scans[${i}].prometheusQueries`, scan.prometheusQueries);
    finite(`prometheus.scans[${i}].usageSamples`, scan.usageSamples);
  });
  const h = report.history;
  if (h) {
    finite('history.samples', h.samples);
    finite('history.retainedBytes', h.retainedBytes);
    finite('history.bytesPerSample', h.bytesPerSample);
    finite('history.medianRecordMs', h.medianRecordMs);
    finite('history.medianStatsMs', h.medianStatsMs);
    if (h.file) finite('history.file.loadMs', h.file.loadMs);
  }
  return missing;
}

/** The one table: every figure of the run, targets beside the figures they judge. */
export function formatTable(report: BenchReport): string {
  const rows: [string, string, string, string][] = [];
  const verdict = (id: string) => {
    const t = report.targets.find((c) => c.id === id);
    return t ? [t.target, t.ok ? 'ok' : 'MISSED'] : ['', ''];
  };
  const row = (what: string, value: string, id?: string) => {
    const [target, ok] = id ? verdict(id) : ['', ''];
    rows.push([what, value, target, ok]);
  };
  const c = report.cluster;
  const n = (k: keyof typeof c.counts) => int(c.counts[k]);
  rows.push([
    `cluster "${c.size}" (seed ${c.seed})`,
    `${int(c.shape.workloads)} workloads, ${int(c.shape.namespaces)} namespaces`,
    '',
    '',
  ]);
  rows.push([
    '  objects',
    `${n('Deployment')} Deploy · ${n('ReplicaSet')} RS · ${n('StatefulSet')} STS · ${n('DaemonSet')} DS · ${n('ReplicationController')} RC · ${n('Job')} Job · ${n('CronJob')} CronJob`,
    '',
    '',
  ]);
  rows.push(['', `${n('Pod')} Pods (full JSON) · ${n('PodMetrics')} PodMetrics`, '', '']);

  const modes = (['floor', 'naive', 'opsagent'] as const).filter((m) => report.scan[m]);
  const any = report.scan[modes[0]];
  if (any) {
    const measured = any.runs.filter((r) => !r.warmUp).length;
    const warm = any.runs.length - measured;
    const flags = String(report.options.agentNodeOptions ?? '') || 'Node defaults';
    rows.push([
      `scan (median of ${measured}, after ${warm} warm-up)`,
      'time · client CPU · peak RSS · peak heap',
      '',
      '',
    ]);
    rows.push(['  OpsAgent processes run with', flags, '', '']);
  }
  /** One way of reading: time (read time) · client CPU · peak RSS · peak heap. */
  const modeRow = (s: ModeSummary) => {
    const read = s.medianReadMs !== undefined ? ` (read ${secs(s.medianReadMs)})` : '';
    rows.push([
      `  ${s.label}`,
      `${secs(s.medianMs)}${read} · ${secs(s.medianCpuMs)} · ${mib(Math.max(s.peak.rss, s.maxRss))} · ${mib(s.peak.heapUsed)}`,
      '',
      '',
    ]);
  };
  for (const m of modes) modeRow(report.scan[m]!);
  if (report.scan.opsagent) {
    const s = report.scan.opsagent;
    row('  OpsAgent: first scan (all issues new)', secs(s.coldMs));
    row(
      '  OpsAgent: issues · workloads · containers · usage samples',
      `${int(s.issues ?? NaN)} · ${int(s.workloads ?? NaN)} · ${int(s.containers ?? NaN)} · ${int(s.usageSamples ?? NaN)}`,
    );
  }
  if (any) {
    rows.push([
      '  per scan: requests · bytes read',
      `${any.requestsPerScan} · ${mb(any.bytesPerScan)} (simulator CPU ${secs(any.medianServerCpuMs)})`,
      '',
      '',
    ]);
  }
  row(
    '  OpsAgent ÷ floor (time)',
    report.targets.find((t) => t.id === 'scan-vs-floor')?.value ?? 'n/a',
    'scan-vs-floor',
  );
  row(
    '  OpsAgent ÷ naive (time)',
    report.targets.find((t) => t.id === 'scan-vs-naive')?.value ?? 'n/a',
    'scan-vs-naive',
  );
  if (report.scan.opsagent) {
    const s = report.scan.opsagent;
    row(
      '  OpsAgent peak RSS (max of sampled and kernel maxrss)',
      mib(Math.max(s.peak.rss, s.maxRss)),
      report.agent ? '' : 'scan-rss',
    );
    const byPath = s.runs.find((r) => !r.warmUp)?.server.byPath ?? {};
    row(
      '  OpsAgent requests per scan',
      report.targets.find((t) => t.id === 'requests-per-scan')?.value ?? 'n/a',
      'requests-per-scan',
    );
    const short = (p: string) => (p.includes('metrics.k8s.io') ? 'PodMetrics' : p.slice(p.lastIndexOf('/') + 1));
    row(
      '    pages by resource',
      Object.entries(byPath)
        .sort((a, b) => b[1] - a[1])
        .map(([p, k]) => `${short(p)} ${k}`)
        .join(' · '),
    );
  }

  const dense = report.dense;
  if (dense) {
    rows.push([
      `dense shape (median of ${dense.opsagent.runs.filter((r) => !r.warmUp).length})`,
      `${int(dense.shape.workloads)} workloads, ${int(dense.counts.Pod)} Pods in 1 namespace`,
      '',
      '',
    ]);
    modeRow(dense.floor);
    modeRow(dense.opsagent);
    row(
      '  OpsAgent ÷ floor (time), dense',
      report.targets.find((t) => t.id === 'dense-scan-vs-floor')?.value ?? 'n/a',
      'dense-scan-vs-floor',
    );
  }

  const agent = report.agent;
  if (agent) {
    const issues = agent.scans[agent.scans.length - 1]?.issues;
    rows.push([
      `agent process (serve, ${agent.nodeOptions || 'Node defaults'})`,
      `${agent.scans.length} scans of "${c.size}" through POST /api/v1/scans · ${int(issues ?? NaN)} issues`,
      '',
      '',
    ]);
    row(
      '  scan time (median) · RSS idle · RSS after the last scan',
      [
        secs(median(agent.scans.map((x) => x.durationMs))),
        mib(agent.idleRss),
        mib(agent.scans[agent.scans.length - 1]?.rssAfter),
      ].join(' · '),
    );
    row('  peak RSS of the agent process (VmHWM)', mib(agent.peakRss), 'scan-rss');
    const b = agent.breakdown;
    if (b) {
      row(
        '  RSS idle → highest sampled: anonymous (heap, Buffers, malloc) · file-backed (node binary)',
        `${mib(b.idle.anon)} → ${mib(b.peak.anon)} · ${mib(b.idle.file)} → ${mib(b.peak.file)}`,
      );
      const heap = (h?: { heapUsed: number; heapTotal: number; external: number }) =>
        h ? `${mib(h.heapUsed)} / ${mib(h.heapTotal)} · ${mib(h.external)}` : 'n/a';
      row('  V8 heap used / total · external: idle → after the scans', `${heap(b.idleHeap)} → ${heap(b.afterHeap)}`);
    }
    if (report.history && report.history.size === c.size && agent.peakRss !== undefined) {
      if (agent.historyBytes !== undefined) {
        row(
          `  with a full ${days(report.history.windowMs)} usage history loaded at start (${mib1(agent.historyBytes)} file)`,
          mib(agent.peakRss),
          'rss-with-history',
        );
      } else {
        row(
          `  + a full ${days(report.history.windowMs)} usage history (sum of two measurements)`,
          mib(agent.peakRss + report.history.retainedBytes),
          'rss-with-history',
        );
      }
    }
  }

  const rest = report.rest;
  if (rest) {
    rows.push([
      `REST (${int(rest.issues)} issues, ${rest.connections} conn., ${rest.durationSec} s each)`,
      'req/s · p50 · p99 · body',
      '',
      '',
    ]);
    for (const e of rest.endpoints) {
      rows.push([
        `  ${e.url.replace(/^http:\/\/[^/]+/, '')}`,
        `${int(e.requestsPerSec)} · ${msFmt(e.p50Ms)} · ${msFmt(e.p99Ms)} · ${(e.bytesPerResponse / 1024).toFixed(1)} KiB${e.errors + e.non2xx > 0 ? ` (${e.errors} errors, ${e.non2xx} non-2xx)` : ''}`,
        '',
        '',
      ]);
    }
    row('  issues p99 (worst endpoint)', report.targets.find((t) => t.id === 'rest-p99')?.value ?? 'n/a', 'rest-p99');
    row(
      '  issues req/s ÷ health req/s (worst)',
      report.targets.find((t) => t.id === 'rest-rps')?.value ?? 'n/a',
      'rest-rps',
    );
    const underLoad = rest.healthUnderLoad;
    if (underLoad) {
      const { load } = underLoad;
      rows.push([
        `  /health while ${underLoad.connections} conn. load ${underLoad.loadPath} (${underLoad.durationSec} s)`,
        `${underLoad.probes} probes · p50 ${msFmt(underLoad.p50Ms)} · p99 ${msFmt(underLoad.p99Ms)} · max ${msFmt(underLoad.maxMs)}${underLoad.failures > 0 ? ` · ${underLoad.failures} non-200` : ''}`,
        '',
        '',
      ]);
      rows.push([
        `    the load: 2xx · shed (503) · errors`,
        `${int(load.requests - load.non2xx)} (${int(load.requestsPerSec)} req/s, p99 ${msFmt(load.p99Ms)}) · ${int(load.non2xx)} · ${load.errors + load.timeouts}`,
        '',
        '',
      ]);
      row(
        '  /health max under that load',
        report.targets.find((t) => t.id === 'health-under-load')?.value ?? 'n/a',
        'health-under-load',
      );
    }
    row(
      '  agent process (serve): scan · RSS after scan · peak RSS',
      `${secs(rest.scanMs)} · ${mib(rest.agentRss.afterScan)} · ${mib(rest.agentRss.peakAfterLoad ?? rest.agentRss.peakAfterScan)}`,
      'rest-rss',
    );
  }

  const steady = report.steady;
  if (steady) {
    rows.push([`steady state (${steady.scans} scans, ${steady.size})`, 'heap after forced GC', '', '']);
    row(
      `  after scan 1 · ${steady.warmupScans} · ${steady.scans}`,
      `${mib(steady.heapUsedAfterGc[0])} · ${mib(steady.baseline)} · ${mib(steady.final)} (max RSS ${mib(steady.maxRss)})`,
    );
    row(
      '  heap growth after warm-up',
      report.targets.find((t) => t.id === 'steady-heap')?.value ?? 'n/a',
      'steady-heap',
    );
    row('  scan time (median)', secs(median(steady.durationsMs)));
  }

  const history = report.history;
  if (history) {
    rows.push([
      `usage history (${history.size}, ${int(history.scans)} readings ${history.intervalMs / 60_000} min apart, ${days(history.windowMs)} window)`,
      `${int(history.workloads)} workloads · ${int(history.containers)} containers (${int(history.series)} with usage) · ${int(history.pods)} Pods`,
      '',
      '',
    ]);
    row('  samples held', int(history.samples));
    row(
      '  retained after GC (heap · array buffers · per container)',
      `${mib1(history.retainedBytes)} (${mib1(history.after.heapUsed - history.before.heapUsed)} · ${mib1(history.after.arrayBuffers - history.before.arrayBuffers)} · ${int(history.retainedBytes / history.series)} B)`,
      'history-retained',
    );
    if (history.file) {
      row(
        '  history file: size · save · load at start',
        `${mib1(history.file.bytes)} · ${msFmt(history.file.saveMs)} · ${msFmt(history.file.loadMs)}`,
        'history-load',
      );
    }
    row(
      `  per reading, median of the last ${history.recordMs.length}: record · statsFor of every workload`,
      `${msFmt(history.medianRecordMs)} · ${msFmt(history.medianStatsMs)}`,
    );
  }

  const prom = report.prometheus;
  if (prom) {
    rows.push([
      `usage.source: prometheus ("${prom.size}", agent process)`,
      `${prom.days} days backfilled, a sample every ${prom.stepS} s: ${int(prom.series)} series, ${int(prom.samplesWritten)} samples`,
      '',
      '',
    ]);
    row(
      '  promtool backfill · OpenMetrics text',
      `${prom.backfillSeconds.toFixed(1)} s · ${mb(prom.openMetricsBytes)}`,
    );
    prom.scans.forEach((s, i) =>
      row(
        `  scan ${i + 1}: time · queries · Prometheus samples · containers without usage`,
        `${secs(s.durationMs)} · ${s.prometheusQueries ?? 'n/a'} · ${int(s.usageSamples ?? NaN)} · ${int(s.containersWithoutUsage ?? NaN)} (${s.status}${s.warnings.length ? `, ${s.warnings.length} warnings` : ''})`,
      ),
    );
  }

  const cli = report.cli;
  if (cli) {
    const runs = cli.commands[0]?.runsMs.length ?? 0;
    rows.push([
      `CLI start-up (new process each run, ${cli.warmup} warm-up, interleaved)`,
      `wall: median of ${runs} · min · max; CPU median`,
      '',
      '',
    ]);
    // Runs saved before the CPU time and the floor were measured have neither.
    const cpu = (ms: number | undefined) => (ms === undefined ? '' : `; CPU ${secs(ms)}`);
    for (const c of cli.commands) {
      row(
        `  bin/opsagent ${c.args.join(' ')}`,
        `${secs(c.medianMs)} · ${secs(Math.min(...c.runsMs))} · ${secs(Math.max(...c.runsMs))}${cpu(c.medianCpuMs)}`,
        `cli-${c.name}`,
      );
    }
    const floor = cli.floor;
    if (floor) {
      row(
        "  floor: node -e ''",
        `${secs(floor.medianMs)} · ${secs(Math.min(...floor.runsMs))} · ${secs(Math.max(...floor.runsMs))}${cpu(floor.medianCpuMs)}`,
      );
    }
  }

  const widths = [0, 1, 2, 3].map((i) =>
    Math.max(...rows.map((r) => r[i].length), ['measure', 'value', 'target', ''][i].length),
  );
  const line = (r: readonly string[]) => `| ${r.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  const out = [
    line(['measure', 'value', 'target', '']),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
  ];
  const header = `OpsAgent bench — ${report.machine.cpus} CPUs (${report.machine.cpuModel}), Node ${report.machine.node}, ${report.finishedAt}`;
  return [header, '', ...out].join('\n');
}
