/**
 * `bin/opsagent serve` (the image's entry point too) runs node with the Helm chart's heap flags
 * (bench/agent-flags.ts, held equal to the chart's NODE_OPTIONS by test/chart/chart-render.spec.ts) unless NODE_OPTIONS
 * already sets them, each flag on its own: a process started outside the chart is sized as the chart sizes it.
 * The flags are read from the running agent's /proc/PID/cmdline, against the Kubernetes API simulator.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { AGENT_NODE_OPTIONS } from '../../bench/agent-flags';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { freePort, ROOT, tempDir, waitFor } from './harness';

const BIN = path.join(ROOT, 'bin', 'opsagent');
const [OLD_SPACE, SEMI_SPACE] = AGENT_NODE_OPTIONS.split(' ');

let simulator: Simulator;
let dir: string;

beforeAll(async () => {
  simulator = await startSimulator();
  dir = tempDir('opsagent-heap-flags-');
  simulator.writeKubeconfig(path.join(dir, 'kubeconfig'));
});

afterAll(async () => {
  await simulator?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts `bin/opsagent <args>` with NODE_OPTIONS (unset when undefined); resolves with node's argv once it serves. */
async function nodeArgvOf(nodeOptions: string | undefined, args = ['serve']): Promise<string[]> {
  const [apiPort, metricsPort] = [await freePort(), await freePort()];
  const config = path.join(dir, `config-${apiPort}.yaml`);
  fs.writeFileSync(
    config,
    stringify({ runOnStartup: false, server: { port: apiPort }, metrics: { port: metricsPort } }),
  );
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    TZ: 'UTC',
    KUBECONFIG: path.join(dir, 'kubeconfig'),
    ...(nodeOptions === undefined ? {} : { NODE_OPTIONS: nodeOptions }),
  };
  const child = spawn(BIN, [...args, '--config', config], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await waitFor(
      async () => ((await fetch(`http://127.0.0.1:${apiPort}/health`)).status === 200 ? true : undefined),
      20_000,
      `bin/opsagent serve on port ${apiPort} (stderr: ${stderr})`,
    );
    // bin/opsagent execs node: the PID it was started as is node's.
    const argv = fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const environ = fs.readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0');
    expect(environ.filter((e) => e.startsWith('NODE_OPTIONS='))).toEqual(
      nodeOptions === undefined ? [] : [`NODE_OPTIONS=${nodeOptions}`],
    );
    return argv;
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** The node options before the script: what node runs with besides NODE_OPTIONS. */
const nodeFlags = (argv: string[]) =>
  argv.slice(
    1,
    argv.findIndex((a) => a.endsWith('main.js')),
  );

describe('bin/opsagent serve: the chart heap flags by default', () => {
  it(`runs node with ${AGENT_NODE_OPTIONS} when NODE_OPTIONS is not set`, async () => {
    const argv = await nodeArgvOf(undefined);
    expect(argv.find((a) => a.endsWith('main.js'))).toBe(path.join(ROOT, 'dist/apps/opsagent/src/main.js'));
    expect(nodeFlags(argv)).toEqual([OLD_SPACE, SEMI_SPACE]);
  }, 30_000);

  it('adds both when NODE_OPTIONS sets something else', async () => {
    expect(nodeFlags(await nodeArgvOf('--no-warnings'))).toEqual([OLD_SPACE, SEMI_SPACE]);
  }, 30_000);

  it('leaves out --max-old-space-size when NODE_OPTIONS sets it, and still adds --max-semi-space-size', async () => {
    expect(nodeFlags(await nodeArgvOf('--max-old-space-size=256'))).toEqual([SEMI_SPACE]);
  }, 30_000);

  it('leaves out --max-semi-space-size when NODE_OPTIONS sets it (V8 spelling), and still adds the heap limit', async () => {
    expect(nodeFlags(await nodeArgvOf('--no-warnings --max_semi_space_size=8'))).toEqual([OLD_SPACE]);
  }, 30_000);

  it('adds nothing when NODE_OPTIONS sets both (the chart sets both)', async () => {
    expect(nodeFlags(await nodeArgvOf(AGENT_NODE_OPTIONS))).toEqual([]);
  }, 30_000);
});
