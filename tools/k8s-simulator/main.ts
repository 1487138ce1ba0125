#!/usr/bin/env node
/**
 * `node dist/tools/k8s-simulator/main.js [--port 6443] [--token T] [--kubeconfig FILE] [--demo] [PATH ...]`
 * Serves the manifests under PATH (and/or the demo cluster) as a read-only Kubernetes API until
 * SIGINT/SIGTERM. Prints the URL on stdout; everything else goes to stderr.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ManifestError } from '@opsagent/core/manifests/errors';
import { readManifestSources } from '@opsagent/core/manifests/manifest-reader';
import { buildDemoCluster, DEFAULT_DEMO_SEED } from './demo-cluster';
import { DEFAULT_CONTINUE_TTL_MS, startSimulator, type Simulator } from './simulator';
import { InvalidObjectError } from './store';

interface Flags {
  port: number;
  host: string;
  token?: string;
  kubeconfig?: string;
  context?: string;
  demo?: boolean;
  seed: number;
  continueTtl: number;
}

function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Starts the simulator from argv; resolves to the running simulator, or an exit code when it did not start. */
export async function start(argv: string[], io: Io): Promise<Simulator | number> {
  const program = new Command()
    .name('k8s-simulator')
    .description('A read-only Kubernetes API over HTTP, for tests, demos and benchmarks')
    .argument('[paths...]', 'manifest files or directories to serve (.yaml, .yml, .json; PodMetrics included)')
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', integer(0, 65535), 6443)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--token <token>', 'require this bearer token')
    .option('--kubeconfig <file>', 'write a kubeconfig for the simulator to FILE')
    .option('--context <name>', 'context name in the kubeconfig', 'opsagent-simulator')
    .option('--demo', 'serve the seeded demo cluster, with Pod usage that varies per poll')
    .option('--seed <n>', 'seed of the demo cluster', integer(0, 2 ** 32 - 1), DEFAULT_DEMO_SEED)
    .option(
      '--continue-ttl <ms>',
      'milliseconds a list continue token stays valid',
      integer(1, 2 ** 31 - 1),
      DEFAULT_CONTINUE_TTL_MS,
    )
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  const flags = program.opts<Flags>();
  const paths = program.args;

  const demo = flags.demo ? buildDemoCluster(flags.seed) : undefined;
  let objects: Record<string, unknown>[];
  try {
    objects = (await readManifestSources(paths)).map((m) => m.object);
  } catch (err) {
    if (err instanceof ManifestError) {
      io.stderr(`k8s-simulator: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  let sim: Simulator;
  try {
    sim = await startSimulator({
      port: flags.port,
      host: flags.host,
      token: flags.token,
      continueTtlMs: flags.continueTtl,
      metricsProvider: demo?.metricsProvider,
    });
  } catch (err) {
    io.stderr(`k8s-simulator: cannot listen on ${flags.host}:${flags.port}: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    if (demo) sim.load(demo.objects);
    sim.load(objects);
  } catch (err) {
    await sim.close();
    if (err instanceof InvalidObjectError) {
      io.stderr(`k8s-simulator: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (flags.kubeconfig) sim.writeKubeconfig(flags.kubeconfig, { context: flags.context });

  const stored = sim.objects();
  const byKind = new Map<string, number>();
  for (const o of stored) byKind.set(String(o.kind), (byKind.get(String(o.kind)) ?? 0) + 1);
  const summary = [...byKind].map(([kind, n]) => `${n} ${kind}`).join(', ');
  io.stderr(`k8s-simulator: serving ${stored.length} objects (${summary || 'none'})\n`);
  if (demo) io.stderr(`k8s-simulator: demo cluster (seed ${flags.seed}): PodMetrics vary per poll\n`);
  if (flags.kubeconfig) io.stderr(`k8s-simulator: kubeconfig written to ${flags.kubeconfig}\n`);
  if (flags.token === undefined) io.stderr('k8s-simulator: no --token: requests are not authenticated\n');
  io.stdout(`${sim.url}\n`);
  return sim;
}

if (require.main === module) {
  const io: Io = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
  start(process.argv.slice(2), io).then(
    (result) => {
      if (typeof result === 'number') {
        process.exitCode = result;
        return;
      }
      const stop = (signal: string) => {
        io.stderr(`k8s-simulator: ${signal}, stopping\n`);
        void result.close().then(() => process.exit(0));
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    },
    (err: unknown) => {
      io.stderr(`k8s-simulator: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 70;
    },
  );
}
