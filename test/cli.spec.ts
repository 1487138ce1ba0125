// Registers toBeValidSarifLog (SARIF 2.1.0 JSON schema, validated with ajv). An import rather than require() so
// tsc also sees the matcher's type declarations; swc compiles it to the same require().
import '@microsoft/jest-sarif';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Issue, ScanWarning } from '@opsagent/core/issue';
import type { ReportSummary } from '@opsagent/core/report/report';
import { RULES } from '@opsagent/core/rules/registry';
import { SEVERITIES } from '@opsagent/core/severity';
import { BIN, runCli, type CliResult } from './e2e/harness';

/**
 * End-to-end tests of the `opsagent` command: each test spawns the real bin/opsagent (the built dist/, no mocks)
 * from the repository root and checks what it writes to stdout and stderr and the exit code.
 */

const ROOT = path.join(__dirname, '..');
const MAIN = path.join(ROOT, 'dist', 'apps', 'opsagent', 'src', 'main.js');

/** Fixture paths as a user types them: relative to the repository root, which is the CLI's working directory. */
const FIXTURES = 'test/fixtures/cli';
const FINDINGS = `${FIXTURES}/findings.yaml`;
const OVERPROVISIONED = `${FIXTURES}/overprovisioned.yaml`;
const NO_NAMESPACE = `${FIXTURES}/no-namespace.yaml`;
const ANNOTATIONS = `${FIXTURES}/annotations.yaml`;
const CLEAN = `${FIXTURES}/clean.yaml`;
const BAD_QUANTITY = `${FIXTURES}/bad-quantity.yaml`;
const TREE = `${FIXTURES}/tree`;
const PARTIAL = `${FIXTURES}/partial`;
/** Shared with the service e2e (test/e2e/usage-attribution.e2e.spec.ts): both must find the same. */
const USAGE_CHAIN = 'test/fixtures/usage-chain';
const COST = 'test/fixtures/cost';

/** The `- name:` line of each container in findings.yaml: SARIF regions point there. */
const FINDINGS_LINES = { api: 18, cleanup: 34 };
/** The first line of each object in findings.yaml (where its `apiVersion` is): JSON's `source.line`. */
const OBJECT_LINES = { api: 2, cleanup: 21 };

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-cli-'));

function opsagent(args: readonly string[], stdin?: string): Promise<CliResult> {
  // No cluster: `scan` without PATH must fail cleanly, never reach a real kubeconfig of the machine.
  return runCli(
    args,
    { ...process.env, TZ: 'UTC', KUBECONFIG: '/nonexistent/kubeconfig', KUBERNETES_SERVICE_HOST: '' },
    stdin,
  );
}

/** Runs that several tests read are deterministic, so each distinct argument list is spawned once. */
const runs = new Map<string, Promise<CliResult>>();
function opsagentOnce(...args: string[]): Promise<CliResult> {
  const key = JSON.stringify(args);
  let run = runs.get(key);
  if (!run) runs.set(key, (run = opsagent(args)));
  return run;
}

interface JsonReport {
  issues: Issue[];
  summary: ReportSummary;
  warnings: ScanWarning[];
}

function parseJson(result: CliResult): JsonReport {
  expect(result).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(result.stdout) as JsonReport;
}

async function scanJson(...args: string[]): Promise<JsonReport> {
  return parseJson(await opsagentOnce('scan', ...args, '--output', 'json'));
}

function writeTemp(name: string, text: string): string {
  const file = path.join(TMP, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/** `rule container` for each issue, sorted: a compact, order-free view of what a scan found. */
function findings(report: JsonReport): string[] {
  return report.issues.map((i) => `${i.rule} ${i.namespace}/${i.kind}/${i.name}/${i.container}`).sort();
}

interface TableSection {
  severity: string;
  count: number;
  /** Cells of each row: rule, namespace, kind/name, container, message. */
  rows: string[][];
}

/** Splits table output into its severity sections and the final summary line. */
function parseTable(stdout: string): { sections: TableSection[]; summary: string } {
  const lines = stdout.split('\n');
  expect(lines.pop()).toBe(''); // ends with a newline
  const summary = lines.pop() ?? '';
  const sections: TableSection[] = [];
  for (let i = 0; i < lines.length; i++) {
    const header = /^([A-Z]+) \((\d+)\)$/.exec(lines[i]);
    if (!header) continue;
    expect(lines[i + 1].split(/ {2,}/)).toEqual(['RULE', 'NAMESPACE', 'OBJECT', 'CONTAINER', 'MESSAGE']);
    const rows: string[][] = [];
    for (i += 2; i < lines.length && lines[i] !== ''; i++) rows.push(lines[i].split(/ {2,}/));
    sections.push({ severity: header[1].toLowerCase(), count: Number(header[2]), rows });
  }
  return { sections, summary };
}

interface SarifLog {
  runs: {
    tool: { driver: { name: string; rules: { id: string; defaultConfiguration: { level: string } }[] } };
    invocations: { toolExecutionNotifications: { level: string; message: { text: string } }[] }[];
    results: {
      ruleId: string;
      ruleIndex: number;
      level: string;
      message: { text: string };
      locations: {
        physicalLocation?: { artifactLocation: { uri: string }; region?: { startLine: number } };
        logicalLocations: { fullyQualifiedName: string }[];
      }[];
      partialFingerprints: Record<string, string>;
    }[];
  }[];
}

async function scanSarif(...args: string[]): Promise<SarifLog> {
  const result = await opsagentOnce('scan', ...args, '--output', 'sarif');
  expect(result).toMatchObject({ code: 0, stderr: '' });
  const log: unknown = JSON.parse(result.stdout);
  expect(log).toBeValidSarifLog();
  return log as SarifLog;
}

beforeAll(() => {
  // `npm test` builds first; a bare `npx jest` on a fresh clone builds here, once.
  if (fs.existsSync(MAIN)) return;
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
}, 120_000);

afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

describe('--output table (default)', () => {
  it('groups rows by severity, most severe first, and ends with a summary line', async () => {
    const result = await opsagentOnce('scan', FINDINGS);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const { sections, summary } = parseTable(result.stdout);

    expect(sections.map((s) => [s.severity, s.count])).toEqual([
      ['high', 2],
      ['medium', 1],
      ['low', 2],
    ]);
    const rows = sections.map((s) => s.rows.map(([rule, ns, object, container]) => [rule, ns, object, container]));
    expect(rows).toEqual([
      [
        ['memory-limit-missing', 'shop', 'Deployment/api', 'api'],
        ['memory-request-missing', 'shop', 'Deployment/api', 'api'],
      ],
      [['cpu-request-missing', 'shop', 'Deployment/api', 'api']],
      [
        ['cpu-limit-missing', 'ops', 'CronJob/cleanup', 'cleanup'],
        ['cpu-limit-missing', 'shop', 'Deployment/api', 'api'],
      ],
    ]);
    expect(sections[0].rows[0][4]).toBe('container "api" has no memory limit (limits.memory)');
    expect(summary).toBe(
      'Summary: 5 issues (high 2, medium 1, low 2); 2 workloads, 2 containers checked; ' +
        '2 containers without usage data; skipped Service 1',
    );
  });

  it('on examples/, each section counts its rows, sections go from most to least severe and the summary adds up', async () => {
    const result = await opsagentOnce('scan', 'examples/');
    expect(result.code).toBe(0);
    const { sections, summary } = parseTable(result.stdout);
    const report = await scanJson('examples/');

    expect(sections.length).toBeGreaterThan(1);
    const order = sections.map((s) => SEVERITIES.indexOf(s.severity as (typeof SEVERITIES)[number]));
    expect(order.every((rank) => rank >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    for (const section of sections) {
      expect(section.rows).toHaveLength(section.count);
      const expected = report.issues.filter((i) => i.severity === section.severity).map((i) => i.rule);
      expect(section.rows.map(([rule]) => rule)).toEqual(expected);
    }
    const total = sections.reduce((sum, s) => sum + s.count, 0);
    const counts = sections.map((s) => `${s.severity} ${s.count}`).join(', ');
    expect(summary.startsWith(`Summary: ${total} issues (${counts}); `)).toBe(true);
    expect(total).toBe(report.issues.length);
  });

  it('gives the money in each over-provisioning message and the waste in the summary line', async () => {
    const result = await opsagentOnce('scan', `${COST}/cluster.yaml`, '--config', `${COST}/config.yaml`);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const { sections, summary } = parseTable(result.stdout);
    const messages = sections.flatMap((s) => s.rows.map((r) => `${r[2]} ${r[4]}`));
    expect(messages).toContainEqual(
      expect.stringMatching(
        /^DaemonSet\/node-agent .*saving 480m per Pod \(1\.44 over 3 Pods observed\), worth EUR 42\.05 a month$/,
      ),
    );
    expect(messages).toContainEqual(
      expect.stringMatching(
        /^Deployment\/web .*saving 1\.7Gi per Pod \(3\.4Gi over 2 replicas\), worth EUR 12\.50 a month$/,
      ),
    );
    expect(summary).toContain('; over-provisioned: 3.24 cpu, 4.7Gi memory, EUR 111.79 a month;');
  });

  it('says so when there is nothing to report', async () => {
    const result = await opsagentOnce('scan', CLEAN);
    expect(result).toEqual({
      code: 0,
      stdout:
        'No issues found.\n\nSummary: 0 issues; 1 workload, 1 container checked; 1 container without usage data\n',
      stderr: '',
    });
  });
});

describe('--output json', () => {
  it('prints issues, summary and warnings, each issue with its fields', async () => {
    const report = await scanJson(FINDINGS);
    expect(Object.keys(report)).toEqual(['issues', 'summary', 'warnings']);
    expect(findings(report)).toEqual([
      'cpu-limit-missing ops/CronJob/cleanup/cleanup',
      'cpu-limit-missing shop/Deployment/api/api',
      'cpu-request-missing shop/Deployment/api/api',
      'memory-limit-missing shop/Deployment/api/api',
      'memory-request-missing shop/Deployment/api/api',
    ]);
    const byRule = (rule: string, name: string) => report.issues.find((i) => i.rule === rule && i.name === name);
    expect(byRule('memory-request-missing', 'api')).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      rule: 'memory-request-missing',
      severity: 'high',
      namespace: 'shop',
      kind: 'Deployment',
      name: 'api',
      container: 'api',
      message: 'container "api" has no memory request (neither requests.memory nor limits.memory)',
      remediation: expect.stringContaining('resources.requests.memory'),
      source: { file: FINDINGS, line: OBJECT_LINES.api, containerLine: FINDINGS_LINES.api },
    });
    expect(byRule('cpu-limit-missing', 'cleanup')).toMatchObject({
      severity: 'low',
      kind: 'CronJob',
      source: { file: FINDINGS, line: OBJECT_LINES.cleanup, containerLine: FINDINGS_LINES.cleanup },
    });
    expect(report.summary).toMatchObject({
      issues: 5,
      bySeverity: { critical: 0, high: 2, medium: 1, low: 2, info: 0 },
      byRule: {
        'memory-limit-missing': 1,
        'memory-request-missing': 1,
        'cpu-request-missing': 1,
        'cpu-limit-missing': 2,
      },
      workloads: 2,
      containers: 2,
      skipped: { Service: 1 },
    });
    expect(report.warnings).toEqual([]);
  });

  it('on examples/, every issue carries every field and the summary matches the issues', async () => {
    const report = await scanJson('examples/');
    expect(report.issues.length).toBeGreaterThan(0);
    for (const issue of report.issues) {
      expect(issue).toEqual(
        expect.objectContaining({
          id: expect.stringMatching(/^[0-9a-f]{16}$/),
          rule: expect.any(String),
          severity: expect.any(String),
          namespace: expect.any(String),
          kind: expect.any(String),
          name: expect.any(String),
          container: expect.any(String),
          message: expect.stringContaining(issue.container),
          remediation: expect.any(String),
        }),
      );
      expect(SEVERITIES).toContain(issue.severity);
      expect(RULES.map((r) => r.id)).toContain(issue.rule);
      expect(issue.remediation).not.toBe('');
    }
    expect(report.summary.issues).toBe(report.issues.length);
    for (const severity of SEVERITIES) {
      expect(report.summary.bySeverity[severity]).toBe(report.issues.filter((i) => i.severity === severity).length);
    }
    // examples/search-with-usage.yaml ships usage samples showing the search Deployment over-provisioned.
    const search = report.issues.filter((i) => i.name === 'search' && i.overProvisioning);
    expect(search.map((i) => i.rule).sort()).toEqual(['cpu-overprovisioned', 'memory-overprovisioned']);
    expect(report.summary.usageSamples).toBeGreaterThan(0);
  });

  it('gives an over-provisioning issue its figures: CPU in millicores, memory in bytes', async () => {
    const report = await scanJson(OVERPROVISIONED);
    expect(findings(report)).toEqual([
      'cpu-overprovisioned shop/Deployment/search/search',
      'memory-overprovisioned shop/Deployment/search/search',
    ]);
    const figures = (rule: string) => report.issues.find((i) => i.rule === rule)?.overProvisioning;
    // 12 samples, p95 (nearest rank) = the largest = 160m; request 1 CPU; 3 replicas.
    expect(figures('cpu-overprovisioned')).toEqual({
      resource: 'cpu',
      unit: 'millicores',
      samples: 12,
      usage: 160,
      request: 1000,
      recommended: 160,
      wastePerPod: 840,
      replicas: 3,
      wasteTotal: 2520,
      // 2.52 cores × USD 0.031611 (the default price of a core-hour) × 730 h
      wasteMonthlyCost: 58.15,
      currency: 'USD',
      // From the first sample's start (its timestamp − its 30s window) to the last timestamp: under a day.
      coverage: { from: '2025-12-31T23:59:30.000Z', to: '2026-01-01T00:55:00.000Z' },
      confidence: 'low',
    });
    expect(report.issues.find((i) => i.rule === 'cpu-overprovisioned')?.message).toContain(
      'over 12 samples (55m of data, confidence low);',
    );
    // Peak 200Mi; recommendation 200Mi × 1.15 rounded up to a whole Mi = 230Mi; request 1Gi.
    const Mi = 1024 * 1024;
    expect(figures('memory-overprovisioned')).toEqual({
      resource: 'memory',
      unit: 'bytes',
      samples: 12,
      usage: 200 * Mi,
      request: 1024 * Mi,
      recommended: 230 * Mi,
      wastePerPod: 794 * Mi,
      replicas: 3,
      wasteTotal: 3 * 794 * Mi,
      // 2382Mi = 2.33 GiB × USD 0.004237 (the default price of a GiB-hour) × 730 h
      wasteMonthlyCost: 7.19,
      currency: 'USD',
      coverage: { from: '2025-12-31T23:59:30.000Z', to: '2026-01-01T00:55:00.000Z' },
      confidence: 'low',
    });
    expect(report.summary).toMatchObject({ usageSamples: 12, containersWithoutUsage: 0 });
  });

  it("prices the waste with the config's prices: a Deployment's replicas, a DaemonSet's observed Pods", async () => {
    const report = await scanJson(`${COST}/cluster.yaml`, '--config', `${COST}/config.yaml`);
    const cost = (name: string, rule: string) => {
      const op = report.issues.find((i) => i.name === name && i.rule === rule)?.overProvisioning;
      return (
        op && {
          wasteTotal: op.wasteTotal,
          observedPods: op.observedPods,
          money: op.wasteMonthlyCost,
          currency: op.currency,
        }
      );
    };
    const Mi = 1024 * 1024;
    // EUR 0.04 a core-hour and EUR 0.005 a GiB-hour (config.yaml) × 730 h.
    expect(cost('web', 'cpu-overprovisioned')).toEqual({ wasteTotal: 1800, money: 52.56, currency: 'EUR' });
    expect(cost('web', 'memory-overprovisioned')).toEqual({ wasteTotal: 3506 * Mi, money: 12.5, currency: 'EUR' });
    expect(cost('node-agent', 'cpu-overprovisioned')).toEqual({
      wasteTotal: 1440,
      observedPods: 3,
      money: 42.05,
      currency: 'EUR',
    });
    expect(cost('node-agent', 'memory-overprovisioned')).toEqual({
      wasteTotal: 1314 * Mi,
      observedPods: 3,
      money: 4.68,
      currency: 'EUR',
    });
    expect(report.summary.waste).toEqual({
      currency: 'EUR',
      total: { cpuCores: 3.24, memoryBytes: 4820 * Mi, monthlyCost: 111.79 },
      byNamespace: {
        infra: { cpuCores: 1.44, memoryBytes: 1314 * Mi, monthlyCost: 46.73 },
        shop: { cpuCores: 1.8, memoryBytes: 3506 * Mi, monthlyCost: 65.06 },
      },
    });
  });

  it('attributes PodMetrics without labels through their Pod and its controller chain, as the service does', async () => {
    const report = await scanJson(`${USAGE_CHAIN}/cluster.yaml`, '--config', `${USAGE_CHAIN}/config.yaml`);
    // web-canary's Pods match web's selector too: only their ownerReferences keep their 900m out of web's usage.
    expect(findings(report).filter((f) => f.includes('overprovisioned'))).toEqual([
      'cpu-overprovisioned shop/CronJob/report/app',
      'cpu-overprovisioned shop/Deployment/web/app',
      'memory-overprovisioned shop/CronJob/report/app',
      'memory-overprovisioned shop/Deployment/web/app',
      'memory-overprovisioned shop/StatefulSet/db/app',
    ]);
    const web = report.issues.find((i) => i.name === 'web' && i.rule === 'cpu-overprovisioned');
    expect(web?.overProvisioning).toMatchObject({ samples: 2, usage: 50 });
    expect(report.summary).toMatchObject({ usageSamples: 6, containersWithoutUsage: 0 });
  });
});

describe('--output sarif', () => {
  it('is a valid SARIF 2.1.0 log (and the matcher does reject an invalid one)', async () => {
    await scanSarif('examples/');
    const log = await scanSarif(FINDINGS);
    expect({ ...log, version: '2.0.0' }).not.toBeValidSarifLog();
    const [result] = log.runs[0].results;
    const broken = { ...result, locations: [{ physicalLocation: { artifactLocation: { uri: 'a b.yaml' } } }] };
    expect({ ...log, runs: [{ ...log.runs[0], results: [broken] }] }).not.toBeValidSarifLog();
  });

  it('describes each rule once, with its level', async () => {
    const [run] = (await scanSarif(FINDINGS)).runs;
    expect(run.tool.driver.name).toBe('OpsAgent');
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    const level = Object.fromEntries(run.tool.driver.rules.map((r) => [r.id, r.defaultConfiguration.level]));
    expect(level).toEqual({
      'cpu-request-missing': 'warning',
      'memory-request-missing': 'error',
      'cpu-limit-missing': 'note',
      'memory-limit-missing': 'error',
      'cpu-overprovisioned': 'warning',
      'memory-overprovisioned': 'warning',
      'memory-oom-killed': 'error',
      'memory-underprovisioned': 'warning',
      'cpu-throttled': 'warning',
    });
  });

  it('gives each finding a result with its rule, level and the file and line of its container', async () => {
    const [run] = (await scanSarif(FINDINGS)).runs;
    const report = await scanJson(FINDINGS);
    const results = run.results.map((r) => ({
      ruleId: r.ruleId,
      descriptor: run.tool.driver.rules[r.ruleIndex].id,
      level: r.level,
      uri: r.locations[0].physicalLocation?.artifactLocation.uri,
      startLine: r.locations[0].physicalLocation?.region?.startLine,
      object: r.locations[0].logicalLocations[0].fullyQualifiedName,
    }));
    const file = 'test/fixtures/cli/findings.yaml';
    const api = { uri: file, startLine: FINDINGS_LINES.api, object: 'shop/Deployment/api/api' };
    const cleanup = { uri: file, startLine: FINDINGS_LINES.cleanup, object: 'ops/CronJob/cleanup/cleanup' };
    expect(results).toEqual([
      { ruleId: 'memory-limit-missing', descriptor: 'memory-limit-missing', level: 'error', ...api },
      { ruleId: 'memory-request-missing', descriptor: 'memory-request-missing', level: 'error', ...api },
      { ruleId: 'cpu-request-missing', descriptor: 'cpu-request-missing', level: 'warning', ...api },
      { ruleId: 'cpu-limit-missing', descriptor: 'cpu-limit-missing', level: 'note', ...cleanup },
      { ruleId: 'cpu-limit-missing', descriptor: 'cpu-limit-missing', level: 'note', ...api },
    ]);
    expect(run.results.map((r) => r.partialFingerprints['opsagentIssueId/v1'])).toEqual(report.issues.map((i) => i.id));
  });

  it('locates results relative to the working directory, however the path was given', async () => {
    const [run] = (await scanSarif(path.join(ROOT, FINDINGS))).runs;
    const uris = new Set(run.results.map((r) => r.locations[0].physicalLocation?.artifactLocation.uri));
    expect([...uris]).toEqual(['test/fixtures/cli/findings.yaml']);
  });

  it('percent-encodes file names that are not valid in a URI', async () => {
    const file = writeTemp('my app #1.yaml', fs.readFileSync(path.join(ROOT, FINDINGS), 'utf8'));
    const [run] = (await scanSarif(file)).runs; // a space or '#' left raw made the log fail the schema
    const uris = new Set(run.results.map((r) => r.locations[0].physicalLocation?.artifactLocation.uri ?? ''));
    expect(uris.size).toBe(1);
    const [uri] = uris;
    expect(uri).toMatch(/\/my%20app%20%231\.yaml$/);
    expect(uri.split('/').map(decodeURIComponent).join(path.sep)).toBe(path.relative(ROOT, file));
  });

  it("gives each rule help text, markdown and a helpUri to its heading in the README's rule reference", async () => {
    const [run] = (await scanSarif(FINDINGS)).runs;
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const rules = run.tool.driver.rules as unknown as {
      id: string;
      helpUri: string;
      help: { text: string; markdown: string };
    }[];
    for (const rule of rules) {
      const registered = RULES.find((r) => r.id === rule.id)!;
      expect(rule.helpUri).toBe(`https://github.com/opsagent/opsagent/blob/main/README.md#${rule.id}`);
      // GitHub's anchor for the heading `#### <id>`.
      expect(readme).toMatch(new RegExp(`^#### ${rule.id}$`, 'm'));
      expect(rule.help.text).toContain(registered.remediation);
      expect(rule.help.markdown).toContain(registered.description);
      expect(rule.help.markdown).toContain(`(${rule.helpUri})`);
    }
  });

  it('carries the cost in the message and in properties.overProvisioning of each rightsizing result', async () => {
    const [run] = (await scanSarif(`${COST}/cluster.yaml`, '--config', `${COST}/config.yaml`)).runs;
    const results = run.results as unknown as {
      ruleId: string;
      message: { text: string };
      properties: { overProvisioning?: { wasteMonthlyCost: number; currency: string } };
    }[];
    const priced = results.filter((r) => r.ruleId.endsWith('-overprovisioned'));
    expect(priced.map((r) => r.properties.overProvisioning?.wasteMonthlyCost).sort((a, b) => a! - b!)).toEqual([
      4.68, 12.5, 42.05, 52.56,
    ]);
    for (const r of priced) {
      expect(r.properties.overProvisioning?.currency).toBe('EUR');
      expect(r.message.text).toMatch(/, worth EUR \d+\.\d\d a month$/);
    }
  });

  it('lists warnings as tool execution notifications', async () => {
    const [run] = (await scanSarif(ANNOTATIONS)).runs;
    const notes = run.invocations[0].toolExecutionNotifications;
    expect(notes.map((n) => n.level)).toEqual(['warning', 'warning']);
    expect(notes[0].message.text).toContain('"no-such-rule"');
  });
});

describe('exit codes', () => {
  it('0 with findings when --fail-on is not given (default none)', async () => {
    const result = await opsagentOnce('scan', FINDINGS, '--output', 'json');
    expect(result.code).toBe(0);
    expect(parseJson(result).summary.bySeverity.high).toBeGreaterThan(0);
  });

  it('1 with --fail-on high and a high finding, with the full output still printed', async () => {
    const result = await opsagent(['scan', FINDINGS, '--fail-on', 'high']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe((await opsagentOnce('scan', FINDINGS)).stdout);
  });

  it('1 with --fail-on low when the most severe finding is higher', async () => {
    expect((await opsagent(['scan', FINDINGS, '--fail-on', 'low', '--output', 'sarif'])).code).toBe(1);
  });

  it('0 with --fail-on critical when the findings are at most high', async () => {
    expect((await opsagent(['scan', FINDINGS, '--fail-on', 'critical'])).code).toBe(0);
  });

  it('0 with --fail-on info when there are no findings', async () => {
    expect((await opsagent(['scan', CLEAN, '--fail-on', 'info'])).code).toBe(0);
  });

  it.each<[string, string[], RegExp]>([
    ['an unknown option', ['scan', FINDINGS, '--bogus'], /unknown option '--bogus'/],
    ['a bad --output value', ['scan', FINDINGS, '--output', 'xml'], /'xml' is invalid.*table, json, sarif/],
    ['a bad --fail-on value', ['scan', FINDINGS, '--fail-on', 'severe'], /'severe' is invalid/],
    ['no PATH and no kubeconfig', ['scan'], /no kubeconfig at \/nonexistent\/kubeconfig/],
    ['no command', [], /Usage: opsagent/],
    ['an unknown command', ['frob'], /unknown command 'frob'/],
    [
      'a nonexistent path',
      ['scan', FINDINGS, `${FIXTURES}/missing.yaml`],
      /test\/fixtures\/cli\/missing\.yaml: cannot read: no such file or directory/,
    ],
    ['broken YAML', ['scan', `${PARTIAL}/broken.yaml`], /test\/fixtures\/cli\/partial\/broken\.yaml:6: invalid YAML/],
    [
      'a nonexistent config file',
      ['scan', FINDINGS, '--config', `${FIXTURES}/missing-config.yaml`],
      /invalid config test\/fixtures\/cli\/missing-config\.yaml:\n {2}\(file\): cannot read/,
    ],
    [
      'a malformed quantity',
      ['scan', BAD_QUANTITY, '--output', 'json'],
      /bad-quantity\.yaml:21: Deployment shop\/web: spec\.template\.spec\.containers\[0\]\.resources\.limits\.memory: invalid quantity "12 GiB"/,
    ],
  ])('2 on %s, with nothing on stdout', async (_case, args, stderr) => {
    const result = await opsagent(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(stderr);
  });
});

describe('stdin', () => {
  it("reads a piped manifest from '-'", async () => {
    const manifest = fs.readFileSync(path.join(ROOT, NO_NAMESPACE), 'utf8');
    const result = await opsagent(['scan', '-', '--output', 'json', '--namespace', 'piped'], manifest);
    const report = parseJson(result);
    expect(report.summary.workloads).toBe(2);
    expect(report.issues.map((i) => [i.rule, i.namespace, i.name, i.source?.file])).toEqual([
      ['cpu-limit-missing', 'piped', 'web', '<stdin>'],
      ['cpu-limit-missing', 'tools', 'admin', '<stdin>'],
    ]);
  });

  it("locates SARIF results read from stdin at 'stdin'", async () => {
    const manifest = fs.readFileSync(path.join(ROOT, FINDINGS), 'utf8');
    const result = await opsagent(['scan', '-', '--output', 'sarif'], manifest);
    expect(result.code).toBe(0);
    const log = JSON.parse(result.stdout) as SarifLog;
    expect(log).toBeValidSarifLog();
    const locations = log.runs[0].results.map((r) => r.locations[0].physicalLocation);
    expect(locations).toHaveLength(5);
    expect(locations).toContainEqual({ artifactLocation: { uri: 'stdin' }, region: { startLine: 34 } });
  });

  it('names <stdin> and the line when the piped input is broken', async () => {
    const result = await opsagent(['scan', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: { name: x\n');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^opsagent: error: <stdin>:\d+: invalid YAML/);
  });
});

describe('stdin errors a person can read', () => {
  it('empty stdin: says so, without talking about file extensions', async () => {
    const result = await opsagent(['scan', '-'], '');
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'opsagent: error: no Kubernetes objects found on standard input (it was empty or held only comments)\n',
    });
  });

  it("JSON on stdin that does not parse: JSON.parse's message with its line and column", async () => {
    const result = await opsagent(['scan', '-'], '{\n  "kind": "Pod",\n  "metadata": {"name": "x"},\n}\n');
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'opsagent: error: <stdin>:4: invalid JSON: Expected double-quoted property name (column 1)\n',
    });
  });
});

describe('directories', () => {
  it('reads .yaml, .yml and .json files in nested folders and nothing else', async () => {
    const report = await scanJson(TREE);
    const files = [...new Set(report.issues.map((i) => i.source?.file))].sort();
    expect(files).toEqual([
      `${TREE}/UPPER.YML`,
      `${TREE}/nested/deeper/deep.yml`,
      `${TREE}/nested/pod.json`,
      `${TREE}/top.yaml`,
    ]);
    expect(report.issues.map((i) => i.name)).not.toEqual(expect.arrayContaining(['ignored-txt']));
    expect(report.summary.workloads).toBe(4);
  });

  it('reads a file of any extension when it is named explicitly', async () => {
    const report = await scanJson(`${TREE}/nested/notes.txt`);
    expect(new Set(report.issues.map((i) => i.name))).toEqual(new Set(['ignored-txt']));
  });

  it('skips node_modules and dot-directories', async () => {
    const broken = 'kind: Pod\nmetadata: { name: x\n';
    writeTemp('walk/node_modules/chart/broken.yaml', broken);
    writeTemp('walk/.git/broken.yaml', broken);
    writeTemp('walk/ok.yaml', fs.readFileSync(path.join(ROOT, CLEAN), 'utf8'));
    const report = await scanJson(path.join(TMP, 'walk'));
    expect(report.summary.workloads).toBe(1);
  });
});

describe('input errors', () => {
  it('a 400-digit quantity is out of range: exit 2 naming the file, line, object and field, never Infinity', async () => {
    const manifest = fs
      .readFileSync(path.join(ROOT, BAD_QUANTITY), 'utf8')
      .replace('memory: 12 GiB', `memory: '${'9'.repeat(400)}'`);
    const file = writeTemp('huge-quantity.yaml', manifest);
    for (const output of ['table', 'json']) {
      const result = await opsagent(['scan', file, '--output', output]);
      expect(result).toEqual({ code: 2, stdout: '', stderr: expect.any(String) });
      expect(result.stderr).toBe(
        `opsagent: error: ${file}:21: Deployment shop/web: spec.template.spec.containers[0].resources.limits.memory: ` +
          `invalid quantity "${'9'.repeat(30)}…${'9'.repeat(9)}" (400 characters): out of range: more than 2^63 − 1 ` +
          `bytes (Kubernetes' int64 limit)\n`,
      );
    }
  });

  it('print nothing on stdout, even after good files were read (broken YAML)', async () => {
    const good = await scanJson(`${PARTIAL}/a-good.yaml`);
    expect(good.issues.length).toBeGreaterThan(0);

    for (const output of ['table', 'json']) {
      const result = await opsagent(['scan', PARTIAL, '--output', output]);
      expect(result).toEqual({
        code: 2,
        stdout: '',
        stderr: expect.stringMatching(/^opsagent: error: test\/fixtures\/cli\/partial\/broken\.yaml:6: invalid YAML/),
      });
    }
  });

  it('with --output sarif: exit 2, the error on stderr, and a SARIF log saying the run failed, naming the file', async () => {
    const result = await opsagent(['scan', PARTIAL, '--output', 'sarif']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^opsagent: error: test\/fixtures\/cli\/partial\/broken\.yaml:6: invalid YAML/);
    const log = JSON.parse(result.stdout) as SarifLog;
    expect(log).toBeValidSarifLog();
    const [run] = log.runs;
    expect(run.results).toEqual([]); // not even the good file's findings: nothing partial
    const [invocation] = run.invocations as unknown as {
      executionSuccessful: boolean;
      toolExecutionNotifications: {
        level: string;
        message: { text: string };
        locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
      }[];
    }[];
    expect(invocation.executionSuccessful).toBe(false);
    expect(invocation.toolExecutionNotifications).toEqual([
      {
        level: 'error',
        message: { text: expect.stringMatching(/^test\/fixtures\/cli\/partial\/broken\.yaml:6: invalid YAML/) },
        descriptor: { id: 'input-error' },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: 'test/fixtures/cli/partial/broken.yaml' },
              region: { startLine: 6 },
            },
          },
        ],
      },
    ]);
  });

  it('with --output sarif and a bad config: the same failed log, naming the config file', async () => {
    const config = writeTemp('bad-for-sarif.yaml', 'scheduel: x\n');
    const result = await opsagent(['scan', FINDINGS, '--output', 'sarif', '--config', config]);
    expect(result.code).toBe(2);
    const log = JSON.parse(result.stdout) as { runs: { invocations: { executionSuccessful: boolean }[] }[] };
    expect(log).toBeValidSarifLog();
    expect(log.runs[0].invocations[0].executionSuccessful).toBe(false);
    expect(result.stdout).toContain('scheduel: unknown key');
  });
});

describe('silent skips (issue 11)', () => {
  it('warns about a kustomization.yaml instead of reporting "No issues found" in silence', async () => {
    const file = writeTemp(
      'kustomize/kustomization.yaml',
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deployment.yaml]\n',
    );
    const result = await opsagent(['scan', file]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      `warning: ${file} is a Kustomization: render it with \`kubectl kustomize\` first ` +
        '(`kubectl kustomize DIR | opsagent scan -`); its resources are not read\n',
    );
  });

  it('audits a Pod-template custom resource (Argo Rollout) like a Deployment, and says so in the summary', async () => {
    const rollout = fs
      .readFileSync(path.join(ROOT, FINDINGS), 'utf8')
      .split(/^---$/m)[0]
      .replace('apiVersion: apps/v1', 'apiVersion: argoproj.io/v1alpha1')
      .replace('kind: Deployment', 'kind: Rollout');
    const file = writeTemp('rollout.yaml', rollout);
    const report = await scanJson(file);
    expect(new Set(report.issues.map((i) => `${i.kind}/${i.name}`))).toEqual(new Set(['Rollout/api']));
    expect(report.summary).toMatchObject({ workloads: 1, customWorkloads: { Rollout: 1 } });
    const { summary } = parseTable((await opsagent(['scan', file])).stdout);
    expect(summary).toContain('audited like Deployments: Rollout 1');
  });

  it('a directory with several bad files: every one is named, exit 2, nothing on stdout', async () => {
    const dir = path.join(TMP, 'many-bad');
    writeTemp('many-bad/a.yaml', 'kind: Pod\nmetadata: { name: x\n');
    writeTemp('many-bad/b.yaml', fs.readFileSync(path.join(ROOT, CLEAN), 'utf8'));
    writeTemp('many-bad/c.json', '{"kind": "Pod",}');
    writeTemp('many-bad/d.yaml', fs.readFileSync(path.join(ROOT, BAD_QUANTITY), 'utf8'));
    for (const output of ['table', 'json']) {
      const result = await opsagent(['scan', dir, '--output', output]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      const lines = result.stderr.split('\n').filter(Boolean);
      expect(lines.map((l) => /^opsagent: error: ([^:]+):\d+: /.exec(l)?.[1])).toEqual(
        ['a.yaml', 'c.json', 'd.yaml'].map((f) => path.join(dir, f)),
      );
      expect(lines[2]).toContain('invalid quantity "12 GiB"');
    }
  });
});

describe('--config', () => {
  it('rejects a bad config with exit 2, naming every bad key path', async () => {
    const config = writeTemp('bad-config.yaml', 'overProvisioning:\n  cpu:\n    ratio: 0.5\nunknownKey: true\n');
    const result = await opsagent(['scan', FINDINGS, '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`invalid config ${config}:`);
    expect(result.stderr).toMatch(/^ {2}overProvisioning\.cpu\.ratio: must be a number ≥ 1$/m);
    expect(result.stderr).toMatch(/^ {2}unknownKey: unknown key$/m);
  });

  it('rejects a config that is not valid YAML', async () => {
    const config = writeTemp('broken-config.yaml', 'rules: [\n');
    const result = await opsagent(['scan', FINDINGS, '--config', config]);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(/YAML syntax error at line \d+/);
  });

  it('disables a rule: its findings go, the others stay', async () => {
    const config = writeTemp('disable.yaml', 'rules:\n  cpu-limit-missing:\n    enabled: false\n');
    const report = await scanJson(FINDINGS, '--config', config);
    expect(findings(report)).toEqual([
      'cpu-request-missing shop/Deployment/api/api',
      'memory-limit-missing shop/Deployment/api/api',
      'memory-request-missing shop/Deployment/api/api',
    ]);
  });

  it('overrides a severity in every output and in --fail-on', async () => {
    const config = writeTemp('severity.yaml', 'rules:\n  memory-request-missing:\n    severity: critical\n');
    const report = await scanJson(FINDINGS, '--config', config);
    expect(report.issues.find((i) => i.rule === 'memory-request-missing')?.severity).toBe('critical');
    expect(report.summary.bySeverity).toMatchObject({ critical: 1, high: 1 });

    const table = await opsagent(['scan', FINDINGS, '--config', config, '--fail-on', 'critical']);
    expect(table.code).toBe(1);
    expect(parseTable(table.stdout).sections.map((s) => s.severity)).toEqual(['critical', 'high', 'medium', 'low']);

    const config2 = writeTemp('severity-low.yaml', 'rules:\n  cpu-limit-missing:\n    severity: high\n');
    const [run] = (await scanSarif(FINDINGS, '--config', config2)).runs;
    expect(run.tool.driver.rules.find((r) => r.id === 'cpu-limit-missing')?.defaultConfiguration.level).toBe('error');
    expect(run.results.filter((r) => r.ruleId === 'cpu-limit-missing').map((r) => r.level)).toEqual(['error', 'error']);
  });

  it('drops the namespaces in excludeNamespaces', async () => {
    const config = writeTemp('exclude.yaml', 'excludeNamespaces: [ops]\n');
    const report = await scanJson(FINDINGS, '--config', config);
    expect(report.issues.map((i) => i.namespace)).not.toContain('ops');
    expect(report.issues).toHaveLength(4);
    expect(report.summary).toMatchObject({ workloads: 1, workloadsExcluded: 1 });
    const { summary } = parseTable((await opsagent(['scan', FINDINGS, '--config', config])).stdout);
    expect(summary).toContain('1 workload in excluded namespaces'); // not "1 workload(s)"
  });

  it('judges over-provisioning only with at least overProvisioning.minSamples samples', async () => {
    const at = writeTemp('min-samples-12.yaml', 'overProvisioning:\n  minSamples: 12\n');
    const above = writeTemp('min-samples-13.yaml', 'overProvisioning:\n  minSamples: 13\n');
    expect((await scanJson(OVERPROVISIONED, '--config', at)).issues).toHaveLength(2);
    const report = await scanJson(OVERPROVISIONED, '--config', above);
    expect(report.issues).toEqual([]);
    expect(report.summary.usageSamples).toBe(12);
  });
});

describe('--namespace', () => {
  it('puts objects without metadata.namespace in "default", or in the namespace given', async () => {
    const namespaces = (report: JsonReport) => report.issues.map((i) => `${i.name} ${i.namespace}`).sort();
    expect(namespaces(await scanJson(NO_NAMESPACE))).toEqual(['admin tools', 'web default']);
    expect(namespaces(await scanJson(NO_NAMESPACE, '--namespace', 'team-a'))).toEqual(['admin tools', 'web team-a']);
  });
});

describe('warnings', () => {
  const unknownRule = /Deployment shop\/api: annotation opsagent\.io\/ignore names unknown rule "no-such-rule"/;

  it('are in the JSON warnings and not on stderr with --output json', async () => {
    const report = await scanJson(ANNOTATIONS);
    expect(report.warnings).toEqual([
      expect.objectContaining({ code: 'unknown-rule-in-annotation', message: expect.stringMatching(unknownRule) }),
      expect.objectContaining({ code: 'unknown-container-in-annotation', message: expect.stringContaining('"ghost"') }),
    ]);
    // The known rule id in the same annotation still exempts the container.
    expect(report.issues).toEqual([]);
    expect(report.summary.exemptions).toBe(1);
  });

  it('go to stderr with table output, and not into the table', async () => {
    const result = await opsagentOnce('scan', ANNOTATIONS);
    expect(result.code).toBe(0);
    const warnings = result.stderr.split('\n').filter(Boolean);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(new RegExp(`^warning: ${unknownRule.source}`));
    expect(warnings[1]).toMatch(/^warning: .*"ghost"/);
    expect(result.stdout).not.toContain('no-such-rule');
  });
});

describe('issue ids', () => {
  it('are the same on every run, and whether the manifest comes from a file or stdin', async () => {
    const first = await opsagent(['scan', 'examples/', '--output', 'json']);
    const second = await opsagent(['scan', 'examples/', '--output', 'json']);
    const ids = (result: CliResult) => parseJson(result).issues.map((i) => i.id);
    expect(ids(second)).toEqual(ids(first));
    expect(new Set(ids(first)).size).toBe(ids(first).length);

    const piped = await opsagent(['scan', '-', '--output', 'json'], fs.readFileSync(path.join(ROOT, FINDINGS), 'utf8'));
    expect(ids(piped)).toEqual((await scanJson(FINDINGS)).issues.map((i) => i.id));
  });
});

describe('--version and --help', () => {
  it('--version prints the package version and exits 0', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await opsagent(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it.each([[['--help']], [['help']], [['scan', '--help']], [['help', 'scan']]])(
    '%j prints usage on stdout and exits 0',
    async (args) => {
      const result = await opsagent(args);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(/^Usage: opsagent /);
    },
  );

  it('scan --help lists the options', async () => {
    const { stdout } = await opsagentOnce('scan', '--help');
    for (const option of ['--output <format>', '--config <file>', '--fail-on <severity>', '--namespace <ns>']) {
      expect(stdout).toContain(option);
    }
  });
});

describe('empty input', () => {
  it('exits 2 when the paths hold no Kubernetes objects', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-empty-'));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a manifest');
    const result = await opsagent(['scan', dir]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`no Kubernetes objects found in ${dir}`);
  });
});

describe('start-up', () => {
  const HOOK = path.join(ROOT, FIXTURES, 'record-modules.cjs');

  /**
   * The node_modules packages a CLI run resolves, recorded by a resolve hook preloaded through NODE_OPTIONS: the run
   * is bin/opsagent's, as a user starts it (the CLI bundle through its launcher; `serve` from main.js).
   */
  function packagesLoaded(args: string[], command = BIN): { code: number | null; packages: string[] } {
    const log = path.join(TMP, `modules-${runs.size}-${Date.now()}-${Math.random()}.txt`);
    const env = {
      ...process.env,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${HOOK}`,
      OPSAGENT_TEST_MODULE_LOG: log,
      KUBECONFIG: '/nonexistent/kubeconfig',
      KUBERNETES_SERVICE_HOST: '',
    };
    const child = spawnSync(command, command === BIN ? args : [MAIN, ...args], { cwd: ROOT, env, encoding: 'utf8' });
    return { code: child.status, packages: fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) };
  }

  const service = (p: string) => p.startsWith('@nestjs/') || p.startsWith('@kubernetes/');
  /**
   * What a run that validates no config and serves nothing does not need: the service's logger, and the libraries
   * that validate a config file (class-validator pulls in `validator` and `libphonenumber-js`).
   */
  const SERVICE_AND_VALIDATION = ['pino', 'class-validator', 'class-transformer', 'validator', 'cron', 'luxon'];

  it.each([[['scan', 'examples/']], [['scan', 'examples/', '--output', 'sarif']], [['--help']], [['scan', '--help']]])(
    '%j loads neither NestJS nor client-node',
    (args) => {
      const { code, packages } = packagesLoaded(args);
      expect(code).toBe(0);
      // The controls below show that the hook sees what the run loads.
      expect(packages.filter(service)).toEqual([]);
    },
  );

  it.each([[['scan', 'examples/']], [['--help']]])(
    '%j resolves no package at all: yaml and commander come from the CLI bundle, the rest is not loaded',
    (args) => {
      const { code, packages } = packagesLoaded(args);
      expect(code).toBe(0);
      expect(packages).toEqual([]);
    },
  );

  it.each([[['scan', 'examples/']], [['scan', 'examples/', '--output', 'sarif']], [['--help']], [['scan', '--help']]])(
    '%j loads neither pino nor the config validation libraries',
    (args) => {
      const { code, packages } = packagesLoaded(args);
      expect(code).toBe(0);
      expect(packages.filter((p) => SERVICE_AND_VALIDATION.includes(p))).toEqual([]);
    },
  );

  it('--help loads only what it prints: unbundled (main.js), it resolves commander and no YAML parser', () => {
    const node = path.join(ROOT, 'node_modules', '.bin', 'node');
    expect(packagesLoaded(['--help'], node)).toEqual({ code: 0, packages: ['commander', 'reflect-metadata'] });
    // The control: the manifest scan does load the YAML parser.
    expect(packagesLoaded(['scan', 'examples/'], node).packages).toContain('yaml');
  });

  it('a scan with --config does load class-validator: the check above can fail', () => {
    const config = path.join(TMP, 'startup-config.yaml');
    fs.writeFileSync(config, 'overProvisioning:\n  minSamples: 3\n');
    const { code, packages } = packagesLoaded(['scan', 'examples/', '--config', config]);
    expect(code).toBe(0);
    expect(packages).toEqual(expect.arrayContaining(['class-validator', 'class-transformer', 'cron']));
  });

  it('serve does load pino (and fails here, without a kubeconfig): the check above can fail', () => {
    const { code, packages } = packagesLoaded(['serve']);
    expect(code).not.toBe(0);
    expect(packages).toContain('pino');
  });

  it('the cluster scan (no PATH) does load client-node: the check above can fail', () => {
    const { code, packages } = packagesLoaded(['scan']);
    expect(code).toBe(2); // no kubeconfig here
    expect(packages).toContain('@kubernetes/client-node');
  });
});
