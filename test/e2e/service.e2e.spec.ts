import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { WORKLOAD_KINDS } from '@opsagent/core/workload';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { workloadObjects } from './fixtures';
import { MAIN, getJson, startAgent, tempDir, waitFor, waitForScan, type AgentProcess, type ScanJson } from './harness';

/**
 * The real service (both ports) as a child process, reading the in-repo Kubernetes API simulator over
 * HTTP through the real @kubernetes/client-node. Run after `npm run build` (npm test does it).
 */
const PER_KIND = 12;
const PAGE_SIZE = 4; // 12 objects per kind → 3 pages per kind
const TOKEN = 'e2e-token-4f1d0c9a-never-logged';
const SECRET = 'e2e-secret-value-9b7e-never-logged';

let sim: Simulator;
let agent: AgentProcess;
let first: ScanJson;

beforeAll(async () => {
  sim = await startSimulator({ token: TOKEN, objects: workloadObjects(PER_KIND) });
  const kubeconfig = path.join(tempDir('opsagent-kube-'), 'config');
  sim.writeKubeconfig(kubeconfig);
  agent = await startAgent({
    kubeconfig,
    config: {
      schedule: '0 0 1 1 *', // effectively never: scans are triggered by the tests
      kubernetes: { pageSize: PAGE_SIZE, requestTimeout: '2s', retries: 1 },
      overProvisioning: { minSamples: 2 },
    },
    env: { AWS_SECRET_ACCESS_KEY: SECRET, GITHUB_TOKEN: SECRET },
  });
  await waitFor(
    async () => ((await fetch(`${agent.api}/health/ready`)).status === 200 ? true : undefined),
    20_000,
    'ready',
  );
  first = await waitForScan(agent.api, {});
}, 40_000);

afterAll(async () => {
  if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
  await sim?.close();
});

async function scanNow(): Promise<ScanJson> {
  const { status, body } = await getJson<{ id: string }>(`${agent.api}/api/v1/scans`, { method: 'POST' });
  expect(status).toBe(202);
  return waitForScan(agent.api, { id: body.id });
}

describe('reading the cluster', () => {
  it('finished the startup scan with every kind read', () => {
    expect(first.status).toBe('succeeded');
    expect(first.errors).toEqual([]);
    expect(first.counts).toMatchObject({ workloads: PER_KIND * WORKLOAD_KINDS.length, issues: 128, new: 128 });
  });

  it('paginates every kind with limit/continue across at least 3 pages', () => {
    // Only the startup scan has run so far: one list per kind.
    for (const plural of [
      'deployments',
      'statefulsets',
      'daemonsets',
      'replicasets',
      'replicationcontrollers',
      'jobs',
      'cronjobs',
      'pods',
    ]) {
      const lists = sim.requests.filter(
        (r) =>
          r.path ===
          `/${plural === 'pods' || plural === 'replicationcontrollers' ? 'api/v1' : plural.endsWith('jobs') ? 'apis/batch/v1' : 'apis/apps/v1'}/${plural}`,
      );
      expect(lists.length).toBeGreaterThanOrEqual(3);
      expect(lists.every((r) => r.status === 200 && r.query.limit === String(PAGE_SIZE))).toBe(true);
      // The first page without a token, every further page with one.
      expect(lists.map((r) => r.query.continue !== undefined)).toEqual(lists.map((_, i) => i > 0));
    }
  });

  it('never sends a request other than GET', () => {
    expect(sim.requests.length).toBeGreaterThan(0);
    expect(sim.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('does not report owned objects twice and skips excluded namespaces', async () => {
    const owned = await getJson<{ total: number }>(`${agent.api}/api/v1/issues?name=deploy-0-abc`);
    expect(owned.body.total).toBe(0);
    const system = await getJson<{ total: number }>(`${agent.api}/api/v1/issues?namespace=kube-system`);
    expect(system.body.total).toBe(0);
  });
});

describe('REST API', () => {
  it('lists issues sorted, filtered and paged', async () => {
    const all = await getJson<{ items: { severity: string; id: string }[]; total: number; continue?: string }>(
      `${agent.api}/api/v1/issues?limit=50`,
    );
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(128);
    expect(all.body.items).toHaveLength(50);
    expect(all.body.items[0].severity).toBe('high');
    const ids = all.body.items.map((i) => i.id);
    let token = all.body.continue;
    while (token) {
      const page = await getJson<{ items: { id: string }[]; continue?: string }>(
        `${agent.api}/api/v1/issues?limit=50&continue=${encodeURIComponent(token)}`,
      );
      ids.push(...page.body.items.map((i) => i.id));
      token = page.body.continue;
    }
    expect(new Set(ids).size).toBe(128);

    const filtered = await getJson<{ items: { namespace: string; kind: string; rule: string }[]; total: number }>(
      `${agent.api}/api/v1/issues?namespace=team-1&kind=StatefulSet&rule=memory-limit-missing`,
    );
    expect(filtered.body.total).toBeGreaterThan(0);
    expect(
      filtered.body.items.every(
        (i) => i.namespace === 'team-1' && i.kind === 'StatefulSet' && i.rule === 'memory-limit-missing',
      ),
    ).toBe(true);
    const low = await getJson<{ total: number }>(`${agent.api}/api/v1/issues?severity=low`);
    const min = await getJson<{ total: number }>(`${agent.api}/api/v1/issues?minSeverity=low`);
    expect(low.body.total).toBe(64);
    expect(min.body.total).toBe(128);
  });

  it('returns one issue by id with firstSeen/lastSeen, and 404 otherwise', async () => {
    const list = await getJson<{ items: { id: string }[] }>(`${agent.api}/api/v1/issues?limit=1`);
    const id = list.body.items[0].id;
    const one = await getJson<{ id: string; firstSeen: string; lastSeen: string }>(`${agent.api}/api/v1/issues/${id}`);
    expect(one.status).toBe(200);
    expect(one.body.id).toBe(id);
    expect(Date.parse(one.body.firstSeen)).not.toBeNaN();
    const missing = await getJson<{ statusCode: number; message: string }>(
      `${agent.api}/api/v1/issues/0123456789abcdef`,
    );
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    // Not an id's form is no different: nothing by that id (rest-api.e2e.spec.ts tries every form).
    const bad = await getJson<{ statusCode: number }>(`${agent.api}/api/v1/issues/not-an-id`);
    expect(bad.status).toBe(404);
  });

  it.each([
    ['limit=0', 'limit', /1 to 1000/],
    ['limit=1001', 'limit', /1 to 1000/],
    ['limit=abc', 'limit', /1 to 1000/],
    ['severity=urgent', 'severity', /critical, high, medium, low, info/],
    ['minSeverity=x', 'minSeverity', /critical, high, medium, low, info/],
    ['rule=nope', 'rule', /cpu-request-missing/],
    ['kind=Service', 'kind', /Deployment/],
    ['namespace=Not_Valid', 'namespace', /Kubernetes object name/],
    ['continue=garbage', 'continue', /not a token/],
    ['color=red', 'color', /unknown parameter/],
    ['namespace=a&namespace=b', 'namespace', /Kubernetes object name/],
  ])('400 for %s naming the parameter', async (query, parameter, reason) => {
    const res = await getJson<{ statusCode: number; error: string; details: { parameter: string; reason: string }[] }>(
      `${agent.api}/api/v1/issues?${query}`,
    );
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    const detail = res.body.details.find((d) => d.parameter === parameter);
    expect(detail?.reason).toMatch(reason);
  });

  it('answers unknown routes with the JSON error body', async () => {
    const res = await getJson<{ statusCode: number }>(`${agent.api}/api/v1/nope`);
    expect(res.status).toBe(404);
    expect(res.body.statusCode).toBe(404);
  });

  it('summarises by severity, rule and namespace with the last scan', async () => {
    const { status, body } = await getJson<{
      total: number;
      bySeverity: Record<string, number>;
      byRule: Record<string, number>;
      byNamespace: Record<string, number>;
      lastScan: { id: string };
    }>(`${agent.api}/api/v1/summary`);
    expect(status).toBe(200);
    expect(body.bySeverity).toMatchObject({ high: 64, low: 64, medium: 0 });
    expect(body.byRule).toEqual({ 'cpu-limit-missing': 64, 'memory-limit-missing': 64 });
    expect(Object.keys(body.byNamespace).sort()).toEqual(['team-0', 'team-1', 'team-2', 'team-3']);
    expect(body.lastScan.id).toBeDefined();
  });

  it('serves the OpenAPI document and page', async () => {
    const doc = await getJson<{ openapi: string; paths: Record<string, unknown> }>(`${agent.api}/api/docs-json`);
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/issues', '/api/v1/issues/{id}', '/api/v1/scans']),
    );
    const page = await fetch(`${agent.api}/api/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger');
  });

  it('answers POST /api/v1/scans with 409 while a scan runs', async () => {
    const slow = sim.inject({ path: '/apis/apps/v1/deployments', latencyMs: 600, times: 1 });
    const started = await getJson<{ id: string }>(`${agent.api}/api/v1/scans`, { method: 'POST' });
    expect(started.status).toBe(202);
    const again = await getJson<{ statusCode: number; message: string }>(`${agent.api}/api/v1/scans`, {
      method: 'POST',
    });
    expect(again.status).toBe(409);
    expect(again.body.message).toContain(started.body.id);
    const done = await waitForScan(agent.api, { id: started.body.id });
    expect(done.status).toBe('succeeded');
    sim.removeFault(slow);
  });
});

describe('metrics', () => {
  it('exports the documented metrics on the metrics port only', async () => {
    const text = await (await fetch(`${agent.metrics}/metrics`)).text();
    for (const name of [
      'opsagent_detection_runs_total{status="succeeded"}',
      'opsagent_issues_found_total{rule="memory-limit-missing",severity="high"}',
      'opsagent_detection_duration_seconds_count',
      'opsagent_issues_by_severity{severity="high"} 64',
      'opsagent_last_successful_scan_timestamp_seconds',
      'opsagent_scans_skipped_total',
      'opsagent_kubernetes_requests_total{resource="apps/deployments",code="200"}',
      'process_cpu_user_seconds_total',
    ]) {
      expect(text).toContain(name);
    }
    const runs = Number(/opsagent_detection_runs_total\{status="succeeded"\} (\d+)/.exec(text)?.[1]);
    expect(runs).toBeGreaterThanOrEqual(1);
    expect((await fetch(`${agent.api}/metrics`)).status).toBe(404);
  });
});

describe('scans over time', () => {
  it('reports new and resolved issues across two scans', async () => {
    const before = await scanNow();
    expect(before.status).toBe('succeeded');
    // deploy-1 (two issues) goes away; a new Deployment with no resources at all (four issues) arrives.
    sim.remove('apps/v1/Deployment', 'team-1', 'deploy-1');
    sim.upsert({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'newcomer', namespace: 'team-2' },
      spec: {
        selector: { matchLabels: { app: 'newcomer' } },
        template: { metadata: { labels: { app: 'newcomer' } }, spec: { containers: [{ name: 'app', image: 'x' }] } },
      },
    });
    const after = await scanNow();
    expect(after.counts).toMatchObject({ new: 4, resolved: 2, issues: 130 });
    // The scan's answer can come back before the child's log lines have crossed the pipe: wait for them.
    const logs = await waitFor(
      async () => {
        const text = agent.stdout();
        return text.includes('"event":"issue-resolved"') && /"event":"issue-new".*"name":"newcomer"/.test(text)
          ? text
          : undefined;
      },
      10_000,
      'the issue-resolved and issue-new log lines',
    ).catch(() => agent.stdout());
    expect(logs).toContain('"event":"issue-resolved"');
    expect(logs).toMatch(/"event":"issue-new".*"name":"newcomer"/);
  });

  it('keeps the issues of a forbidden kind and reports the scan partial', async () => {
    const before = await getJson<{ total: number }>(`${agent.api}/api/v1/issues?kind=StatefulSet`);
    expect(before.body.total).toBeGreaterThan(0);
    const forbid = sim.inject({ path: '/apis/apps/v1/statefulsets', status: 403 });
    try {
      const scan = await scanNow();
      expect(scan.status).toBe('partial');
      expect(scan.errors).toHaveLength(1);
      expect(scan.errors[0]).toMatchObject({ kind: 'StatefulSet', resource: 'apps/statefulsets', code: 403 });
      expect(scan.errors[0].reason).toMatch(/resources \["statefulsets"\], verbs \["get", "list", "watch"\]/);
      expect(scan.counts.resolved).toBe(0);
      expect(scan.counts.carriedOver).toBe(before.body.total);
      const after = await getJson<{ total: number }>(`${agent.api}/api/v1/issues?kind=StatefulSet`);
      expect(after.body.total).toBe(before.body.total);
      const text = await (await fetch(`${agent.metrics}/metrics`)).text();
      expect(text).toMatch(/opsagent_detection_runs_total\{status="partial"\} [1-9]/);
      expect(text).toContain('opsagent_kubernetes_requests_total{resource="apps/statefulsets",code="403"}');
    } finally {
      sim.removeFault(forbid);
    }
  });

  it('warns and skips over-provisioning when metrics.k8s.io is absent', async () => {
    sim.setMetricsAvailable(false);
    try {
      const scan = await scanNow();
      expect(scan.status).toBe('succeeded');
      expect(scan.warnings.map((w) => w.code)).toContain('metrics-unavailable');
      expect(scan.warnings.find((w) => w.code === 'metrics-unavailable')?.message).toMatch(/404/);
    } finally {
      sim.setMetricsAvailable(true);
    }
  });
});

describe('health', () => {
  it('keeps /health at 200 while the API server fails', async () => {
    const down = sim.inject({ path: /.*/, status: 503 });
    try {
      const scan = await scanNow();
      expect(scan.status).toBe('failed');
      const health = await getJson<{ status: string; info: { scanner: { lastScan: { status: string } } } }>(
        `${agent.api}/health`,
      );
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('ok');
      expect(health.body.info.scanner.lastScan.status).toBe('failed');
      // A failed scan leaves the issue set as it was.
      const issues = await getJson<{ total: number }>(`${agent.api}/api/v1/issues`);
      expect(issues.body.total).toBe(130);
    } finally {
      sim.removeFault(down);
    }
  });
});

describe('logs and shutdown', () => {
  it('logs JSON lines and never a token or a Secret-provided value', () => {
    // Only whole lines: a line still crossing the pipe is not yet a line.
    const lines = agent.stdout().split('\n').slice(0, -1);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(lines.some((l) => JSON.parse(l).event === 'scan')).toBe(true);
    const all = agent.stdout() + agent.stderr();
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(SECRET);
  });

  it('logs each scan line at the level of its outcome: info succeeded, warn partial, error failed', () => {
    const scans = agent
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: string; event?: string; status?: string })
      .filter((line) => line.event === 'scan');
    const levels = new Map(scans.map((line) => [line.status, new Set<string>()]));
    for (const line of scans) levels.get(line.status)!.add(line.level);
    // The tests above ran scans of each outcome: a forbidden kind (partial) and a failing API server (failed).
    expect(Object.fromEntries([...levels].map(([status, set]) => [status, [...set]]))).toEqual({
      succeeded: ['info'],
      partial: ['warn'],
      failed: ['error'],
    });
  });

  it('never shows a token or a Secret-provided value in REST responses or metrics', async () => {
    const bodies = await Promise.all(
      [
        `${agent.api}/health`,
        `${agent.api}/api/v1/issues?limit=1000`,
        `${agent.api}/api/v1/summary`,
        `${agent.api}/api/v1/scans/latest`,
        `${agent.api}/api/docs-json`,
        `${agent.api}/api/v1/issues?limit=nope`,
        `${agent.metrics}/metrics`,
      ].map(async (url) => (await fetch(url)).text()),
    );
    for (const body of bodies) {
      expect(body).not.toContain(TOKEN);
      expect(body).not.toContain(SECRET);
    }
  });

  it('exits 0 on SIGTERM', async () => {
    agent.child.kill('SIGTERM');
    const { code } = await agent.exited;
    expect(code).toBe(0);
  });
});

describe('bad configuration', () => {
  it('stops the start with a non-zero exit naming the key', async () => {
    const dir = tempDir('opsagent-bad-');
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(file, 'schedule: every minute\nkubernetes:\n  pageSize: 0\n');
    const result = spawnSync(process.execPath, [MAIN, 'serve', '--config', file], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('schedule: must be a cron expression');
    expect(result.stderr).toContain('kubernetes.pageSize: must be an integer from 1 to 10000');
  });
});
