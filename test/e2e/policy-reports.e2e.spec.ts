/**
 * PolicyReports and openreports Reports written by the real agent (`serve`, built) to the Kubernetes API
 * simulator over HTTP, read back with the real @kubernetes/client-node: content after a scan, no write when
 * nothing changed, deletion when a namespace is clean, a foreign report left alone, a 409 retried after a fresh
 * GET, a missing CRD as one warning, and no write at all with the default config. Run after `npm run build`.
 */
import path from 'node:path';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { issuesFromReport } from '@opsagent/core/reports/policy-report';
import { startSimulator, type RequestLogEntry, type Simulator } from '../../tools/k8s-simulator/simulator';
import { getJson, startAgent, tempDir, waitFor, waitForScan, type AgentProcess, type ScanJson } from './harness';

const PR = { group: 'wgpolicyk8s.io', version: 'v1alpha2', plural: 'policyreports' };
const REP = { group: 'openreports.io', version: 'v1alpha1', plural: 'reports' };
const LABEL = 'app.kubernetes.io/managed-by';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON read back from the API, asserted field by field
type Obj = Record<string, any>;

interface IssueJson {
  id: string;
  rule: string;
  severity: string;
  namespace: string;
  kind: string;
  name: string;
  container: string;
  message: string;
  firstSeen: string;
  lastSeen: string;
}

function deployment(namespace: string, name: string, resources: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: `${name}:1`, resources }] },
      },
    },
  };
}

const FULL = { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '200m', memory: '128Mi' } };
const NO_LIMITS = { requests: { cpu: '100m', memory: '128Mi' } };

/** A report named `opsagent` that another tool made: no managed-by label of ours. */
const FOREIGN = {
  apiVersion: 'wgpolicyk8s.io/v1alpha2',
  kind: 'PolicyReport',
  metadata: { name: 'opsagent', namespace: 'legacy', labels: { [LABEL]: 'someone-else' } },
  results: [{ source: 'other', policy: 'p', result: 'pass' }],
  summary: { pass: 1, fail: 0, warn: 0, error: 0, skip: 0 },
};

const writes = (requests: readonly RequestLogEntry[], pathPart = '') =>
  requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD' && r.path.includes(pathPart));

async function scanNow(agent: AgentProcess): Promise<ScanJson> {
  const { status, body } = await getJson<{ id: string }>(`${agent.api}/api/v1/scans`, { method: 'POST' });
  expect(status).toBe(202);
  return waitForScan(agent.api, { id: body.id });
}

async function stop(agent: AgentProcess | undefined): Promise<void> {
  if (agent && agent.child.exitCode === null) {
    agent.child.kill('SIGTERM');
    await agent.exited;
  }
}

describe('PolicyReports written by the agent (reports.policyReports and reports.openReports)', () => {
  let sim: Simulator;
  let agent: AgentProcess;
  let custom: CustomObjectsApi;
  let first: ScanJson;

  const report = async (namespace: string, type = PR) =>
    (await custom.getNamespacedCustomObject({ ...type, namespace, name: 'opsagent' })) as Obj;
  const reportOrUndefined = async (namespace: string, type = PR) => {
    try {
      return await report(namespace, type);
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    }
  };
  const issues = async (namespace: string) =>
    (await getJson<{ items: IssueJson[] }>(`${agent.api}/api/v1/issues?namespace=${namespace}&limit=1000`)).body.items;

  beforeAll(async () => {
    sim = await startSimulator({
      token: 'reports-e2e-token',
      objects: [
        deployment('shop', 'api', NO_LIMITS),
        deployment('shop', 'cart', {}),
        deployment('web', 'front', NO_LIMITS),
        deployment('clean', 'ok', FULL),
        deployment('legacy', 'old', NO_LIMITS),
        FOREIGN,
      ],
    });
    const kubeconfig = path.join(tempDir('opsagent-reports-'), 'config');
    sim.writeKubeconfig(kubeconfig);
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    custom = kc.makeApiClient(CustomObjectsApi);
    agent = await startAgent({
      kubeconfig,
      config: {
        schedule: '0 0 1 1 *',
        kubernetes: { retries: 0 },
        reports: { policyReports: true, openReports: true },
      },
    });
    first = await waitForScan(agent.api, {});
  }, 90_000);

  afterAll(async () => {
    await stop(agent);
    await sim?.close();
  });

  it('after a scan, one report per namespace with findings, with the issues as results', async () => {
    expect(first.status).toBe('succeeded');
    const shop = await report('shop');
    expect(shop.metadata.labels).toEqual({ [LABEL]: 'opsagent' });
    const shopIssues = await issues('shop');
    expect(shopIssues.length).toBeGreaterThan(2);
    expect(shop.results.map((r: Obj) => r.properties.id).sort()).toEqual(shopIssues.map((i) => i.id).sort());
    expect(shop.summary).toEqual({
      pass: 0,
      fail: shopIssues.filter((i) => i.severity !== 'info').length,
      warn: shopIssues.filter((i) => i.severity === 'info').length,
      error: 0,
      skip: 0,
    });
    const api = sim.objects().find((o: Obj) => o.kind === 'Deployment' && o.metadata.name === 'api') as Obj;
    const apiResult = shop.results.find((r: Obj) => r.resources[0].name === 'api' && r.rule === 'cpu-limit-missing');
    const apiIssue = shopIssues.find((i) => i.name === 'api' && i.rule === 'cpu-limit-missing')!;
    expect(apiResult).toEqual({
      source: 'opsagent',
      policy: 'cpu-limit-missing',
      rule: 'cpu-limit-missing',
      category: 'Resources',
      severity: apiIssue.severity,
      result: 'fail',
      message: apiIssue.message,
      timestamp: { seconds: Math.floor(Date.parse(apiIssue.lastSeen) / 1000), nanos: expect.any(Number) },
      resources: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', namespace: 'shop', uid: api.metadata.uid }],
      properties: { container: 'app', id: apiIssue.id, firstSeen: apiIssue.firstSeen },
    });
    // What a follower replica would serve from the report: the same issues.
    const back = issuesFromReport(shop);
    expect(back.problems).toEqual([]);
    const pick = (i: IssueJson) => [i.id, i.rule, i.severity, i.kind, i.name, i.container, i.message, i.firstSeen];
    expect(back.issues.map(pick).sort()).toEqual(shopIssues.map(pick).sort());

    expect((await report('web')).results.length).toBe((await issues('web')).length);
    expect(await reportOrUndefined('clean')).toBeUndefined();
    const rep = await report('shop', REP);
    expect(rep).toMatchObject({ apiVersion: 'openreports.io/v1alpha1', kind: 'Report', source: 'opsagent' });
    expect(rep.results).toEqual(shop.results);
  });

  it('never touches a report it did not make, and says so in the scan warnings', async () => {
    const legacy = await report('legacy');
    expect(legacy.metadata.labels).toEqual({ [LABEL]: 'someone-else' });
    expect(legacy.results).toEqual(FOREIGN.results);
    expect(writes(sim.requests, '/namespaces/legacy/policyreports')).toEqual([]);
    expect(first.warnings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'report-not-ours', message: expect.stringContaining('legacy/opsagent') }),
      ]),
    );
    // legacy's Report (openreports) is ours to write: no foreign one there.
    expect((await report('legacy', REP)).metadata.labels).toEqual({ [LABEL]: 'opsagent' });
  });

  it('does not write again when a scan finds the same issues', async () => {
    const before = await report('shop');
    sim.clearLog();
    const scan = await scanNow(agent);
    expect(scan.status).toBe('succeeded');
    expect(writes(sim.requests)).toEqual([]);
    const after = await report('shop');
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('deletes the report of a namespace left with no findings, and only that one', async () => {
    sim.upsert(deployment('web', 'front', FULL));
    sim.clearLog();
    const scan = await scanNow(agent);
    expect(scan.status).toBe('succeeded');
    expect(await reportOrUndefined('web')).toBeUndefined();
    expect(await reportOrUndefined('web', REP)).toBeUndefined();
    expect(
      writes(sim.requests)
        .map((r) => `${r.method} ${r.path} ${r.status}`)
        .sort(),
    ).toEqual([
      'DELETE /apis/openreports.io/v1alpha1/namespaces/web/reports/opsagent 200',
      'DELETE /apis/wgpolicyk8s.io/v1alpha2/namespaces/web/policyreports/opsagent 200',
    ]);
  });

  it('retries a 409 Conflict after a fresh GET, and the report ends up right', async () => {
    const shopPath = '/apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports/opsagent';
    // cart gets its requests: its *-request-missing results go, the report must be updated.
    sim.upsert(deployment('shop', 'cart', NO_LIMITS));
    sim.inject({ path: shopPath, method: 'PUT', status: 409, times: 1 });
    sim.clearLog();
    const scan = await scanNow(agent);
    expect(scan.status).toBe('succeeded');
    expect(scan.warnings.filter((w) => w.code !== 'report-not-ours')).toEqual([]);
    const onShop = sim.requests.filter((r) => r.path === shopPath).map((r) => `${r.method} ${r.status}`);
    expect(onShop).toEqual(['PUT 409', 'GET 200', 'PUT 200']);
    const shop = await report('shop');
    expect(shop.results.map((r: Obj) => r.properties.id).sort()).toEqual(
      (await issues('shop')).map((i) => i.id).sort(),
    );
    expect(shop.results.some((r: Obj) => r.resources[0].name === 'cart' && r.rule.endsWith('request-missing'))).toBe(
      false,
    );
  });

  it('without the PolicyReport CRD: one warning per scan, the scan and the Reports go on', async () => {
    sim.setGroupAvailable('wgpolicyk8s.io', false);
    try {
      sim.upsert(deployment('web', 'front', {}));
      const linesBefore = agent.stdout().split('\n').length;
      const scan = await scanNow(agent);
      expect(scan.status).toBe('succeeded');
      expect(scan.warnings.filter((w) => w.code === 'reports-crd-missing')).toEqual([
        {
          code: 'reports-crd-missing',
          message: expect.stringContaining('policyreports.wgpolicyk8s.io (wgpolicyk8s.io/v1alpha2)'),
        },
      ]);
      expect((await issues('web')).length).toBeGreaterThan(0);
      expect((await report('web', REP)).results.length).toBe((await issues('web')).length);
      const lines = await waitFor(
        async () => {
          const newLines = agent
            .stdout()
            .split('\n')
            .slice(linesBefore - 1)
            .filter((l) => l.includes(`"scan":"${scan.id}"`) || l.includes('reports-crd-missing'));
          return newLines.some((l) => l.includes('"event":"scan"')) ? newLines : undefined;
        },
        20_000,
        'the scan line',
      );
      expect(
        lines.filter((l) => l.includes('"event":"reports-warning"') && l.includes('reports-crd-missing')),
      ).toHaveLength(1);
    } finally {
      sim.setGroupAvailable('wgpolicyk8s.io', true);
    }
  });
});

describe('the default config (reports off)', () => {
  it('makes no write at all: the simulator records only GETs', async () => {
    const sim = await startSimulator({
      token: 'reports-default-token',
      objects: [deployment('shop', 'api', NO_LIMITS), deployment('web', 'front', {})],
    });
    let agent: AgentProcess | undefined;
    try {
      const kubeconfig = path.join(tempDir('opsagent-reports-default-'), 'config');
      sim.writeKubeconfig(kubeconfig);
      agent = await startAgent({ kubeconfig, config: { schedule: '0 0 1 1 *' } });
      const first = await waitForScan(agent.api, {});
      expect(first.status).toBe('succeeded');
      expect(first.counts.issues).toBeGreaterThan(0);
      await scanNow(agent);
      expect(sim.requests.length).toBeGreaterThan(0);
      expect(sim.requests.filter((r) => r.method !== 'GET')).toEqual([]);
      expect(sim.requests.filter((r) => r.path.includes('policyreports') || r.path.includes('openreports'))).toEqual(
        [],
      );
    } finally {
      await stop(agent);
      await sim.close();
    }
  }, 90_000);
});
