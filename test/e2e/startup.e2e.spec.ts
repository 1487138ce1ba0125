import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { workloadObjects } from './fixtures';
import { ROOT, freePort, tempDir, waitFor } from './harness';

/**
 * What a new user meets when `serve` cannot start, or stops: every line on stderr is one JSON object shaped like
 * the log on stdout (level, time, service, msg and fields) — no colour, no Nest banner, no stack trace — and the
 * process exits at once. The built agent runs through bin/opsagent, as a user and the container run it.
 */

const BIN = path.join(ROOT, 'bin', 'opsagent');
const DEMO = path.join(ROOT, 'dist', 'tools', 'demo', 'demo.js');
const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');
const TOKEN = 'sha256~c3RhcnR1cC1zZWNyZXQtdG9rZW4tdmFsdWU';
const KEY_DATA = 'LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2Z0lCQURBTkJna3Foa2lHOXcwQkFRRUZBQVND';

let sim: Simulator;
let dir: string;
let kubeconfig: string;
const held: net.Server[] = [];

beforeAll(async () => {
  sim = await startSimulator({ objects: workloadObjects(1) });
  dir = tempDir('opsagent-startup-');
  kubeconfig = path.join(dir, 'kubeconfig');
  sim.writeKubeconfig(kubeconfig);
});

afterAll(async () => {
  await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
  await sim.close();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function exec(command: string, args: string[], env: Record<string, string>): Promise<Run> & { kill(): void } {
  const child = spawn(command, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', TZ: 'UTC', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return Object.assign(done, { kill: () => child.kill('SIGTERM') });
}

/** A port another server already listens on (on every interface, as the agent would). */
async function takenPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, resolve));
  held.push(server);
  return (server.address() as net.AddressInfo).port;
}

async function configFile(text: string): Promise<string> {
  const file = path.join(tempDir('opsagent-startup-config-'), 'config.yaml');
  fs.writeFileSync(file, text);
  return file;
}

async function ports(over: { api?: number; metrics?: number } = {}): Promise<string> {
  const api = over.api ?? (await freePort());
  const metrics = over.metrics ?? (await freePort());
  return configFile(`server: { port: ${api} }\nmetrics: { port: ${metrics} }\nrunOnStartup: false\n`);
}

/** Every line is a JSON object with the pino shape; returns them parsed. */
function jsonLines(text: string): Record<string, unknown>[] {
  expect(text).not.toContain('\u001b[');
  expect(text).not.toMatch(/^\s+at /m);
  const lines = text.split('\n').filter((l) => l !== '');
  return lines.map((line) => {
    const entry = JSON.parse(line) as Record<string, unknown>;
    expect(entry).toEqual(
      expect.objectContaining({
        level: expect.any(String),
        time: expect.any(String),
        service: 'opsagent',
        msg: expect.any(String),
      }),
    );
    return entry;
  });
}

describe('serve on a port that is taken', () => {
  it.each([
    ['server.port', 'api'],
    ['metrics.port', 'metrics'],
  ] as const)('exits 2 at once with one JSON line naming %s and the port', async (key, which) => {
    const port = await takenPort();
    const run = await exec(BIN, ['serve', '--config', await ports({ [which]: port })], { KUBECONFIG: kubeconfig });
    expect(run.code).toBe(2);
    const [line, ...more] = jsonLines(run.stderr);
    expect(more).toEqual([]);
    expect(line).toMatchObject({
      level: 'error',
      event: 'startup-failed',
      key,
      port,
      code: 'EADDRINUSE',
      msg: `${key}: cannot listen on port ${port}: the port is already in use (EADDRINUSE)`,
    });
    jsonLines(run.stdout);
  });
});

describe('serve that cannot start', () => {
  it('without a kubeconfig prints one JSON line, without Nest ExceptionHandler text or a stack trace', async () => {
    const missing = path.join(dir, 'no-such-kubeconfig');
    const run = await exec(BIN, ['serve', '--config', await ports()], { KUBECONFIG: missing });
    expect(run.code).toBe(2);
    expect(run.stderr).not.toContain('ExceptionHandler');
    expect(jsonLines(run.stderr)).toEqual([
      expect.objectContaining({
        level: 'error',
        event: 'startup-failed',
        error: 'KubeConfigError',
        file: missing,
        msg: `no kubeconfig at ${missing} and not running in a cluster (KUBERNETES_SERVICE_HOST unset); set KUBECONFIG`,
      }),
    ]);
    expect(run.stdout).not.toContain('[Nest]');
    jsonLines(run.stdout);
  });

  it('with an invalid config prints one JSON line listing every problem', async () => {
    const file = await configFile('scheduel: "*/5 * * * *"\nserver: { port: 0 }\n');
    const run = await exec(BIN, ['serve', '--config', file], { KUBECONFIG: kubeconfig });
    expect(run.code).toBe(2);
    expect(jsonLines(run.stderr)).toEqual([
      expect.objectContaining({
        level: 'error',
        event: 'startup-failed',
        error: 'ConfigError',
        file,
        problems: [
          { path: 'scheduel', reason: 'unknown key' },
          { path: 'server.port', reason: expect.any(String) },
        ],
      }),
    ]);
    expect(run.stdout).toBe('');
  });
});

describe('a malformed kubeconfig', () => {
  let malformed: string;

  beforeAll(() => {
    malformed = path.join(dir, 'malformed-kubeconfig');
    fs.writeFileSync(
      malformed,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `  - { name: sim, cluster: { server: "${sim.url}", insecure-skip-tls-verify: true } }`,
        'users:',
        '  - name: sim',
        '    user:',
        `      token: ${TOKEN}`,
        `      client-key-data: ${KEY_DATA}`,
        '     oops: [',
        'contexts: [{ name: sim, context: { cluster: sim, user: sim } }]',
        'current-context: sim',
        '',
      ].join('\n'),
    );
  });

  function expectNoSecret(run: Run): void {
    for (const secret of [TOKEN, KEY_DATA.slice(0, 16)]) expect(run.stdout + run.stderr).not.toContain(secret);
  }

  it('stops serve with one JSON line naming the file, line and column, and none of its content', async () => {
    const run = await exec(BIN, ['serve', '--config', await ports()], { KUBECONFIG: malformed });
    expect(run.code).toBe(2);
    expect(jsonLines(run.stderr)).toEqual([
      expect.objectContaining({
        level: 'error',
        error: 'KubeConfigError',
        file: malformed,
        line: 10,
        column: 6,
        msg: `cannot read kubeconfig ${malformed}: invalid YAML at line 10, column 6: bad indentation of a mapping entry`,
      }),
    ]);
    expectNoSecret(run);
  });

  it('stops `scan` of the cluster with a text line naming the file and line, and none of its content', async () => {
    const run = await exec(BIN, ['scan'], { KUBECONFIG: malformed });
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr:
        `opsagent: error: cannot read kubeconfig ${malformed}: invalid YAML at line 10, column 6: ` +
        'bad indentation of a mapping entry\n',
    });
  });
});

describe('serve that stops', () => {
  it('writes the shutdown line on stderr as JSON', async () => {
    const port = await freePort();
    const file = await configFile(`server: { port: ${port} }\nmetrics: { port: ${await freePort()} }\n`);
    const run = exec(BIN, ['serve', '--config', file], { KUBECONFIG: kubeconfig });
    // A generous wait: on a loaded CI machine the agent's start-up alone has taken more than 15 s.
    await waitFor(
      async () => ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok ? true : undefined),
      60_000,
      'the agent ready',
    );
    run.kill();
    const { code, stderr, stdout } = await run;
    expect(code).toBe(0);
    expect(jsonLines(stderr)).toEqual([
      expect.objectContaining({ level: 'info', event: 'stopped', signal: 'SIGTERM', msg: 'stopped on SIGTERM' }),
    ]);
    jsonLines(stdout);
  }, 90_000);
});

describe('npm run demo on ports that are taken', () => {
  it('names the taken ports and the variables that move them, and prints no URL', async () => {
    const api = await takenPort();
    const metrics = await takenPort();
    const run = await exec(NODE, [DEMO], {
      OPSAGENT_DEMO_API_PORT: String(api),
      OPSAGENT_DEMO_METRICS_PORT: String(metrics),
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`ports ${api} (API) and ${metrics} (metrics) are taken`);
    expect(run.stderr).toContain('OPSAGENT_DEMO_API_PORT / OPSAGENT_DEMO_METRICS_PORT');
    expect(run.stderr).not.toContain('http://');
  });

  it('names the one port that is taken', async () => {
    const metrics = await takenPort();
    const run = await exec(NODE, [DEMO], {
      OPSAGENT_DEMO_API_PORT: String(await freePort()),
      OPSAGENT_DEMO_METRICS_PORT: String(metrics),
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`port ${metrics} (metrics) is taken`);
    expect(run.stderr).toContain(`OPSAGENT_DEMO_METRICS_PORT=${metrics + 1} npm run demo`);
  });
});
