import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The CLI's compile cache (apps/opsagent/src/cli/compile-cache.ts), end to end: each test runs the real
 * bin/opsagent with TMPDIR pointing where the cache would go, and checks that the run's output and exit code are
 * those of a run without a cache, and whether the cache was written. An unusable directory must never stop or
 * stall the CLI: Node's own mkdir loops forever on `/proc/nope`, so those runs have a deadline.
 */

const ROOT = path.join(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'opsagent');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-cc-'));
const UID = typeof process.getuid === 'function' ? process.getuid() : 'user';
/** Generous: a loaded CI machine starts the CLI in a second or two; a stalled run never ends. */
const DEADLINE_MS = 60_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function opsagent(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, {
      cwd: ROOT,
      env: { ...process.env, TZ: 'UTC', KUBECONFIG: '/nonexistent/kubeconfig', KUBERNETES_SERVICE_HOST: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, DEADLINE_MS);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** Every file under `dir`, relative to it (none when it does not exist). */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

const SCAN = ['scan', 'examples/'];
let reference: Run;

beforeAll(async () => {
  reference = await opsagent(SCAN, { NODE_DISABLE_COMPILE_CACHE: '1' });
  expect(reference).toMatchObject({ code: 0, timedOut: false });
  expect(reference.stdout).toContain('Deployment/checkout'); // a real report
}, DEADLINE_MS * 2);

afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

describe('the CLI compile cache', () => {
  it(
    'is written to <tmpdir>/opsagent-compile-cache-<uid> (mode 0700) and used by the next run, same output',
    async () => {
      const tmpdir = fs.mkdtempSync(path.join(TMP, 'usable-'));
      const cache = path.join(tmpdir, `opsagent-compile-cache-${UID}`);
      const first = await opsagent(SCAN, { TMPDIR: tmpdir });
      expect(first).toEqual(reference);
      expect(fs.statSync(cache).mode & 0o777).toBe(0o700);
      const written = filesUnder(cache);
      expect(written.length).toBeGreaterThan(0);
      const second = await opsagent(SCAN, { TMPDIR: tmpdir });
      expect(second).toEqual(reference);
      expect(filesUnder(cache)).toEqual(written);
    },
    DEADLINE_MS * 3,
  );

  it.each([
    ['/proc/nope', 'a directory where mkdir answers ENOENT although its parent exists'],
    ['/proc', 'a directory where nothing can be created'],
    ['/nonexistent/tmp', 'a temp directory that does not exist'],
  ])(
    'TMPDIR=%s (%s): the CLI runs as without a cache, and does not stall',
    async (tmpdir) => {
      expect(await opsagent(SCAN, { TMPDIR: tmpdir })).toEqual(reference);
      expect(await opsagent(['--help'], { TMPDIR: tmpdir })).toMatchObject({ code: 0, stderr: '', timedOut: false });
    },
    DEADLINE_MS * 3,
  );

  it(
    'a cache directory other users can write to is not used (a planted cache would be code the CLI runs)',
    async () => {
      const tmpdir = fs.mkdtempSync(path.join(TMP, 'shared-'));
      const cache = path.join(tmpdir, `opsagent-compile-cache-${UID}`);
      fs.mkdirSync(cache);
      fs.chmodSync(cache, 0o777);
      expect(await opsagent(SCAN, { TMPDIR: tmpdir })).toEqual(reference);
      expect(filesUnder(cache)).toEqual([]);
      // The same directory, made private, is used: the check above can fail.
      fs.chmodSync(cache, 0o700);
      expect(await opsagent(SCAN, { TMPDIR: tmpdir })).toEqual(reference);
      expect(filesUnder(cache).length).toBeGreaterThan(0);
    },
    DEADLINE_MS * 3,
  );

  it(
    'a file where the cache directory would be is left alone',
    async () => {
      const tmpdir = fs.mkdtempSync(path.join(TMP, 'file-'));
      const cache = path.join(tmpdir, `opsagent-compile-cache-${UID}`);
      fs.writeFileSync(cache, 'not a directory\n');
      expect(await opsagent(SCAN, { TMPDIR: tmpdir })).toEqual(reference);
      expect(fs.readFileSync(cache, 'utf8')).toBe('not a directory\n');
    },
    DEADLINE_MS * 2,
  );

  it(
    'NODE_DISABLE_COMPILE_CACHE=1 turns it off',
    async () => {
      const tmpdir = fs.mkdtempSync(path.join(TMP, 'disabled-'));
      expect(await opsagent(SCAN, { TMPDIR: tmpdir, NODE_DISABLE_COMPILE_CACHE: '1' })).toEqual(reference);
      expect(filesUnder(path.join(tmpdir, `opsagent-compile-cache-${UID}`))).toEqual([]);
    },
    DEADLINE_MS * 2,
  );

  it(
    'serve writes no compile cache',
    async () => {
      const tmpdir = fs.mkdtempSync(path.join(TMP, 'serve-'));
      // Without a kubeconfig, serve stops at start-up; it has loaded NestJS and client-node by then.
      const run = await opsagent(['serve'], { TMPDIR: tmpdir });
      expect(run).toMatchObject({ code: 2, timedOut: false });
      expect(fs.readdirSync(tmpdir)).toEqual([]);
    },
    DEADLINE_MS * 2,
  );
});
