import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { defaultConfig } from '@opsagent/core/config/config.loader';
import type { Issue } from '@opsagent/core/issue';
import { auditManifests } from '@opsagent/core/report/audit-manifests';
import { strategicMergePatch } from '../tools/k8s-simulator/writes';

/**
 * `opsagent fix` (issue 15 §2) end to end: the real bin/opsagent rewrites a copy of test/fixtures/fix/repo (comments,
 * anchors, flow and block styles, a multi-document file, PodMetrics, a bare Pod) and must produce the golden diff and
 * file byte for byte, leave every other file untouched, and leave only the findings that have no fix.
 */

const ROOT = path.join(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'opsagent');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'fix');
const REPO = path.join(FIXTURES, 'repo');

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function opsagent(args: readonly string[], cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, TZ: 'UTC', KUBECONFIG: '/nonexistent/kubeconfig', KUBERNETES_SERVICE_HOST: '' };
    const child = spawn(BIN, args, { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}

/** A fresh copy of a fixture folder, with every file's bytes and mtime to compare against. */
function copy(from: string): { dir: string; before: Map<string, { bytes: Buffer; mtimeMs: number }> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-fix-'));
  const before = new Map<string, { bytes: Buffer; mtimeMs: number }>();
  const old = new Date('2026-01-01T00:00:00Z');
  for (const name of fs.readdirSync(from)) {
    const file = path.join(dir, name);
    fs.copyFileSync(path.join(from, name), file);
    // An mtime in the past: a rewrite, even to the same bytes, would move it.
    fs.utimesSync(file, old, old);
    before.set(name, { bytes: fs.readFileSync(file), mtimeMs: fs.statSync(file).mtimeMs });
  }
  return { dir, before };
}

function expectUntouched(dir: string, before: Map<string, { bytes: Buffer; mtimeMs: number }>, names: string[]) {
  for (const name of names) {
    const file = path.join(dir, name);
    expect({ name, same: fs.readFileSync(file).equals(before.get(name)!.bytes) }).toEqual({ name, same: true });
    expect({ name, mtimeMs: fs.statSync(file).mtimeMs }).toEqual({ name, mtimeMs: before.get(name)!.mtimeMs });
  }
}

const read = (file: string) => fs.readFileSync(file, 'utf8');
const config = defaultConfig;

describe('opsagent fix', () => {
  it('--dry-run prints the golden unified diff and writes nothing', async () => {
    const { dir, before } = copy(REPO);
    const result = await opsagent(['fix', '--dry-run', '.'], dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(read(path.join(FIXTURES, 'expected.diff')));
    expectUntouched(dir, before, [...before.keys()]);
  });

  it('rewrites only the resources it has findings for, keeping comments, anchors and formatting', async () => {
    const { dir, before } = copy(REPO);
    const result = await opsagent(['fix', '.'], dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'apps.yaml:18: Deployment shop/web container app: requests.cpu 1 → 88m',
        'apps.yaml:33: Deployment shop/web container exporter: requests.memory 64Mi → 125Mi',
        'apps.yaml:49: StatefulSet shop/db container db: requests.memory 2Gi → 801Mi',
        'apps.yaml:66: CronJob shop/report container report: requests.cpu (unset) → 222m, requests.memory (unset) → ' +
          '138Mi, limits.cpu (unset) → 444m, limits.memory (unset) → 138Mi',
        'Summary: fixed 4 containers in 1 file; 7 findings with a fix; 4 findings without one (bare Pods, Jobs, ' +
          'custom kinds, no value to set)',
        '',
      ].join('\n'),
    );
    expect(read(path.join(dir, 'apps.yaml'))).toBe(read(path.join(FIXTURES, 'expected-apps.yaml')));
    // Files without a fix are not written at all: the PodMetrics, a Service, and a bare Pod (immutable resources).
    expectUntouched(dir, before, ['metrics.yaml', 'untouched.yaml', 'debug-pod.yaml']);

    // The rewritten file means what the fixes say: the exporter's alias became a merge key over the same anchor.
    const web = parseAllDocuments(read(path.join(dir, 'apps.yaml')), { merge: true })[0].toJS() as {
      spec: { template: { spec: { containers: { name: string; resources: unknown }[] } } };
    };
    const resources = Object.fromEntries(web.spec.template.spec.containers.map((c) => [c.name, c.resources]));
    expect(resources).toEqual({
      app: { requests: { cpu: '88m', memory: '512Mi' }, limits: { cpu: '1', memory: '512Mi' } },
      proxy: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '100m', memory: '128Mi' } },
      exporter: { requests: { cpu: '50m', memory: '125Mi' }, limits: { cpu: '100m', memory: '128Mi' } },
    });

    // A scan of the result finds only what has no fix (the bare Pod's), and a second run changes nothing.
    const rescan = await auditManifests([dir], { config: config(), defaultNamespace: 'default' });
    expect(rescan.issues.map((i) => `${i.rule} ${i.kind}/${i.name}`).sort()).toEqual([
      'cpu-limit-missing Pod/debug',
      'cpu-request-missing Pod/debug',
      'memory-limit-missing Pod/debug',
      'memory-request-missing Pod/debug',
    ]);
    const fixed = fs.readFileSync(path.join(dir, 'apps.yaml'));
    const again = await opsagent(['fix', '.'], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^Summary: fixed 0 containers in 0 files; 0 findings with a fix;/);
    expect(fs.readFileSync(path.join(dir, 'apps.yaml')).equals(fixed)).toBe(true);
  });

  it('names a file that does not parse, a resources that is not a map and an anchor it must not change, fixes the rest, and exits 2', async () => {
    const { dir, before } = copy(path.join(FIXTURES, 'errors'));
    const result = await opsagent(['fix', '.'], dir);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')).toEqual([
      'opsagent: error: broken.yaml:4: invalid YAML: Flow map in block collection must be sufficiently indented and ' +
        'end with a } (column 1); the file is not changed',
      'opsagent: error: bad-resources.yaml:11: Deployment shop/odd: spec.template.spec.containers[0].resources: ' +
        'expected a map, found string "lots"; the file is not changed',
      'opsagent: error: shared-anchor.yaml:14: Deployment shop/api: spec.template.spec.containers[0].resources.requests: ' +
        'is the anchor &api-resources, which an alias also uses; not changed (the change would reach it too)',
      '',
    ]);
    expect(result.stdout).toBe(
      'good.yaml:10: Deployment shop/worker container worker: requests.cpu 1 → 111m\n' +
        'Summary: fixed 1 container in 1 file; 2 findings with a fix; 3 errors\n',
    );
    expect(read(path.join(dir, 'good.yaml'))).toBe(
      before
        .get('good.yaml')!
        .bytes.toString('utf8')
        .replace('cpu: "1", memory: 256Mi }\n', 'cpu: "111m", memory: 256Mi }\n'),
    );
    expectUntouched(dir, before, ['broken.yaml', 'bad-resources.yaml', 'shared-anchor.yaml', 'metrics.yaml']);
  });

  it('exits 1 with --fail-on when the scan had a finding at or above it, as scan does, and 2 on bad flags', async () => {
    const { dir } = copy(REPO);
    expect((await opsagent(['fix', '--dry-run', '--fail-on', 'high', '.'], dir)).code).toBe(1);
    expect(
      (await opsagent(['fix', '--dry-run', '--fail-on', 'high', 'untouched.yaml', 'metrics.yaml'], dir)).code,
    ).toBe(0);
    const stdin = await opsagent(['fix', '-'], dir);
    expect(stdin.code).toBe(2);
    expect(stdin.stderr).toContain('standard input (-) cannot be rewritten');
    const token = await opsagent(['fix', '--token', 'x', '.'], dir);
    expect(token.code).toBe(2);
    expect(token.stderr).toBe('opsagent: error: --token and --token-file go with --from\n');
  });
});

describe('fixes in opsagent scan', () => {
  it('--show-fix prints the kubectl command under each finding that has one; JSON carries `fix`', async () => {
    const table = await opsagent(['scan', '--show-fix', '.'], REPO);
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    const row = lines.findIndex((l) => /^cpu-overprovisioned +shop +Deployment\/web +app /.test(l));
    expect(lines[row + 1]).toBe(
      `  fix: kubectl patch deployment web -n shop --type strategic -p ` +
        `'{"spec":{"template":{"spec":{"containers":[{"name":"app","resources":{"requests":{"cpu":"88m"}}}]}}}}'`,
    );
    // A bare Pod's findings have no fix line; without the flag there is none at all.
    const pod = lines.findIndex((l) => /^cpu-request-missing +shop +Pod\/debug /.test(l));
    expect(lines[pod + 1]).not.toMatch(/^ {2}fix: /);
    expect(lines.filter((l) => l.startsWith('  fix: '))).toHaveLength(7);
    expect((await opsagent(['scan', '.'], REPO)).stdout).not.toContain('  fix: ');

    const json = JSON.parse((await opsagent(['scan', '--output', 'json', '.'], REPO)).stdout) as { issues: Issue[] };
    const web = json.issues.find((i) => i.rule === 'cpu-overprovisioned')!;
    expect(web.fix).toEqual({
      patch: {
        spec: { template: { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '88m' } } }] } } },
      },
      command: lines[row + 1].slice('  fix: '.length),
    });
    expect(json.issues.filter((i) => i.kind === 'Pod').map((i) => i.fix)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('fix --help lists its options', async () => {
    const help = await opsagent(['fix', '--help'], REPO);
    expect(help.code).toBe(0);
    for (const option of [
      '--dry-run',
      '--from <url>',
      '--token <token>',
      '--token-file <file>',
      '--fail-on <severity>',
    ]) {
      expect(help.stdout).toContain(option);
    }
    expect((await opsagent(['scan', '--help'], REPO)).stdout).toContain('--show-fix');
  });
});

describe('the fix of a finding, applied as the API server applies a strategic merge patch', () => {
  it('changes only that container’s resources keys, and a scan of the patched object no longer has the finding', async () => {
    const files = ['apps.yaml', 'metrics.yaml'].map((f) => path.join(REPO, f));
    const report = await auditManifests(files, { config: config(), defaultNamespace: 'default' });
    const withFix = report.issues.filter((i): i is Issue & { fix: NonNullable<Issue['fix']> } => i.fix !== undefined);
    expect(withFix.map((i) => `${i.rule} ${i.kind}/${i.name}/${i.container}`).sort()).toEqual([
      'cpu-limit-missing CronJob/report/report',
      'cpu-overprovisioned Deployment/web/app',
      'cpu-request-missing CronJob/report/report',
      'memory-limit-missing CronJob/report/report',
      'memory-overprovisioned StatefulSet/db/db',
      'memory-request-missing CronJob/report/report',
      'memory-underprovisioned Deployment/web/exporter',
    ]);
    const objects = parseAllDocuments(read(files[0]), { merge: true }).map((d) => d.toJS() as Record<string, unknown>);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-fix-patch-'));
    fs.copyFileSync(files[1], path.join(dir, 'metrics.yaml'));
    for (const issue of withFix) {
      const index = objects.findIndex(
        (o) => o.kind === issue.kind && (o.metadata as { name: string }).name === issue.name,
      );
      const patched = strategicMergePatch(structuredClone(objects[index]), issue.fix.patch) as Record<string, unknown>;
      // Only resources of that one container differ.
      const strip = (o: unknown) =>
        JSON.parse(JSON.stringify(o), (k, v: unknown) => (k === 'resources' ? undefined : v));
      expect(strip(patched)).toEqual(strip(objects[index]));
      const containers = (o: Record<string, unknown>) => {
        let spec = o.spec as Record<string, unknown>;
        if (o.kind === 'CronJob') spec = (spec.jobTemplate as { spec: Record<string, unknown> }).spec;
        return (spec.template as { spec: { containers: { name: string; resources?: unknown }[] } }).spec.containers;
      };
      for (const [i, c] of containers(patched).entries()) {
        if (c.name !== issue.container) expect(c).toEqual(containers(objects[index])[i]);
      }
      const others = objects.filter((_, i) => i !== index);
      fs.writeFileSync(path.join(dir, 'apps.yaml'), [...others, patched].map((o) => stringify(o)).join('---\n'));
      const after = await auditManifests([dir], { config: config(), defaultNamespace: 'default' });
      expect(after.issues.map((i) => i.id)).not.toContain(issue.id);
    }
  });
});
