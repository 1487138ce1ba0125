import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, tempDir } from '../e2e/harness';

/**
 * Hostile and broken manifest input for `opsagent scan` (the real bin/opsagent, spawned asynchronously with a
 * timeout): empty and binary files, alias bombs, 10,000 levels of nesting, workloads without spec or with
 * `containers: null`, 20 MB files. Every run must end, by itself, with exit 0 (skipped with a warning) or
 * 2 (naming the file) — never an internal error (exit 70), a stack trace, a signal or a hang — and must not
 * pass control characters from the input through to the terminal.
 *
 * Small inputs are fixtures in test/fixtures/bad-input; large and random ones are generated here (seeded).
 */
const BIN = path.join(ROOT, 'bin', 'opsagent');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'bad-input');
const SMALL_TIMEOUT_MS = 20_000;
// A hang guard, not a speed target: the valid 20 MB file alone takes about 50 s to parse on this 2-core machine.
const LARGE_TIMEOUT_MS = 150_000;
const MB = 1024 * 1024;
/** Runs at once, one per core: the 20 MB inputs take most of the time; the small ones run beside them. */
const PARALLEL = Math.max(2, Math.min(4, os.availableParallelism()));

interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

// Every test awaits a run that may still be queued behind the 20 MB ones.
jest.setTimeout(LARGE_TIMEOUT_MS + 10_000);

let tmp: string;
const runs = new Map<string, Promise<CliRun>>();
let active = 0;
const queue: (() => void)[] = [];

/** Spawns bin/opsagent; resolves (never rejects) once it exits, or kills it after `timeoutMs`. */
function spawnCli(args: readonly string[], timeoutMs: number, stdin?: Buffer): Promise<CliRun> {
  return new Promise((resolve) => {
    const started = Date.now();
    // No cluster and no kubeconfig of the machine: only the files named are read.
    const env = { PATH: process.env.PATH ?? '', TZ: 'UTC', KUBECONFIG: '/nonexistent/kubeconfig' };
    const child = spawn(BIN, args, { cwd: ROOT, env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => err.push(Buffer.from(`spawn failed: ${e.message}`)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Date.now() - started,
        timedOut,
      });
    });
    child.stdin.on('error', () => undefined); // the CLI may exit before reading all of stdin
    child.stdin.end(stdin);
  });
}

/** Queues a run (at most PARALLEL at once); each test awaits the run it names. */
function schedule(key: string, args: readonly string[], timeoutMs = SMALL_TIMEOUT_MS, stdin?: Buffer): void {
  const slot = new Promise<void>((start) => {
    if (active < PARALLEL) {
      active++;
      start();
    } else {
      queue.push(start);
    }
  });
  const run = slot.then(async () => {
    try {
      return await spawnCli(args, timeoutMs, stdin);
    } finally {
      // Hand the slot to the next run, or free it.
      const next = queue.shift();
      if (next) next();
      else active--;
    }
  });
  runs.set(key, run);
}

function result(key: string): Promise<CliRun> {
  const run = runs.get(key);
  if (!run) throw new Error(`no run scheduled as ${key}`);
  return run;
}

/** mulberry32: a fixed seed gives the same "random" bytes on every machine. */
function seededBytes(seed: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let a = seed >>> 0;
  for (let i = 0; i < length; i += 4) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const word = (t ^ (t >>> 14)) >>> 0;
    for (let j = 0; j < 4 && i + j < length; j++) buf[i + j] = (word >>> (8 * j)) & 0xff;
  }
  return buf;
}

/** A Deployment with requests and limits set: no finding, so 20 MB of them print one summary line. */
function cleanDeployment(i: number): string {
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: web-${i}`,
    `  namespace: team-${i % 7}`,
    'spec:',
    `  selector: { matchLabels: { app: web-${i} } }`,
    '  template:',
    `    metadata: { labels: { app: web-${i} } }`,
    '    spec:',
    '      containers:',
    '        - name: app',
    '          image: registry.example/web:1.0',
    '          resources:',
    '            requests: { cpu: 100m, memory: 128Mi }',
    '            limits: { cpu: 200m, memory: 128Mi }',
    '---',
    '',
  ].join('\n');
}

const DEPTH = 10_000;
let validCount = 0;

beforeAll(() => {
  tmp = tempDir('opsagent-bad-input-');
  const write = (name: string, content: string | Buffer) => fs.writeFileSync(path.join(tmp, name), content);
  write('random-4k.yaml', seededBytes(1, 4096));
  write('random-20mb.yaml', seededBytes(2, 20 * MB));
  const docs: string[] = [];
  let size = 0;
  while (size < 20 * MB) {
    const doc = cleanDeployment(docs.length);
    docs.push(doc);
    size += doc.length;
  }
  validCount = docs.length;
  write('valid-20mb.yaml', docs.join(''));
  write('deep-flow-seq.yaml', `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}\n`);
  write('deep-flow-map.yaml', `${'{a: '.repeat(DEPTH)}1${'}'.repeat(DEPTH)}\n`);
  write('deep-block-seq.yaml', `${'- '.repeat(DEPTH)}x\n`);
  // 10,000 levels of `a:`, each indented one more space (about 50 MB).
  const levels: string[] = [];
  for (let i = 0; i < DEPTH; i++) levels.push(`${' '.repeat(i)}a:`);
  write('deep-block-map.yaml', `${levels.join('\n')} 1\n`);
  write('deep.json', `${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}\n`);
  write(
    'deep-in-deployment.yaml',
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: { name: deep }',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      `        - { name: app, image: app, env: ${'['.repeat(DEPTH)}${']'.repeat(DEPTH)} }`,
      '',
    ].join('\n'),
  );

  // The longest run first, so the many small ones run beside it.
  schedule('valid-20mb', ['scan', path.join(tmp, 'valid-20mb.yaml'), '--output', 'json'], LARGE_TIMEOUT_MS);
  for (const name of fs.readdirSync(FIXTURES)) schedule(name, ['scan', path.join(FIXTURES, name)]);
  for (const name of ['random-4k.yaml', 'deep-flow-seq.yaml', 'deep-flow-map.yaml', 'deep-block-seq.yaml']) {
    schedule(name, ['scan', path.join(tmp, name)]);
  }
  schedule('deep.json', ['scan', path.join(tmp, 'deep.json')]);
  schedule('deep-in-deployment.yaml', ['scan', path.join(tmp, 'deep-in-deployment.yaml')]);
  schedule('fixture-dir', ['scan', FIXTURES]);
  schedule(
    'stdin-binary',
    ['scan', '-'],
    SMALL_TIMEOUT_MS,
    fs.readFileSync(path.join(FIXTURES, 'broken-png-header.yaml')),
  );
  schedule('control-json', ['scan', path.join(FIXTURES, 'control-characters.yaml'), '--output', 'json']);
  schedule('random-20mb', ['scan', path.join(tmp, 'random-20mb.yaml')], LARGE_TIMEOUT_MS);
  schedule('deep-block-map', ['scan', path.join(tmp, 'deep-block-map.yaml')], LARGE_TIMEOUT_MS);
});

afterAll(async () => {
  await Promise.all(runs.values());
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** C0/C1 controls and DEL (cursor moves, screen clears, window titles) and bidi overrides (reordered text). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const TERMINAL_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

/** What every run must satisfy, whatever the input. */
function expectNoCrash(run: CliRun): void {
  expect(run.timedOut).toBe(false);
  expect(run.signal).toBeNull();
  expect([0, 1, 2]).toContain(run.code);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr).not.toContain('internal error');
  // Only the CLI's own lines: no Node warning (`(node:123) Warning: …`), no library output.
  for (const line of run.stderr.split('\n').filter((l) => l !== '')) {
    expect(line).toMatch(/^(opsagent: |warning: )/);
  }
  expect(run.stdout).not.toMatch(TERMINAL_CONTROLS);
  expect(run.stderr).not.toMatch(TERMINAL_CONTROLS);
}

/** Exit 2, nothing on stdout, the file named on stderr (and the reason, when given). */
function expectInputError(run: CliRun, file: string, reason?: RegExp): void {
  expectNoCrash(run);
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toContain(file);
  if (reason) expect(run.stderr).toMatch(reason);
}

describe('empty and binary files', () => {
  it.each([
    ['empty.yaml', /no Kubernetes objects found/],
    ['comments-only.yaml', /no Kubernetes objects found/],
    ['broken-png-header.yaml', /expected a Kubernetes object/],
  ])('%s: exit 2 naming the file', async (name, reason) => {
    expectInputError(await result(name), name, reason);
  });

  it('random bytes (4 KB, 20 MB): exit 2 naming the file', async () => {
    expectInputError(await result('random-4k.yaml'), 'random-4k.yaml');
    const big = await result('random-20mb');
    expectInputError(big, 'random-20mb.yaml');
    console.log(`random 20 MB: exit ${big.code} in ${big.ms} ms`);
  });

  it('binary on stdin: exit 2 naming <stdin>', async () => {
    expectInputError(await result('stdin-binary'), '<stdin>');
  });
});

describe('alias bombs', () => {
  it.each(['billion-laughs.yaml', 'doubling-aliases.yaml', 'merge-key-bomb.yaml'])(
    '%s: exit 2 naming the file, without expanding it',
    async (name) => {
      const run = await result(name);
      expectInputError(run, name, /alias/i);
      expect(run.ms).toBeLessThan(SMALL_TIMEOUT_MS);
    },
  );
});

describe('10,000 levels of nesting', () => {
  it.each(['deep-flow-seq.yaml', 'deep-flow-map.yaml', 'deep-block-seq.yaml', 'deep.json', 'deep-in-deployment.yaml'])(
    '%s: exit 2 naming the file',
    async (name) => {
      expectInputError(await result(name), name, /invalid (YAML|JSON)/);
    },
  );

  it('deep-block-map.yaml (50 MB of indentation): exit 2 naming the file', async () => {
    expectInputError(await result('deep-block-map'), 'deep-block-map.yaml', /invalid YAML/);
  });
});

describe('workloads without what the rules read', () => {
  it('no spec, a null spec or template: skipped, each with a warning naming the object', async () => {
    const run = await result('no-spec.yaml');
    expectNoCrash(run);
    expect(run.code).toBe(0);
    for (const ref of [
      'Deployment default/no-spec',
      'StatefulSet default/null-spec',
      'DaemonSet default/null-template',
      'CronJob default/no-job-template',
      'Pod default/bare-pod-without-spec',
    ]) {
      expect(run.stderr).toMatch(new RegExp(`^warning: ${ref} has no containers`, 'm'));
    }
    expect(run.stdout).toContain('0 workloads');
  });

  it('containers null, empty, a string or a number: skipped, each with a warning naming the object', async () => {
    const run = await result('containers-null.yaml');
    expectNoCrash(run);
    expect(run.code).toBe(0);
    for (const name of ['containers-null', 'containers-empty', 'containers-string', 'containers-number']) {
      expect(run.stderr).toMatch(new RegExp(`^warning: \\w+ default/${name} has no containers`, 'm'));
    }
  });

  it('collection keys: read without a Node warning on stderr', async () => {
    const run = await result('broken-collection-keys.yaml');
    expectNoCrash(run);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('skipped ConfigMap 1');
  });
});

describe('control characters in names', () => {
  it('reach the table and the messages escaped, never raw', async () => {
    const run = await result('control-characters.yaml');
    expectNoCrash(run);
    expect(run.code).toBe(0);
    // Visible, so a reader still sees that the name is odd.
    expect(run.stdout).toContain('Deployment/evil\\u001b]0;retitled\\u0007\\u001b[2J\\u000dhidden');
  });

  it('keep their exact value in JSON output', async () => {
    const run = await result('control-json');
    expectNoCrash(run);
    const report = JSON.parse(run.stdout) as { issues: { name: string; namespace: string }[] };
    expect(report.issues[0].name).toBe('evil\u001b]0;retitled\u0007\u001b[2J\rhidden');
    expect(report.issues[0].namespace).toBe('ns\u202e');
  });
});

describe('large and many inputs', () => {
  it('a 20 MB file of valid manifests is read completely', async () => {
    const run = await result('valid-20mb');
    expectNoCrash(run);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { summary: { workloads: number; issues: number } };
    expect(report.summary).toMatchObject({ workloads: validCount, issues: 0 });
    console.log(`valid 20 MB (${validCount} Deployments): exit ${run.code} in ${run.ms} ms`);
  });

  it('the whole bad-input directory: exit 2 naming every bad file, in name order', async () => {
    const run = await result('fixture-dir');
    expectInputError(run, 'billion-laughs.yaml', /alias/i);
    const named = run.stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => /^opsagent: error: (?:.*\/)?([^/:]+):/.exec(l)?.[1]);
    const bad = ['billion-laughs.yaml', 'broken-png-header.yaml', 'doubling-aliases.yaml', 'merge-key-bomb.yaml'];
    expect(named).toEqual(expect.arrayContaining(bad));
    expect(named).toEqual([...named].sort());
  });
});
