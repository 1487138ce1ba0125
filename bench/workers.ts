/** Starting the bench's child processes and talking to them, with a time bound on every exchange. */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { HistoryRequest, HistorySummary } from './history';
import type { FromHistoryWorker } from './history-worker';
import type { LoadRequest, LoadResult } from './loadgen-worker';
import type { FromWorker, MemorySnapshot, RunResult, ToWorker, WorkerInit } from './protocol';

const SCAN_WORKER = path.join(__dirname, 'scan-worker.js');
const LOADGEN_WORKER = path.join(__dirname, 'loadgen-worker.js');
const HISTORY_WORKER = path.join(__dirname, 'history-worker.js');

/** Rejects when `promise` has not settled after `ms` (and calls `onTimeout`, e.g. to kill the child). */
function within<T>(promise: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`${what}: no answer after ${Math.round(ms / 1000)} s`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (message: T) => {
      cleanup();
      resolve(message);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup();
      reject(new Error(`worker exited (${signal ?? code})`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** One scan-worker process (floor, naive or opsagent), driven one run at a time. */
export class ScanWorker {
  private constructor(
    private readonly child: ChildProcess,
    private readonly timeoutMs: number,
    readonly idle: MemorySnapshot,
  ) {}

  static async start(init: WorkerInit, opts: { execArgv?: string[]; timeoutMs: number }): Promise<ScanWorker> {
    const child = fork(SCAN_WORKER, [], {
      execArgv: opts.execArgv ?? [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, TZ: 'UTC' },
    });
    const ready = nextMessage<FromWorker>(child);
    child.send({ type: 'init', init } satisfies ToWorker);
    const message = await within(ready, opts.timeoutMs, `${init.mode} worker start`, () => child.kill('SIGKILL'));
    if (message.type !== 'ready') {
      child.kill('SIGKILL');
      throw new Error(`${init.mode} worker: ${message.type === 'error' ? message.message : message.type}`);
    }
    return new ScanWorker(child, opts.timeoutMs, message.memory);
  }

  async run(): Promise<RunResult> {
    const answer = nextMessage<FromWorker>(this.child);
    this.child.send({ type: 'run' } satisfies ToWorker);
    const message = await within(answer, this.timeoutMs, 'scan run', () => this.child.kill('SIGKILL'));
    if (message.type === 'result') return message.run;
    throw new Error(message.type === 'error' ? message.message : `unexpected ${message.type}`);
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'exit' } satisfies ToWorker);
    await within(exited, 10_000, 'worker exit', () => this.child.kill('SIGKILL')).catch(() => undefined);
  }
}

/** Runs the load generator in its own process; resolves with one result per target. */
export async function runLoad(request: LoadRequest): Promise<LoadResult[]> {
  const child = fork(LOADGEN_WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const answer = nextMessage<{ type: 'result'; results: LoadResult[] } | { type: 'error'; message: string }>(child);
    child.send(request);
    const bound = request.targets.length * (request.durationSec + request.warmupSec + 30) * 1000;
    const message = await within(answer, bound, 'load generator', () => child.kill('SIGKILL'));
    if (message.type === 'error') throw new Error(`load generator: ${message.message}`);
    return message.results;
  } finally {
    child.kill('SIGTERM');
  }
}

/** Measures the usage history in a child of its own (`execArgv` must include --expose-gc). */
export async function runHistory(
  request: HistoryRequest,
  opts: { execArgv: string[]; timeoutMs: number },
): Promise<HistorySummary> {
  const child = fork(HISTORY_WORKER, [], {
    execArgv: opts.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, TZ: 'UTC' },
  });
  try {
    const answer = nextMessage<FromHistoryWorker>(child);
    child.send(request);
    const message = await within(answer, opts.timeoutMs, 'usage history', () => child.kill('SIGKILL'));
    if (message.type === 'error') throw new Error(`usage history: ${message.message}`);
    return message.summary;
  } finally {
    child.kill('SIGTERM');
  }
}
