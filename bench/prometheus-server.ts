/**
 * A real Prometheus server on backfilled data, for the tests and the bench: OpenMetrics text written series by
 * series, `promtool tsdb create-blocks-from openmetrics` into a data dir, then Debian's `prometheus` on that dir
 * on a free port. Both binaries come from Debian's `prometheus` package, which scripts/setup-promtool.sh installs
 * when it is missing.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './agent-process';

const ROOT = path.resolve(__dirname, '..', ...(__dirname.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []));

/** Time for scripts/setup-promtool.sh on a fresh machine (apt-get update + install prometheus); a no-op after. */
export const PROMETHEUS_SETUP_TIMEOUT_MS = 300_000;

/** Puts `promtool` and `prometheus` on PATH (installing Debian's package when missing); throws when it cannot. */
export function ensurePrometheus(): void {
  execFileSync('bash', [path.join(ROOT, 'scripts', 'setup-promtool.sh')], {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: PROMETHEUS_SETUP_TIMEOUT_MS,
  });
}

export interface OmSeries {
  labels: Record<string, string>;
  /** The value at `t` (unix seconds), or undefined where the series has no sample (before or after its life). */
  value: (t: number) => number | undefined;
}

export interface OmFamily {
  /** Family name: a counter's samples get `_total` appended, as OpenMetrics spells them. */
  name: string;
  type: 'counter' | 'gauge';
  series: OmSeries[];
}

export interface OmRange {
  /** First and last sample time, unix seconds. */
  start: number;
  end: number;
  step: number;
}

/** Writes the families as OpenMetrics text (`# EOF` at the end); returns the samples written. */
export async function writeOpenMetrics(file: string, families: readonly OmFamily[], range: OmRange): Promise<number> {
  const out = fs.createWriteStream(file);
  let samples = 0;
  let buffer = '';
  const flush = async () => {
    if (!out.write(buffer)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    buffer = '';
  };
  for (const family of families) {
    buffer += `# TYPE ${family.name} ${family.type}\n`;
    const sampleName = family.type === 'counter' ? `${family.name}_total` : family.name;
    for (const series of family.series) {
      const labels = Object.entries(series.labels)
        .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
        .join(',');
      for (let t = range.start; t <= range.end; t += range.step) {
        const v = series.value(t);
        if (v === undefined) continue;
        buffer += `${sampleName}{${labels}} ${v} ${t}\n`;
        samples++;
      }
      if (buffer.length > 1 << 20) await flush();
    }
  }
  buffer += '# EOF\n';
  await flush();
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return samples;
}

/** promtool cuts its input into blocks of 2 h, reading the whole input once per block. */
const BLOCK_S = 7200;

export interface Backfill {
  samples: number;
  /** Bytes of OpenMetrics text written (and deleted once backfilled). */
  bytes: number;
  seconds: number;
}

/**
 * Backfills the families into `tsdb` with `promtool tsdb create-blocks-from openmetrics`, one OpenMetrics file per
 * 2-hour block: promtool reads its whole input once per block it makes, so one file of 7 days would be read 84
 * times; one file per block is read once.
 */
export async function backfill(
  dir: string,
  tsdb: string,
  families: readonly OmFamily[],
  range: OmRange,
): Promise<Backfill> {
  const started = Date.now();
  const result: Backfill = { samples: 0, bytes: 0, seconds: 0 };
  const file = path.join(dir, 'block.om');
  for (let from = Math.floor(range.start / BLOCK_S) * BLOCK_S; from <= range.end; from += BLOCK_S) {
    // Sample times of the range inside [from, from + 2h).
    const first = range.start + Math.max(0, Math.ceil((from - range.start) / range.step)) * range.step;
    const last = Math.min(range.end, from + BLOCK_S - 1);
    if (first > last) continue;
    result.samples += await writeOpenMetrics(file, families, { start: first, end: last, step: range.step });
    result.bytes += fs.statSync(file).size;
    await promisify(execFile)('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', file, tsdb], {
      maxBuffer: 64 * 1024 * 1024,
    });
    fs.rmSync(file, { force: true });
  }
  result.seconds = (Date.now() - started) / 1000;
  return result;
}

export interface PrometheusServer {
  url: string;
  process: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s). */
  close(): Promise<void>;
}

/**
 * Starts Prometheus on the blocks in `dir`/tsdb (see `backfill`), ready (`/-/ready` 200) when this resolves.
 * Retention is 400 days, so no backfilled block is dropped at start.
 */
export async function startPrometheus(dir: string): Promise<PrometheusServer> {
  const tsdb = path.join(dir, 'tsdb');
  const config = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(config, 'global:\n  scrape_interval: 1h\nscrape_configs: []\n');
  const port = await freePort();
  const child = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${tsdb}`,
      '--storage.tsdb.retention.time=400d',
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${url}/-/ready`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`prometheus was not ready within 120 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    process: child,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * A CPU counter (seconds) whose rate is `rate(t)` cores, integrated at `step` seconds from `start`. Values are
 * precomputed per step, so `value` is O(1).
 */
export function cpuCounter(range: OmRange, rate: (t: number) => number, life?: { from: number; to: number }) {
  const values = new Float64Array(Math.floor((range.end - range.start) / range.step) + 1);
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const t = range.start + i * range.step;
    if (i > 0) total += rate(t) * range.step;
    values[i] = total;
  }
  return (t: number): number | undefined => {
    if (life && (t < life.from || t > life.to)) return undefined;
    return Number(values[Math.round((t - range.start) / range.step)].toFixed(6));
  };
}
