import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { workloadObjects } from '../e2e/fixtures';
import { MAIN, ROOT, freePort, getJson, tempDir, waitFor, waitForScan, type ScanJson } from '../e2e/harness';

/**
 * The agent needs no writable filesystem but /tmp: it starts, scans and serves with a working directory
 * and a HOME it cannot write (mode 0555) and only TMPDIR writable, as in a container with
 * `readOnlyRootFilesystem: true` and an emptyDir on /tmp. Nothing is copied: the built agent runs from the
 * repository's dist/ with `cwd` and `HOME` pointing at the read-only directories.
 *
 * As root, mode bits do not stop writes. Then the agent runs as `nobody` (65534) when that user can read
 * the repository, so the modes apply as they would to any non-root user; and whoever it runs as, the
 * test snapshots the listings (names, sizes, modification times) of the working directory, HOME and dist/
 * before and after, so a write is caught even where permissions would not stop it.
 */
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

let sim: Simulator;
let dirs: { cwd: string; home: string; tmp: string; etc: string };
let ports: { api: number; metrics: number };
let runAs: { uid: number; gid: number } | undefined;
let before: { cwd: string[]; home: string[]; dist: string[] };

/** Every file and directory under `root` with its size and mtime; empty for a missing root. */
function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const stat = fs.lstatSync(full);
      out.push(`${path.relative(root, full)} ${entry.isDirectory() ? 'dir' : stat.size} ${stat.mtimeMs}`);
      if (entry.isDirectory()) walk(full);
    }
  };
  if (fs.existsSync(root)) walk(root);
  return out.sort();
}

function run(
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, args, { ...options, ...(runAs ?? {}) });
  let stdout = '';
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => ((stdout += c), (output += c)));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => stdout, output: () => output, exited };
}

/** Whether `nobody` can run node on the repository's dist/ (no o+rx on the way makes it fail). */
async function nobodyCanRunTheAgent(): Promise<boolean> {
  runAs = { uid: NOBODY, gid: NOBODY };
  try {
    const probe = run([MAIN, '--version'], { cwd: dirs.cwd, env: { PATH: process.env.PATH ?? '' } });
    probe.child.on('error', () => undefined);
    return (await probe.exited) === 0;
  } catch {
    return false;
  } finally {
    runAs = undefined;
  }
}

beforeAll(async () => {
  sim = await startSimulator({ objects: workloadObjects(3) });
  dirs = {
    cwd: tempDir('opsagent-ro-cwd-'),
    home: tempDir('opsagent-ro-home-'),
    tmp: tempDir('opsagent-ro-tmp-'),
    etc: tempDir('opsagent-ro-etc-'),
  };
  ports = { api: await freePort(), metrics: await freePort() };
  sim.writeKubeconfig(path.join(dirs.etc, 'kubeconfig'));
  fs.writeFileSync(
    path.join(dirs.etc, 'config.yaml'),
    stringify({
      schedule: '0 0 1 1 *',
      server: { port: ports.api },
      metrics: { port: ports.metrics },
      kubernetes: { requestTimeout: '2s', retries: 1 },
      scanMinInterval: '0s', // the test triggers a scan right after the startup scan
    }),
  );
  // The config and kubeconfig are read-only inputs, as a mounted ConfigMap/Secret would be.
  fs.chmodSync(path.join(dirs.etc, 'kubeconfig'), 0o444);
  fs.chmodSync(path.join(dirs.etc, 'config.yaml'), 0o444);
  fs.chmodSync(dirs.etc, 0o555);
  fs.chmodSync(dirs.cwd, 0o555);
  fs.chmodSync(dirs.home, 0o555);
  fs.chmodSync(dirs.tmp, 0o1777);
  if (isRoot && (await nobodyCanRunTheAgent())) runAs = { uid: NOBODY, gid: NOBODY };
  before = { cwd: listing(dirs.cwd), home: listing(dirs.home), dist: listing(path.join(ROOT, 'dist')) };
}, 30_000);

afterAll(async () => {
  await sim?.close();
  for (const dir of Object.values(dirs ?? {})) {
    fs.chmodSync(dir, 0o755);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function env(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    TZ: 'UTC',
    HOME: dirs.home,
    TMPDIR: dirs.tmp,
    KUBECONFIG: path.join(dirs.etc, 'kubeconfig'),
  };
}

it('starts, scans and serves with a read-only working directory and HOME, and writes nothing there', async () => {
  const api = `http://127.0.0.1:${ports.api}`;
  const configFile = path.join(dirs.etc, 'config.yaml');
  const agent = run([MAIN, 'serve', '--config', configFile], { cwd: dirs.cwd, env: env() });
  let cli: ReturnType<typeof run> | undefined;
  try {
    await waitFor(
      async () => ((await fetch(`${api}/health/ready`)).status === 200 ? true : undefined),
      20_000,
      'ready',
    );
    const startup = await waitForScan(api, {});
    expect(startup.status).toBe('succeeded');
    expect(startup.counts.issues).toBeGreaterThan(0);

    const trigger = await getJson<{ id: string }>(`${api}/api/v1/scans`, { method: 'POST' });
    expect(trigger.status).toBe(202);
    const scan: ScanJson = await waitForScan(api, { id: trigger.body.id });
    expect(scan.status).toBe('succeeded');
    const health = await getJson<{ status: string }>(`${api}/health`);
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect((await getJson<{ total: number }>(`${api}/api/v1/issues`)).body.total).toBe(scan.counts.issues);
    expect((await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).status).toBe(200);

    // The CLI, on the same cluster, from the same read-only place.
    cli = run([MAIN, 'scan', '--output', 'json'], { cwd: dirs.cwd, env: env() });
    expect(await cli.exited).toBe(0);
    expect(JSON.parse(cli.stdout()).summary.issues).toBe(scan.counts.issues);

    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
  } finally {
    if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
  }

  for (const out of [agent.output(), cli?.output() ?? '']) {
    expect(out).not.toMatch(/EACCES|EROFS|EPERM|permission denied|read-only file system/i);
  }
  expect(listing(dirs.cwd)).toEqual(before.cwd);
  expect(listing(dirs.home)).toEqual(before.home);
  expect(listing(path.join(ROOT, 'dist'))).toEqual(before.dist);
  const tmpFiles = listing(dirs.tmp);
  console.log(
    `read-only run as ${runAs ? 'nobody (65534)' : isRoot ? 'root (modes not enforced; listings compared)' : `uid ${process.getuid?.()}`}; ` +
      `TMPDIR afterwards: ${tmpFiles.length === 0 ? 'empty' : tmpFiles.join(', ')}`,
  );
}, 60_000);
