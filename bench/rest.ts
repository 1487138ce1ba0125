/**
 * The REST phase: the built agent (`dist/.../main.js serve`, as the container runs it) against a simulator
 * serving a cluster that yields a known number of issues; after its startup scan, autocannon loads
 * `/health` and `/api/v1/issues` (unfiltered and filtered, limit 100) one after the other, from a separate
 * process.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { startSimulator } from '../tools/k8s-simulator/simulator';
import { buildIssueCluster } from './cluster';
import type { LoadResult } from './loadgen-worker';
import { runLoad } from './workers';

const MAIN = path.join(__dirname, '..', 'apps', 'opsagent', 'src', 'main.js');

export interface RestOptions {
  issues: number;
  namespaces: number;
  connections: number;
  durationSec: number;
  warmupSec: number;
  /** NODE_OPTIONS of the agent process (the Helm chart's); empty = Node's defaults. */
  nodeOptions: string;
  log: (line: string) => void;
}

export interface RestResult {
  issues: number;
  connections: number;
  durationSec: number;
  /** The agent's startup scan of the issue cluster, as it reported it. */
  scanMs: number;
  endpoints: LoadResult[];
  /** The agent process (NestJS, both servers, 100k issues in its store), from /proc: bytes. */
  agentRss: { afterScan?: number; peakAfterScan?: number; afterLoad?: number; peakAfterLoad?: number };
}

export const REST_TARGETS = (namespace: string) => [
  { name: 'health', path: '/health' },
  { name: 'issues', path: '/api/v1/issues?limit=100' },
  // One indexed key: the store starts from the namespace index (about issues / namespaces entries).
  { name: 'issues-namespace', path: `/api/v1/issues?namespace=${namespace}&rule=memory-limit-missing&limit=100` },
  // No key narrows much: the store walks the kind index in severity order to count `total`.
  { name: 'issues-severity', path: '/api/v1/issues?kind=Deployment&minSeverity=high&limit=100' },
];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** VmRSS and VmHWM (peak) of a process, bytes; undefined where /proc is not there. */
function procMemory(pid: number): { rss?: number; peak?: number } {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) * 1024 : undefined;
    };
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return {};
  }
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export async function runRest(opts: RestOptions): Promise<RestResult> {
  const cluster = buildIssueCluster(opts.issues, opts.namespaces);
  const sim = await startSimulator({ token: 'bench-token' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-bench-'));
  try {
    sim.load(cluster.objects());
    const kubeconfig = path.join(dir, 'kubeconfig');
    sim.writeKubeconfig(kubeconfig);
    const apiPort = await freePort();
    const metricsPort = await freePort();
    const configFile = path.join(dir, 'config.yaml');
    fs.writeFileSync(
      configFile,
      stringify({
        schedule: '0 0 1 1 *', // once a year: only the startup scan runs during the load
        runOnStartup: true,
        server: { port: apiPort },
        metrics: { port: metricsPort },
        scanTimeout: '10m',
      }),
    );
    opts.log(`rest: starting the agent (${cluster.expectedIssues} issues expected)`);
    const agent = spawn(process.execPath, [MAIN, 'serve', '--config', configFile], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        TZ: 'UTC',
        KUBECONFIG: kubeconfig,
        HOME: dir,
        // As the Helm chart runs it (NODE_OPTIONS with maxOldSpaceSizeMi).
        ...(opts.nodeOptions.trim() !== '' ? { NODE_OPTIONS: opts.nodeOptions } : {}),
      },
      // stdout: one JSON line per new issue (100k at startup), not needed here.
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    agent.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4000)));
    const exited = new Promise<number | null>((resolve) => agent.on('exit', (code) => resolve(code)));
    const api = `http://127.0.0.1:${apiPort}`;
    try {
      const scan = await waitForScan(api, exited, () => stderr);
      const counts = scan.counts as { issues?: number } | undefined;
      if (scan.status !== 'succeeded' || counts?.issues !== cluster.expectedIssues) {
        throw new Error(
          `rest: startup scan ${String(scan.status)} with ${counts?.issues} issues, expected ${cluster.expectedIssues}`,
        );
      }
      const afterScan = procMemory(agent.pid!);
      const namespace = 'team-007';
      const targets = REST_TARGETS(namespace).map((t) => ({ name: t.name, url: api + t.path }));
      for (const t of targets.slice(1)) {
        const { status, body } = await getJson(t.url);
        const items = body.items as unknown[] | undefined;
        if (status !== 200 || !items || items.length === 0) throw new Error(`rest: ${t.url} answered ${status}`);
        if (t.name === 'issues' && body.total !== cluster.expectedIssues) {
          throw new Error(`rest: ${t.url} total ${String(body.total)}, expected ${cluster.expectedIssues}`);
        }
      }
      opts.log(
        `rest: ${targets.length} endpoints × ${opts.durationSec} s, ${opts.connections} connections (+${opts.warmupSec} s warm-up each)`,
      );
      const endpoints = await runLoad({
        targets,
        connections: opts.connections,
        durationSec: opts.durationSec,
        warmupSec: opts.warmupSec,
      });
      const afterLoad = procMemory(agent.pid!);
      return {
        issues: cluster.expectedIssues!,
        connections: opts.connections,
        durationSec: opts.durationSec,
        scanMs: Number(scan.durationMs),
        endpoints,
        agentRss: {
          afterScan: afterScan.rss,
          peakAfterScan: afterScan.peak,
          afterLoad: afterLoad.rss,
          peakAfterLoad: afterLoad.peak,
        },
      };
    } finally {
      agent.kill('SIGTERM');
      const bound = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
      await Promise.race([exited, bound]);
      if (agent.exitCode === null) agent.kill('SIGKILL');
    }
  } finally {
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function waitForScan(
  api: string,
  exited: Promise<number | null>,
  stderr: () => string,
): Promise<Record<string, unknown>> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 5 * 60_000;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`rest: the agent exited before its first scan:\n${stderr()}`);
    try {
      const { status, body } = await getJson(`${api}/api/v1/scans/latest`);
      if (status === 200) return body;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`rest: no scan after 5 minutes:\n${stderr()}`);
}
