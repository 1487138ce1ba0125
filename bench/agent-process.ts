/**
 * The built agent as the container runs it (`dist/.../main.js serve`, NODE_OPTIONS from the Helm chart),
 * against a simulator's kubeconfig: started, asked for scans over its REST API, measured from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';

const MAIN = path.join(__dirname, '..', 'apps', 'opsagent', 'src', 'main.js');

export interface AgentProcessOptions {
  kubeconfig: string;
  /** Config keys beside the ports (which are picked here). */
  config: Record<string, unknown>;
  /** NODE_OPTIONS of the agent process (the Helm chart's); empty = Node's defaults. */
  nodeOptions: string;
}

export interface AgentProcess {
  api: string;
  pid: number;
  /** Resolves with the latest scan once one with an id other than `after` has finished. */
  nextScan(after?: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Starts a scan (POST /api/v1/scans) and resolves with it once finished. */
  scan(timeoutMs?: number): Promise<Record<string, unknown>>;
  memory(): ProcMemory;
  /** The agent's own figures of its V8 heap and external memory (its /metrics, prom-client's defaults). */
  heap(): Promise<HeapFigures | undefined>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** VmRSS, VmHWM (peak), and the resident set's anonymous and file-backed parts of a process, bytes. */
export interface ProcMemory {
  rss?: number;
  peak?: number;
  /** RssAnon: the V8 heap, external memory (Buffers, typed arrays) and malloc's arenas. */
  anon?: number;
  /** RssFile: pages of the node binary and libraries mapped in. */
  file?: number;
}

/** nodejs_heap_size_used_bytes, nodejs_heap_size_total_bytes and nodejs_external_memory_bytes, bytes. */
export interface HeapFigures {
  heapUsed: number;
  heapTotal: number;
  external: number;
}

/** VmRSS and VmHWM (peak) of a process, bytes; undefined where /proc is not there. */
export function procMemory(pid: number): ProcMemory {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) * 1024 : undefined;
    };
    return { rss: kb('VmRSS'), peak: kb('VmHWM'), anon: kb('RssAnon'), file: kb('RssFile') };
  } catch {
    return {};
  }
}

export async function getJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export async function startAgentProcess(opts: AgentProcessOptions): Promise<AgentProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-bench-agent-'));
  const apiPort = await freePort();
  const metricsPort = await freePort();
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(
    configFile,
    // The bench triggers its scans back to back by POST: no minimum gap.
    stringify({ scanMinInterval: '0s', ...opts.config, server: { port: apiPort }, metrics: { port: metricsPort } }),
  );
  const child: ChildProcess = spawn(process.execPath, [MAIN, 'serve', '--config', configFile], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      TZ: 'UTC',
      KUBECONFIG: opts.kubeconfig,
      HOME: dir,
      ...(opts.nodeOptions.trim() !== '' ? { NODE_OPTIONS: opts.nodeOptions } : {}),
    },
    // stdout: one JSON line per new issue, not needed here.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4000)));
  let gone = false;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      gone = true;
      resolve(code);
    }),
  );
  const api = `http://127.0.0.1:${apiPort}`;

  async function nextScan(after?: string, timeoutMs = 5 * 60_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (gone) throw new Error(`the agent exited:\n${stderr}`);
      try {
        const { status, body } = await getJson(`${api}/api/v1/scans/latest`);
        if (status === 200 && body.id !== after && body.status !== 'running') return body;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no finished scan after ${timeoutMs / 1000} s:\n${stderr}`);
  }

  return {
    api,
    pid: child.pid!,
    nextScan,
    async scan(timeoutMs) {
      const { status, body } = await getJson(`${api}/api/v1/scans`, { method: 'POST' });
      if (status !== 202) throw new Error(`POST /api/v1/scans answered ${status}: ${JSON.stringify(body)}`);
      const deadline = Date.now() + (timeoutMs ?? 5 * 60_000);
      while (Date.now() < deadline) {
        if (gone) throw new Error(`the agent exited:\n${stderr}`);
        const latest = await getJson(`${api}/api/v1/scans/latest`);
        if (latest.status === 200 && latest.body.id === body.id) return latest.body; // latest = finished
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`scan ${String(body.id)} did not finish:\n${stderr}`);
    },
    memory: () => procMemory(child.pid!),
    async heap() {
      try {
        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
        return {
          heapUsed: value('nodejs_heap_size_used_bytes'),
          heapTotal: value('nodejs_heap_size_total_bytes'),
          external: value('nodejs_external_memory_bytes'),
        };
      } catch {
        return undefined;
      }
    },
    async stop() {
      child.kill('SIGTERM');
      const bound = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
      await Promise.race([exited, bound]);
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface AgentScanSummary {
  nodeOptions: string;
  scans: { durationMs: number; status: string; issues?: number; rssAfter?: number }[];
  /** After startup, before any scan (bytes). */
  idleRss?: number;
  /** VmHWM: the process's peak RSS over its whole life, which is its scans (bytes). */
  peakRss?: number;
  /** Bytes of the usage history file the agent loaded at start (`usage.historyFile`), when it was given one. */
  historyBytes?: number;
  /** Containers in the history the agent saved at its end (bench/main.ts checks it kept them all). */
  historySeries?: number;
  /**
   * Where the memory is: /proc's anonymous and file-backed resident set at idle and at the highest RSS sampled
   * (every 25 ms) during the scans, and the agent's V8 heap and external memory at idle and after the scans.
   */
  breakdown?: {
    idle: ProcMemory;
    peak: ProcMemory;
    idleHeap?: HeapFigures;
    afterHeap?: HeapFigures;
  };
}

/**
 * The agent process itself (NestJS, both servers, logger, store) scanning the served cluster `scans` times,
 * one after the other through its REST API: its idle RSS, and its peak RSS (VmHWM) over those scans.
 */
export async function measureAgentScans(
  opts: AgentProcessOptions & { scans: number; log: (line: string) => void; historyBytes?: number },
): Promise<AgentScanSummary> {
  const agent = await startAgentProcess({
    ...opts,
    config: { ...opts.config, runOnStartup: false, schedule: '0 0 1 1 *', scanTimeout: '10m' },
  });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ok = await getJson(`${agent.api}/health`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error('agent: /health did not answer within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const idle = agent.memory();
    const idleRss = idle.rss;
    const idleHeap = await agent.heap();
    let peak: ProcMemory = idle;
    const sampler = setInterval(() => {
      const now = agent.memory();
      if ((now.rss ?? 0) > (peak.rss ?? 0)) peak = now;
    }, 25);
    sampler.unref();
    const scans: AgentScanSummary['scans'] = [];
    for (let i = 0; i < opts.scans; i++) {
      const scan = await agent.scan();
      const counts = scan.counts as { issues?: number } | undefined;
      scans.push({
        durationMs: Number(scan.durationMs),
        status: String(scan.status),
        issues: counts?.issues,
        rssAfter: agent.memory().rss,
      });
      opts.log(`  agent scan ${i + 1}/${opts.scans}: ${(Number(scan.durationMs) / 1000).toFixed(2)} s, ${scan.status}`);
      if (scan.status !== 'succeeded')
        throw new Error(`agent: scan ${String(scan.status)}: ${JSON.stringify(scan.errors)}`);
    }
    // The history is saved after each scan: let the last save end (the agent logs nothing for it here).
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    clearInterval(sampler);
    const afterHeap = await agent.heap();
    return {
      nodeOptions: opts.nodeOptions,
      scans,
      idleRss,
      peakRss: agent.memory().peak,
      breakdown: { idle, peak, ...(idleHeap ? { idleHeap } : {}), ...(afterHeap ? { afterHeap } : {}) },
      ...(opts.historyBytes !== undefined ? { historyBytes: opts.historyBytes } : {}),
    };
  } finally {
    await agent.stop();
  }
}
