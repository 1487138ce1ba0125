/**
 * `npm run bench` at the tiny size, as CI runs it: the bench works end to end and produces every figure.
 * No timing is asserted (a CI machine's speed is not the agent's).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BenchReport } from '../bench/report';

const ROOT = path.join(__dirname, '..');
const run = promisify(execFile);

describe('npm run bench -- --size tiny', () => {
  let dir: string;
  let report: BenchReport;
  let stdout: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-bench-smoke-'));
    const out = path.join(dir, 'latest.json');
    await run(process.execPath, [path.join(ROOT, 'bench', 'build.cjs')], { cwd: ROOT, timeout: 300_000 });
    ({ stdout } = await run(
      process.execPath,
      [path.join(ROOT, 'dist', 'bench', 'main.js'), '--size', 'tiny', '--out', out, '--quiet'],
      // The Prometheus phase backfills and starts a real Prometheus: 300 s leaves room on a loaded machine.
      { cwd: ROOT, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
    ));
    report = JSON.parse(fs.readFileSync(out, 'utf8')) as BenchReport;
  }, 600_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const positive = (n: number | undefined) => {
    expect(typeof n).toBe('number');
    expect(Number.isFinite(n)).toBe(true);
    expect(n).toBeGreaterThan(0);
  };

  it('reports no broken expectation and prints the table', () => {
    expect(report.problems).toEqual([]);
    expect(stdout).toMatch(/\| measure +\| value/);
    expect(stdout).toMatch(/OpsAgent ÷ floor/);
  });

  it('times the floor, the naive client and the agent, with memory, requests and bytes', () => {
    const pages = report.cluster.expectedPagesPerScan;
    // One list page per kind at this size (8 workload kinds, LimitRanges, HPAs) plus the one PodMetrics list.
    expect(pages).toBe(11);
    for (const mode of ['floor', 'naive', 'opsagent'] as const) {
      const s = report.scan[mode]!;
      positive(s.medianMs);
      positive(s.medianCpuMs);
      positive(s.bytesPerScan);
      positive(s.peak.rss);
      positive(s.peak.heapUsed);
      positive(s.maxRss);
      expect(s.requestsPerScan).toBe(pages);
      for (const r of s.runs) {
        expect(r.server.requests).toBe(pages);
        expect(r.server.listRequests).toBe(pages);
        expect(r.server.objectGets).toBe(0);
      }
    }
    const agent = report.scan.opsagent!;
    positive(agent.medianReadMs);
    positive(agent.issues);
    expect(agent.workloads).toBe(report.cluster.shape.workloads);
    expect(agent.usageSamples).toBe(report.cluster.counts.PodMetrics);
  });

  it('times the floor and the agent on the dense shape: the same workloads in one namespace', () => {
    const dense = report.dense!;
    expect(dense.shape).toEqual({ ...report.cluster.shape, namespaces: 1 });
    expect(dense.counts).toEqual(report.cluster.counts);
    for (const s of [dense.floor, dense.opsagent]) {
      positive(s.medianMs);
      expect(s.requestsPerScan).toBe(dense.expectedPagesPerScan);
    }
    expect(dense.opsagent.workloads).toBe(report.cluster.shape.workloads);
    expect(dense.opsagent.usageSamples).toBe(dense.counts.PodMetrics);
    expect(stdout).toMatch(/OpsAgent ÷ floor \(time\), dense[^\n]*≤ 0\.8[^\n]*(ok|MISSED)/);
  });

  it('runs the agent process itself on the same cluster and reads its peak RSS', () => {
    const agent = report.agent!;
    expect(agent.scans).toHaveLength(3);
    for (const scan of agent.scans) {
      expect(scan.status).toBe('succeeded');
      positive(scan.durationMs);
    }
    // The cluster does not change between the agent's scans, so neither do its findings.
    const counts = new Set(agent.scans.map((scan) => scan.issues));
    expect(counts.size).toBe(1);
    // Started from the history phase's 14 days (usage drawn by that phase), the agent judges over-provisioning from
    // that history, not from the scan phase's one PodMetrics read: the two totals may differ by those findings.
    if (agent.historySeries === undefined) expect([...counts][0]).toBe(report.scan.opsagent!.issues);
    else positive([...counts][0]);
    positive(agent.idleRss);
    expect(agent.peakRss).toBeGreaterThanOrEqual(agent.idleRss!);
    expect(report.targets.find((t) => t.id === 'scan-rss')!.what).toMatch(/agent process/);
    expect(stdout).toMatch(/peak RSS of the agent process \(VmHWM\)/);
    // Where the memory is: /proc's anonymous and file-backed parts, and the agent's own heap and external memory.
    const b = agent.breakdown!;
    for (const at of [b.idle, b.peak]) {
      positive(at.anon);
      positive(at.file);
    }
    expect(b.peak.rss).toBeGreaterThanOrEqual(b.idle.rss!);
    for (const h of [b.idleHeap!, b.afterHeap!]) {
      positive(h.heapUsed);
      expect(h.heapTotal).toBeGreaterThanOrEqual(h.heapUsed);
      positive(h.external);
    }
    expect(stdout).toMatch(/RSS idle → highest sampled: anonymous/);
    expect(stdout).toMatch(/V8 heap used \/ total · external/);
  });

  it('loads /health and /api/v1/issues and reports req/s and latency percentiles', () => {
    const rest = report.rest!;
    expect(rest.endpoints.map((e) => e.name)).toEqual(['health', 'issues', 'issues-namespace', 'issues-severity']);
    for (const e of rest.endpoints) {
      positive(e.requestsPerSec);
      positive(e.p50Ms);
      positive(e.p99Ms);
      expect(e.errors + e.non2xx).toBe(0);
    }
    positive(rest.agentRss.afterScan);
  });

  it('probes /health while 500 connections load /api/v1/issues?limit=1000, and prints its p99 and max', () => {
    const under = report.rest!.healthUnderLoad!;
    expect(under).toMatchObject({ connections: 500, loadPath: '/api/v1/issues?limit=1000', failures: 0 });
    expect(under.probes).toBeGreaterThan(0);
    positive(under.p99Ms);
    positive(under.maxMs);
    expect(stdout).toMatch(/\/health while 500 conn\. load \/api\/v1\/issues\?limit=1000[^\n]*p99 [0-9.]+ ms · max/);
  });

  it('records the heap after every steady-state scan', () => {
    const steady = report.steady!;
    expect(steady.heapUsedAfterGc).toHaveLength(steady.scans);
    steady.heapUsedAfterGc.forEach(positive);
    expect(Number.isFinite(steady.growthPct)).toBe(true);
    expect(steady.requestsPerScan.every((n) => n === report.cluster.expectedPagesPerScan)).toBe(true);
  });

  it('measures the usage history over a full window: samples held, bytes retained, the file, time per reading', () => {
    const h = report.history!;
    expect(h.workloads).toBe(report.cluster.shape.workloads);
    expect(h.pods).toBe(report.cluster.counts.Pod);
    // 14 days at 1 minute: 20,161 readings fill the window (both ends included), the rest evict.
    expect(h.scans).toBe(20_161 + h.recordMs.length);
    // Slots of a day, dropped whole: the history holds 14 to 15 days of readings.
    expect(h.samples).toBeGreaterThanOrEqual(h.series * 14 * 1440);
    expect(h.samples).toBeLessThanOrEqual(h.series * 15 * 1440);
    positive(h.retainedBytes);
    positive(h.medianRecordMs);
    positive(h.medianStatsMs);
    positive(h.file?.bytes);
    positive(h.file?.loadMs);
    expect(stdout).toMatch(/history file: size · save · load at start[^\n]*≤ 1 s[^\n]*(ok|MISSED)/);
    expect(stdout).toMatch(/retained after GC[^\n]*≤ 40 MiB[^\n]*(ok|MISSED)/);
  });

  it('starts the agent process from that full history file and keeps every container of it', () => {
    expect(report.agent!.historyBytes).toBe(report.history!.file!.bytes);
    expect(report.agent!.historySeries).toBe(report.history!.series);
  });

  it('scans with usage.source: prometheus against a backfilled Prometheus, with its queries and samples', () => {
    const p = report.prometheus!;
    expect(p).toMatchObject({ size: 'tiny', days: 7, pods: report.cluster.counts.Pod });
    positive(p.samplesWritten);
    positive(p.backfillSeconds);
    expect(p.scans).toHaveLength(2);
    for (const scan of p.scans) {
      expect(scan).toMatchObject({ status: 'succeeded', warnings: [] });
      expect(scan.prometheusQueries).toBeGreaterThanOrEqual(2);
      positive(scan.usageSamples);
      positive(scan.durationMs);
    }
    expect(stdout).toMatch(/usage\.source: prometheus \("tiny", agent process\)/);
  });

  it('times the CLI start-up: --help and the offline scan of examples/, several runs each, with their medians', () => {
    const cli = report.cli!;
    expect(cli.commands.map((c) => c.args.join(' '))).toEqual(['--help', 'scan examples/']);
    for (const t of [...cli.commands, cli.floor!]) {
      expect(t.runsMs).toHaveLength(5);
      t.runsMs.forEach(positive);
      positive(t.medianMs);
      expect(t.cpuMs).toHaveLength(5);
      t.cpuMs!.forEach(positive);
      positive(t.medianCpuMs);
    }
    expect(stdout).toMatch(/floor: node -e ''[^\n]*CPU \d+ ms/);
    expect(stdout).toMatch(/bin\/opsagent scan examples\/[^\n]*≤ 0\.4 s[^\n]*(ok|MISSED)/);
    expect(stdout).toMatch(/bin\/opsagent --help[^\n]*≤ 0\.4 s[^\n]*(ok|MISSED)/);
  });

  it('judges every target', () => {
    expect(report.targets.map((t) => t.id).sort()).toEqual(
      [
        'cli-help',
        'cli-scan',
        'dense-scan-vs-floor',
        'health-under-load',
        'requests-per-scan',
        'rest-p99',
        'rest-rps',
        'rest-rss',
        'rss-with-history',
        'history-retained',
        'history-load',
        'scan-rss',
        'scan-vs-floor',
        'scan-vs-naive',
        'steady-heap',
      ].sort(),
    );
    // The agent's peak with a full window of history loaded is judged, not only printed.
    expect(stdout).toMatch(/usage history loaded at start[^\n]*≤ 300 MiB[^\n]*(ok|MISSED)/);
    expect(report.targets.find((t) => t.id === 'requests-per-scan')!.ok).toBe(true);
  });
});
