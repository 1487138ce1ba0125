/**
 * A child process that reads the simulated cluster one way, on command, so its memory is its own. The way
 * (bench/modes/*) is loaded only once chosen, so a floor process does not carry client-node or NestJS.
 *
 * floor and naive follow the reader's plan: the eight kinds, `limit` = page size, at most `concurrency` lists
 * at a time, then one PodMetrics list.
 */
import {
  MemorySampler,
  memorySnapshot,
  type FromWorker,
  type RunResult,
  type ToWorker,
  type WorkerInit,
} from './protocol';

export type Runner = () => Promise<Omit<RunResult, 'peak' | 'maxRss' | 'cpuMs'>>;

const sampler = new MemorySampler(5);

function send(message: FromWorker): void {
  process.send?.(message);
}

async function createRunner(init: WorkerInit): Promise<Runner> {
  switch (init.mode) {
    case 'floor':
      return (await import('./modes/floor.js')).createRunner(init);
    case 'naive':
      return (await import('./modes/naive.js')).createRunner(init);
    case 'opsagent':
      return (await import('./modes/opsagent.js')).createRunner(init);
  }
}

// ---- the loop ----

function forceGc(): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

let runner: Runner | undefined;
let steady = false;

process.on('message', (message: ToWorker) => {
  void (async () => {
    try {
      switch (message.type) {
        case 'init': {
          const { init } = message;
          steady = init.clockStepMs !== undefined;
          runner = await createRunner(init);
          sampler.start();
          send({ type: 'ready', memory: memorySnapshot() });
          return;
        }
        case 'run': {
          if (!runner) throw new Error('run before init');
          sampler.reset();
          const cpu = process.cpuUsage();
          const result = await runner();
          const peak = sampler.read();
          const { user, system } = process.cpuUsage(cpu);
          const maxRss = process.resourceUsage().maxRSS * 1024;
          const run: RunResult = { ...result, cpuMs: (user + system) / 1000, peak, maxRss };
          if (steady) run.heapUsedAfterGc = forceGc();
          send({ type: 'result', run });
          return;
        }
        case 'exit':
          sampler.stop();
          // Keep-alive sockets would hold the process up to the server's idle timeout.
          process.exit(0);
      }
    } catch (error) {
      send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  })();
});
