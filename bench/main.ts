/**
 * `npm run bench [-- --size tiny|small|large ...]`: how much a scan costs beside just reading the cluster,
 * how the REST API holds up with 100k issues, and whether repeated scans leak. Loopback only; every phase is
 * bounded in time. Prints one table; writes bench/results/latest.json.
 *
 * Processes: this one generates the cluster and serves it (the Kubernetes API simulator) and drives the
 * phases; each way of scanning runs in a child of its own (so its RSS is its own); the usage-history phase
 * runs in a child with --expose-gc; the REST phase starts the built agent as a process and loads it from
 * another child (autocannon).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { UsageHistory } from '../libs/core/src/audit/usage-history';
import { parseDuration } from '../libs/core/src/duration';
import { startSimulator, type RequestLogEntry, type Simulator } from '../tools/k8s-simulator/simulator';
import {
  buildCluster,
  denseOf,
  LISTED,
  pagesPerScan,
  POD_METRICS_PATH,
  SIZES,
  type SizeName,
  type SyntheticCluster,
} from './cluster';
import type { ScanMode, WorkerInit } from './protocol';
import {
  checkTargets,
  formatTable,
  median,
  missingFigures,
  type BenchReport,
  type ModeSummary,
  type RequestStats,
  type RunRecord,
  type SteadySummary,
} from './report';
import { AGENT_NODE_OPTIONS } from './agent-flags';
import { measureAgentScans } from './agent-process';
import { measureCli } from './cli';
import { runRest } from './rest';
import { runPrometheusPhase } from './prometheus';

/** The REST flood of issue 11: 500 connections on the heaviest page while the liveness probe runs. */
const HEALTH_LOAD_CONNECTIONS = 500;
import { runHistory, ScanWorker } from './workers';

const ROOT = path.join(__dirname, '..', '..');
const TOKEN = 'bench-token';
/** The agent's reader lists this many kinds at once (kubernetes-cluster-reader.ts); floor and naive match it. */
const READER_CONCURRENCY = 4;
/** The default schedule's interval: the steady-state scans are this far apart on the agent's clock. */
const SCHEDULE_INTERVAL_MS = 5 * 60_000;
const STEADY_WINDOW = '1h';
/**
 * The usage-history phase: the default `overProvisioning.window` filled at the default `usage.sampleInterval`
 * (14 days at 1 minute: 20,161 readings), and the readings after it has filled (they evict).
 */
const HISTORY_WINDOW = '14d';
const HISTORY_INTERVAL = '1m';
const HISTORY_EXTRA_SCANS = 12;
/** The history file's cluster as the history phase writes it; the agent phase re-labels a copy for its simulator. */
const HISTORY_CLUSTER = 'bench';

const LABELS: Record<ScanMode, string> = {
  floor: 'floor: node:http + JSON.parse',
  naive: 'naive: client-node typed lists',
  opsagent: 'OpsAgent: reader + detection',
};

interface Flags {
  size: SizeName;
  seed: number;
  pageSize: number;
  runs?: number;
  warmup: number;
  scan: boolean;
  naive: boolean;
  dense: boolean;
  agent: boolean;
  agentScans: number;
  steady: boolean;
  rest: boolean;
  history: boolean;
  cli: boolean;
  cliRuns?: number;
  prometheus: boolean;
  prometheusSize?: SizeName;
  prometheusDays: number;
  prometheusStep?: number;
  prometheusScans: number;
  steadySize?: SizeName;
  steadyScans: number;
  restIssues?: number;
  restDuration?: number;
  healthLoadDuration?: number;
  connections: number;
  agentNodeOptions: string;
  out: string;
  strict: boolean;
  quiet: boolean;
  print?: string;
}

function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

function parseFlags(argv: string[]): Flags {
  const program = new Command()
    .name('npm run bench --')
    .description('OpsAgent performance: scan vs. reading the cluster, REST under load, steady-state heap')
    .addOption(
      new Option('--size <size>', 'synthetic cluster for the scan phase')
        .choices(['tiny', 'small', 'medium', 'large'])
        .default('large'),
    )
    .option('--seed <n>', 'seed of the synthetic clusters', integer(0, 2 ** 32 - 1), 42)
    .option('--page-size <n>', "LIST limit (the agent's kubernetes.pageSize)", integer(1, 10_000), 500)
    .option('--runs <n>', 'measured scans per way of reading (default: 3; tiny: 2)', integer(1, 50))
    .option('--warmup <n>', 'scans per way of reading before the measured ones', integer(0, 10), 1)
    .option('--no-scan', 'skip the scan comparison (floor, naive, OpsAgent)')
    .option('--no-naive', 'skip the client-node typed-list reading')
    .option('--no-dense', "skip the scan comparison of the dense shape (--size's workloads in one namespace)")
    .option('--no-agent', 'skip the agent process (serve) scanning the cluster')
    .option('--agent-scans <n>', 'scans of the agent process (serve) after the comparison', integer(1, 20), 3)
    .option('--no-steady', 'skip the steady-state scans')
    .option('--no-rest', 'skip the REST load test')
    .option('--no-history', "skip the usage history's memory and time (a full default window at --size)")
    .option('--no-cli', 'skip the CLI start-up (bin/opsagent --help and scan examples/)')
    .option('--cli-runs <n>', 'measured runs of each CLI command (default: 9; tiny: 5)', integer(1, 100))
    .option('--no-prometheus', 'skip the scans with usage.source: prometheus against a backfilled Prometheus')
    .addOption(
      new Option('--prometheus-size <size>', 'cluster of the Prometheus phase (default: small; tiny: tiny)').choices([
        'tiny',
        'small',
        'large',
      ]),
    )
    .option('--prometheus-days <n>', 'days of usage backfilled into Prometheus (the window)', integer(1, 30), 7)
    .option('--prometheus-step <s>', 'seconds between backfilled samples (default: 3600)', integer(30, 86_400))
    .option('--prometheus-scans <n>', 'scans of the agent with the Prometheus source', integer(1, 20), 2)
    .option('--skip-rest', 'same as --no-rest')
    .option('--skip-steady', 'same as --no-steady')
    .addOption(
      new Option('--steady-size <size>', 'cluster for the steady-state scans (default: small; tiny: tiny)').choices([
        'tiny',
        'small',
        'large',
      ]),
    )
    .option('--steady-scans <n>', 'consecutive scans in the steady-state phase', integer(2, 1000), 50)
    .option(
      '--rest-issues <n>',
      "issues in the agent's store during the REST load (default: 100000; tiny: 2000)",
      integer(4, 1_000_000),
    )
    .option('--rest-duration <s>', 'seconds of load per endpoint (default: 10; tiny: 1)', integer(1, 120))
    .option('--connections <n>', 'concurrent connections of the load generator', integer(1, 256), 10)
    .option(
      '--health-load-duration <s>',
      'seconds of 500 connections on /api/v1/issues?limit=1000 while /health is probed (default: 10; tiny: 5; 0 = skip)',
      integer(0, 600),
    )
    .option(
      '--agent-node-options <flags>',
      'Node flags of every OpsAgent process (default: the NODE_OPTIONS its Helm chart sets)',
      AGENT_NODE_OPTIONS,
    )
    .option('--out <file>', 'where to write the JSON results', 'bench/results/latest.json')
    .option('--strict', 'exit 1 when a target is missed (not only on broken expectations)', false)
    .option('--quiet', 'no progress lines on stderr', false)
    .option('--print <file>', 'print the table of a saved results file and exit');
  program.parse(argv, { from: 'user' });
  const opts = program.opts<Flags & { skipRest?: boolean; skipSteady?: boolean }>();
  if (opts.skipRest) opts.rest = false;
  if (opts.skipSteady) opts.steady = false;
  return opts;
}

/** What the simulator's log says about the requests since it was last cleared. */
function requestStats(log: readonly RequestLogEntry[], pageSize: number): RequestStats {
  const listPaths = new Set<string>(LISTED.map((l) => l.path));
  const stats: RequestStats = { requests: 0, bytes: 0, listRequests: 0, objectGets: 0, other: 0, byPath: {} };
  for (const e of log) {
    stats.requests++;
    stats.bytes += e.bytes;
    stats.byPath[e.path] = (stats.byPath[e.path] ?? 0) + 1;
    const ok = e.method === 'GET' && e.status === 200;
    if (ok && listPaths.has(e.path) && e.query.limit === String(pageSize)) stats.listRequests++;
    else if (ok && e.path === POD_METRICS_PATH) stats.listRequests++;
    else if (
      e.method === 'GET' &&
      /\/(namespaces\/[^/]+\/)?[a-z]+\/[^/]+$/.test(e.path) &&
      !listPaths.has(e.path) &&
      e.path !== POD_METRICS_PATH
    )
      stats.objectGets++;
    else stats.other++;
  }
  return stats;
}

interface Context {
  flags: Flags;
  log: (line: string) => void;
  kubeconfig: string;
  deadline: number;
}

function agentExecArgv(ctx: Context): string[] {
  return ctx.flags.agentNodeOptions.split(/\s+/).filter((f) => f !== '');
}

function workerTimeout(ctx: Context): number {
  // Up to 30 min: the 14-day history phase at `large` takes more than 10 on a slow 2-core machine.
  return Math.max(10_000, Math.min(30 * 60_000, ctx.deadline - Date.now()));
}

async function serve(cluster: SyntheticCluster, ctx: Context): Promise<{ sim: Simulator; loadMs: number }> {
  const started = Date.now();
  const sim = await startSimulator({ token: TOKEN, maxLogEntries: 1_000_000 });
  sim.load(cluster.objects());
  sim.writeKubeconfig(ctx.kubeconfig);
  return { sim, loadMs: Date.now() - started };
}

function summarize(mode: ScanMode, records: RunRecord[], idle: ModeSummary['idle']): ModeSummary {
  const measured = records.filter((r) => !r.warmUp);
  const last = measured[measured.length - 1];
  const peak = { ...records[0].peak };
  for (const r of records)
    for (const k of Object.keys(peak) as (keyof typeof peak)[]) peak[k] = Math.max(peak[k], r.peak[k]);
  return {
    mode,
    label: LABELS[mode],
    runs: records,
    medianMs: median(measured.map((r) => r.durationMs)),
    minMs: Math.min(...measured.map((r) => r.durationMs)),
    coldMs: records[0].durationMs,
    ...(mode === 'opsagent' ? { medianReadMs: median(measured.map((r) => r.readMs ?? NaN)) } : {}),
    medianCpuMs: median(measured.map((r) => r.cpuMs)),
    medianServerCpuMs: median(measured.map((r) => r.server.cpuMs)),
    requestsPerScan: median(measured.map((r) => r.server.requests)),
    bytesPerScan: median(measured.map((r) => r.server.bytes)),
    peak,
    maxRss: Math.max(...records.map((r) => r.maxRss)),
    idle,
    ...(mode === 'opsagent'
      ? {
          issues: last.issues,
          workloads: last.workloads,
          containers: last.containers,
          // The first scan's: the served PodMetrics never change, so later scans count them as the same samples.
          usageSamples: records[0].usageSamples,
        }
      : {}),
  };
}

/**
 * Each way of reading in its own process, the runs interleaved (floor, naive, OpsAgent, floor, …) so that a
 * change in the machine's load during the phase weighs on all of them alike.
 */
async function measureModes(modes: ScanMode[], sim: Simulator, ctx: Context, runs: number): Promise<ModeSummary[]> {
  const workers = new Map<ScanMode, ScanWorker>();
  const records = new Map<ScanMode, RunRecord[]>(modes.map((m) => [m, []]));
  try {
    for (const mode of modes) {
      const init: WorkerInit = {
        mode,
        server: sim.url,
        token: TOKEN,
        kubeconfig: ctx.kubeconfig,
        pageSize: ctx.flags.pageSize,
        concurrency: READER_CONCURRENCY,
        // Over-provisioning judged from the first scan, so every rule runs; otherwise the defaults.
        config: { overProvisioning: { minSamples: 1 }, kubernetes: { pageSize: ctx.flags.pageSize } },
      };
      // The agent runs with the Node flags its Helm chart gives it (NODE_OPTIONS).
      const execArgv = mode === 'opsagent' ? agentExecArgv(ctx) : [];
      workers.set(mode, await ScanWorker.start(init, { execArgv, timeoutMs: workerTimeout(ctx) }));
    }
    const total = ctx.flags.warmup + runs;
    for (let i = 0; i < total; i++) {
      for (const mode of modes) {
        sim.clearLog();
        const cpu = process.cpuUsage();
        const run = await workers.get(mode)!.run();
        const { user, system } = process.cpuUsage(cpu);
        const server = { ...requestStats(sim.requests, ctx.flags.pageSize), cpuMs: (user + system) / 1000 };
        records.get(mode)!.push({ ...run, warmUp: i < ctx.flags.warmup, server });
        ctx.log(`  ${i + 1}/${total} ${mode}: ${(run.durationMs / 1000).toFixed(2)} s, ${server.requests} requests`);
      }
    }
  } finally {
    await Promise.all([...workers.values()].map((w) => w.close()));
  }
  return modes.map((m) => summarize(m, records.get(m)!, workers.get(m)!.idle));
}

async function measureSteady(sim: Simulator, size: SizeName, ctx: Context): Promise<SteadySummary> {
  const scans = ctx.flags.steadyScans;
  const worker = await ScanWorker.start(
    {
      mode: 'opsagent',
      server: sim.url,
      token: TOKEN,
      kubeconfig: ctx.kubeconfig,
      pageSize: ctx.flags.pageSize,
      concurrency: READER_CONCURRENCY,
      config: { overProvisioning: { minSamples: 1, window: STEADY_WINDOW } },
      clockStepMs: SCHEDULE_INTERVAL_MS,
    },
    {
      execArgv: ['--expose-gc', ...agentExecArgv(ctx)],
      timeoutMs: workerTimeout(ctx),
    },
  );
  const heap: number[] = [];
  const durations: number[] = [];
  const requests: number[] = [];
  let maxRss = 0;
  try {
    for (let i = 0; i < scans; i++) {
      sim.clearLog();
      const run = await worker.run();
      if (run.heapUsedAfterGc === undefined) throw new Error('steady: no heap figure (is --expose-gc set?)');
      heap.push(run.heapUsedAfterGc);
      durations.push(run.durationMs);
      requests.push(sim.requests.length);
      maxRss = Math.max(maxRss, run.maxRss, run.peak.rss);
      if ((i + 1) % 10 === 0)
        ctx.log(`  steady ${i + 1}/${scans}: heap ${(run.heapUsedAfterGc / 2 ** 20).toFixed(1)} MiB`);
    }
  } finally {
    await worker.close();
  }
  // The usage history fills its window (1h at one scan per 5 min = 12 samples) during the warm-up; past it,
  // the heap should be flat.
  const warmupScans = Math.min(scans - 1, Math.max(1, Math.ceil(scans * 0.3)));
  const baseline = heap[warmupScans - 1];
  const final = heap[heap.length - 1];
  return {
    size,
    scans,
    warmupScans,
    clockStepMs: SCHEDULE_INTERVAL_MS,
    window: STEADY_WINDOW,
    heapUsedAfterGc: heap,
    durationsMs: durations,
    requestsPerScan: requests,
    baseline,
    final,
    growthPct: ((final - baseline) / baseline) * 100,
    maxRss,
  };
}

/**
 * A copy of the history phase's file for the agent: the same bytes under a header naming the cluster the agent
 * reads (the simulator's URL, the kubeconfig's server), so the agent loads it at start.
 */
function agentHistoryFile(source: string, cluster: string): { file: string; bytes: number; cluster: string } {
  const bytes = fs.readFileSync(source);
  const newline = bytes.indexOf(10);
  const header = JSON.parse(bytes.subarray(0, newline).toString('utf8')) as Record<string, unknown>;
  const file = `${source}.agent`;
  fs.writeFileSync(
    file,
    Buffer.concat([Buffer.from(`${JSON.stringify({ ...header, cluster })}\n`), bytes.subarray(newline + 1)]),
  );
  return { file, bytes: bytes.length, cluster };
}

/** The header and the containers of a history file the agent saved (its last save, at shutdown). */
function savedHistory(file: string): { cluster: unknown; series: number } {
  const bytes = fs.readFileSync(file);
  const header = JSON.parse(bytes.subarray(0, bytes.indexOf(10)).toString('utf8')) as Record<string, unknown>;
  const history = UsageHistory.decode(bytes, { windowMs: Number(header.windowMs), cluster: String(header.cluster) });
  return { cluster: header.cluster, series: history.seriesCount };
}

async function main(): Promise<number> {
  const flags = parseFlags(process.argv.slice(2));
  if (flags.print !== undefined) {
    const saved = JSON.parse(fs.readFileSync(flags.print, 'utf8')) as BenchReport;
    // Judged again with today's targets: a saved run keeps its figures, not its verdicts.
    saved.targets = checkTargets(saved);
    process.stdout.write(`${formatTable(saved)}\n`);
    return 0;
  }
  const tiny = flags.size === 'tiny';
  const runs = flags.runs ?? (tiny ? 2 : 3);
  const steadySize: SizeName = flags.steadySize ?? (tiny ? 'tiny' : 'small');
  const restIssues = flags.restIssues ?? (tiny ? 2_000 : 100_000);
  const restDuration = flags.restDuration ?? (tiny ? 1 : 10);
  const healthLoadDuration = flags.healthLoadDuration ?? (tiny ? 5 : 10);
  const log = flags.quiet ? () => undefined : (line: string) => process.stderr.write(`bench: ${line}\n`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-bench-'));
  const ctx: Context = { flags, log, kubeconfig: path.join(dir, 'kubeconfig'), deadline: Date.now() + 60 * 60_000 };
  const startedAt = new Date().toISOString();

  const shape = SIZES[flags.size];
  const cluster = buildCluster(shape, flags.seed);
  // Only the scan and steady-state phases read the cluster over HTTP.
  let sim: Simulator | undefined;
  let loadMs: number | undefined;
  if (flags.scan || (flags.steady && steadySize === flags.size)) {
    log(`serving the "${flags.size}" cluster (${shape.workloads} workloads, ${shape.pods} Pods)`);
    ({ sim, loadMs } = await serve(cluster, ctx));
  }
  const report: BenchReport = {
    schema: 1,
    startedAt,
    finishedAt: '',
    machine: {
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
      memoryBytes: os.totalmem(),
      platform: `${os.platform()} ${os.release()}`,
    },
    options: { ...flags, runs, steadySize, restIssues, restDuration, healthLoadDuration },
    cluster: {
      size: flags.size,
      seed: flags.seed,
      shape,
      counts: cluster.counts,
      pageSize: flags.pageSize,
      expectedPagesPerScan: pagesPerScan(cluster.counts, flags.pageSize),
      loadMs,
    },
    scan: {},
    targets: [],
    problems: [],
  };
  // First, so the agent phase can start from the full history file this phase writes.
  const historyFile = path.join(dir, 'usage-history');
  if (flags.history) {
    const request = {
      size: flags.size,
      seed: flags.seed,
      windowMs: parseDuration(HISTORY_WINDOW),
      intervalMs: parseDuration(HISTORY_INTERVAL),
      extraScans: HISTORY_EXTRA_SCANS,
      file: { path: historyFile, cluster: HISTORY_CLUSTER },
    };
    log(`history: ${shape.workloads} workloads, a ${HISTORY_WINDOW} window read every ${HISTORY_INTERVAL}`);
    report.history = await runHistory(request, {
      // The worker also holds its inputs (the workloads and 60 drawn readings of every Pod), more than the agent's
      // 384 MiB heap at `large`. The figure is what the history retains (a difference), and the agent phase
      // measures the agent's own RSS with this history loaded.
      execArgv: ['--expose-gc', ...agentExecArgv(ctx), '--max-old-space-size=2048'],
      timeoutMs: workerTimeout(ctx),
    });
  }
  try {
    if (flags.scan) {
      const modes: ScanMode[] = flags.naive ? ['floor', 'naive', 'opsagent'] : ['floor', 'opsagent'];
      log(`scan: ${modes.join(', ')}, ${flags.warmup} warm-up + ${runs} measured runs each, interleaved`);
      for (const summary of await measureModes(modes, sim!, ctx, runs)) report.scan[summary.mode] = summary;
      if (flags.agent) {
        log(`agent: the agent process (serve) scanning "${flags.size}" ${flags.agentScans} times`);
        // With the full history of the history phase: the agent loads it at start, as after a restart.
        const agentHistory = report.history?.file ? agentHistoryFile(historyFile, sim!.url) : undefined;
        report.agent = await measureAgentScans({
          kubeconfig: ctx.kubeconfig,
          config: {
            overProvisioning: { minSamples: 1 },
            kubernetes: { pageSize: flags.pageSize },
            ...(agentHistory ? { usage: { historyFile: agentHistory.file } } : {}),
          },
          historyBytes: agentHistory?.bytes,
          nodeOptions: flags.agentNodeOptions,
          scans: flags.agentScans,
          log,
        });
        if (agentHistory) {
          // The agent saved the history at every scan and at shutdown: it loaded the file (same cluster) and kept
          // every container (its workloads are the served cluster's).
          const saved = savedHistory(agentHistory.file);
          report.agent.historySeries = saved.series;
          if (saved.cluster !== agentHistory.cluster || saved.series !== report.history!.series) {
            report.problems.push(
              `agent: the history it saved holds ${saved.series} containers of ${String(saved.cluster)}, expected ` +
                `${report.history!.series} of ${agentHistory.cluster}: it did not start from the full history`,
            );
          }
        }
      }
    }
    if (flags.steady) {
      if (!sim || steadySize !== flags.size) {
        await sim?.close();
        log(`steady: serving the "${steadySize}" cluster`);
        ({ sim } = await serve(buildCluster(SIZES[steadySize], flags.seed), ctx));
      }
      log(`steady: ${flags.steadyScans} scans of "${steadySize}"`);
      report.steady = await measureSteady(sim, steadySize, ctx);
    }
  } finally {
    await sim?.close();
  }
  if (flags.scan && flags.dense) {
    // Every Pod's namespace holds every workload: attribution that scans a namespace's workloads per Pod shows.
    // Served once the spread cluster is closed, so the orchestrator never holds two large clusters.
    const denseShape = denseOf(shape);
    const dense = buildCluster(denseShape, flags.seed);
    log(`dense: the "${flags.size}" workloads in one namespace; floor, opsagent, interleaved`);
    const denseSim = (await serve(dense, ctx)).sim;
    try {
      const [floor, opsagent] = await measureModes(['floor', 'opsagent'], denseSim, ctx, runs);
      report.dense = {
        shape: denseShape,
        counts: dense.counts,
        expectedPagesPerScan: pagesPerScan(dense.counts, flags.pageSize),
        floor,
        opsagent,
      };
    } finally {
      await denseSim.close();
    }
  }
  if (flags.rest) {
    report.rest = await runRest({
      issues: restIssues,
      namespaces: Math.min(500, Math.max(8, Math.ceil(restIssues / 200))),
      connections: flags.connections,
      durationSec: restDuration,
      warmupSec: tiny ? 0 : 2,
      nodeOptions: flags.agentNodeOptions,
      healthLoad: { connections: HEALTH_LOAD_CONNECTIONS, durationSec: healthLoadDuration },
      log,
    });
  }
  if (flags.prometheus) {
    const size: SizeName = flags.prometheusSize ?? (tiny ? 'tiny' : 'small');
    log(`prometheus: the agent process with usage.source: prometheus on "${size}", ${flags.prometheusDays} days`);
    report.prometheus = await runPrometheusPhase({
      size,
      seed: flags.seed,
      days: flags.prometheusDays,
      stepS: flags.prometheusStep ?? 3600,
      pageSize: flags.pageSize,
      nodeOptions: flags.agentNodeOptions,
      scans: flags.prometheusScans,
      log,
      serve: async (cluster) => {
        const served = await serve(cluster, ctx);
        return { kubeconfig: ctx.kubeconfig, close: () => served.sim.close() };
      },
    });
  }
  if (flags.cli) {
    const cliRuns = flags.cliRuns ?? (tiny ? 5 : 9);
    log(`cli: bin/opsagent --help and scan examples/, and node -e '', 1 warm-up + ${cliRuns} runs each, interleaved`);
    report.cli = await measureCli({ root: ROOT, runs: cliRuns, warmup: 1, log });
  }
  fs.rmSync(dir, { recursive: true, force: true });

  report.finishedAt = new Date().toISOString();
  report.targets = checkTargets(report);
  const expected = report.cluster.expectedPagesPerScan;
  const denseExpected = report.dense?.expectedPagesPerScan;
  for (const r of [...(report.dense?.floor.runs ?? []), ...(report.dense?.opsagent.runs ?? [])]) {
    if (r.server.requests !== denseExpected || r.server.objectGets > 0 || r.server.other > 0) {
      report.problems.push(
        `dense: ${r.server.requests} requests (${r.server.objectGets} object GETs, ${r.server.other} other), expected ${denseExpected} pages`,
      );
    }
  }
  for (const mode of ['floor', 'naive', 'opsagent'] as const) {
    for (const r of report.scan[mode]?.runs ?? []) {
      if (r.server.requests !== expected || r.server.objectGets > 0 || r.server.other > 0) {
        report.problems.push(
          `${mode}: ${r.server.requests} requests (${r.server.objectGets} object GETs, ${r.server.other} other), expected ${expected} pages`,
        );
      }
    }
  }
  for (const e of report.rest?.endpoints ?? []) {
    if (e.errors > 0 || e.non2xx > 0)
      report.problems.push(`rest ${e.url}: ${e.errors} errors, ${e.non2xx} non-2xx answers`);
  }
  for (const [i, scan] of (report.prometheus?.scans ?? []).entries()) {
    if (scan.status !== 'succeeded' || scan.warnings.length > 0 || !(Number(scan.usageSamples) > 0))
      report.problems.push(
        `prometheus scan ${i + 1}: ${scan.status}, ${scan.usageSamples} samples; ${scan.warnings.join('; ') || 'no warnings'}`,
      );
  }
  report.problems.push(...missingFigures(report).map((f) => `missing figure: ${f}`));

  const out = path.resolve(ROOT, flags.out);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${formatTable(report)}\n\nresults: ${path.relative(process.cwd(), out) || out}\n`);
  for (const p of report.problems) process.stderr.write(`bench: PROBLEM: ${p}\n`);
  const missed = report.targets.filter((t) => !t.ok);
  if (missed.length > 0) process.stderr.write(`bench: targets missed: ${missed.map((t) => t.id).join(', ')}\n`);
  return report.problems.length > 0 || (flags.strict && missed.length > 0) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
