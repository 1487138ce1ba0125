import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { ROOT, getJson, runCli, startAgent, tempDir, waitForReady, waitForScan, type AgentProcess } from './harness';

/**
 * LimitRanges and HPAs (issue 13 §3–4) in the service, read from the simulator over HTTP by the real agent, and in
 * `opsagent scan` of the same objects in a file, and `opsagent scan` without a path reading the simulator live: the
 * same findings, severities and recommendations.
 */
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'workload-context');

interface IssueView {
  rule: string;
  severity: string;
  namespace: string;
  name: string;
  container: string;
  message: string;
  overProvisioning?: {
    request: number;
    recommended: number;
    wastePerPod: number;
    hpa?: { name: string; target: string; averageUtilization?: number; averageValue?: number };
    requestDefaultedBy?: string;
    cappedBy?: { limitRange: string; max: number };
  };
}

/** `severity rule namespace/name recommended`: the part both must agree on. */
const view = (issues: IssueView[]) =>
  issues
    .map(
      (i) =>
        `${i.severity} ${i.rule} ${i.namespace}/${i.name}` +
        (i.overProvisioning ? ` ${i.overProvisioning.request}→${i.overProvisioning.recommended}` : ''),
    )
    .sort();

const EXPECTED = [
  'high memory-limit-missing capped/worker',
  'info cpu-limit-missing team-a/plain',
  'info cpu-overprovisioned shop/api 1000→1000',
  'info cpu-request-missing team-a/plain',
  'info memory-limit-missing team-a/plain',
  'info memory-request-missing team-a/plain',
  'low cpu-limit-missing capped/worker',
  'medium cpu-overprovisioned capped/worker 2000→300',
  'medium cpu-overprovisioned shop/web 1000→143',
  'medium cpu-overprovisioned team-a/plain 1000→100',
  `medium memory-overprovisioned capped/worker ${256 * 2 ** 20}→${115 * 2 ** 20}`,
  `medium memory-overprovisioned shop/api ${256 * 2 ** 20}→${115 * 2 ** 20}`,
  `medium memory-overprovisioned shop/web ${256 * 2 ** 20}→${115 * 2 ** 20}`,
  `medium memory-overprovisioned team-a/plain ${2 ** 30}→${115 * 2 ** 20}`,
];

let sim: Simulator;
let agent: AgentProcess;
let kubeconfig: string;

beforeAll(async () => {
  const text = fs.readFileSync(path.join(FIXTURE, 'cluster.yaml'), 'utf8');
  sim = await startSimulator({ objects: parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>) });
  kubeconfig = path.join(tempDir('opsagent-workload-context-'), 'config');
  sim.writeKubeconfig(kubeconfig);
  agent = await startAgent({
    kubeconfig,
    config: { schedule: '0 0 1 1 *', scanMinInterval: '0s', overProvisioning: { minSamples: 1 } },
  });
  await waitForReady(agent);
}, 90_000);

afterAll(async () => {
  if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
  await sim?.close();
});

const config = path.join(FIXTURE, 'config.yaml');
const cliScan = () => runCli(['scan', path.join(FIXTURE, 'cluster.yaml'), '--config', config, '--output', 'json']);
/** `opsagent scan` without a path: the kubeconfig's cluster (the simulator), read by the service's reader. */
const cliLive = () => runCli(['scan', '--config', config, '--output', 'json'], { KUBECONFIG: kubeconfig });

const serviceIssues = async () =>
  (await getJson<{ items: IssueView[] }>(`${agent.api}/api/v1/issues?limit=1000`)).body.items;

describe('LimitRanges and HPAs, CLI and service', () => {
  it('gives the same findings from the file and from the cluster', async () => {
    const scan = await waitForScan(agent.api, {});
    expect(scan).toMatchObject({ status: 'succeeded', errors: [] });
    expect(scan.warnings.filter((w) => w.code === 'context-unreadable')).toEqual([]);
    const service = await serviceIssues();
    const cli = await cliScan();
    expect(cli).toMatchObject({ code: 0, stderr: '' });
    const fromFile = (JSON.parse(cli.stdout) as { issues: IssueView[] }).issues;
    expect(view(service)).toEqual(EXPECTED);
    expect(view(fromFile)).toEqual(view(service));
    // (The messages differ only in the sample count: the CLI sees each PodMetrics, the service one peak per scan.)
    const live = await cliLive();
    expect(live).toMatchObject({ code: 0, stderr: '' });
    const fromCluster = (JSON.parse(live.stdout) as { issues: IssueView[] }).issues;
    expect(view(fromCluster)).toEqual(view(service));
    // What each message says after its usage figures (the recommendation, the HPA, the LimitRange cap; the
    // `*-missing` LimitRange default) is the same in all three.
    // The usage a `*-missing` recommendation comes from is a usage figure too: its value and sample count differ
    // (one sample per PodMetrics in the CLI, the history's p95 in the service), what it recommends does not.
    const usage = / from (its|twice its) (p95|peak) usage of \S+ over \d+ samples?/;
    const context = (issues: IssueView[]) =>
      issues
        .map((i) => `${i.rule} ${i.namespace}/${i.name}: ${i.message.replace(/^.*?(; |$)/, '')}`)
        .map((line) => line.replace(usage, ' from $1 $2 usage'))
        .sort();
    expect(context(fromCluster)).toEqual(context(service));
    expect(context(fromFile)).toEqual(context(service));
  });

  it('names the LimitRange and the value it sets, the HPA and its target, and the cap', async () => {
    const issues = await serviceIssues();
    const find = (rule: string, name: string) => issues.find((i) => i.rule === rule && i.name === name);
    expect(find('cpu-request-missing', 'plain')?.message).toContain(
      'LimitRange "defaults" sets it to 1 (defaultRequest.cpu) at admission',
    );
    expect(find('memory-limit-missing', 'plain')?.message).toContain('sets it to 2Gi (default.memory)');
    expect(find('cpu-overprovisioned', 'plain')?.overProvisioning?.requestDefaultedBy).toBe('defaults');
    expect(find('cpu-overprovisioned', 'web')?.overProvisioning?.hpa).toEqual({
      name: 'web',
      metric: 'Resource',
      target: 'Utilization',
      averageUtilization: 70,
    });
    expect(find('cpu-overprovisioned', 'web')?.message).toContain('HPA "web" scales it on cpu at 70% utilization');
    expect(find('cpu-overprovisioned', 'api')?.message).toContain(
      'no cut: HPA "api" scales it on cpu at an AverageValue of 200m',
    );
    expect(find('cpu-overprovisioned', 'worker')?.overProvisioning?.cappedBy).toEqual({ limitRange: 'caps', max: 300 });
    expect(find('cpu-overprovisioned', 'worker')?.message).toContain('(capped at the max 300m of LimitRange "caps")');
  });

  it('reads them with the reader paging (limit) as the other kinds, GET only', () => {
    for (const p of ['/api/v1/limitranges', '/apis/autoscaling/v2/horizontalpodautoscalers']) {
      const lists = sim.requests.filter((r) => r.path === p);
      expect(lists.length).toBeGreaterThanOrEqual(1);
      expect(lists.every((r) => r.method === 'GET' && r.status === 200 && r.query.limit !== undefined)).toBe(true);
    }
  });

  it('a 403 on the HPAs is a warning naming the resource and the RBAC it needs; the scan still succeeds', async () => {
    const before = await waitForScan(agent.api, {});
    const fault = sim.inject({ path: '/apis/autoscaling/v2/horizontalpodautoscalers', status: 403 });
    try {
      expect((await fetch(`${agent.api}/api/v1/scans`, { method: 'POST' })).status).toBeLessThan(300);
      const scan = await waitForScan(agent.api, { not: before.id });
      expect(scan).toMatchObject({ status: 'succeeded', errors: [] });
      const warning = scan.warnings.find((w) => w.code === 'context-unreadable');
      expect(warning?.message).toMatch(
        /^autoscaling\/horizontalpodautoscalers: HTTP 403 .*resources \["horizontalpodautoscalers"\]/,
      );
      expect(warning?.message).toContain('recommendations do not account for HPAs this scan');
      const issues = await serviceIssues();
      // Without the HPA, web's CPU is cut to the bare p95; the LimitRange still applies.
      const web = issues.find((i) => i.rule === 'cpu-overprovisioned' && i.name === 'web');
      expect(web?.overProvisioning?.recommended).toBe(100);
      expect(issues.find((i) => i.rule === 'cpu-request-missing' && i.name === 'plain')?.severity).toBe('info');
    } finally {
      sim.removeFault(fault);
    }
  });

  it('a malformed LimitRange from the API is a warning naming it and its field, not applied; the rest stands', async () => {
    const before = await waitForScan(agent.api, {});
    sim.upsert({
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'broken', namespace: 'shop' },
      spec: { limits: [{ type: 'Container', default: { cpu: 'lots' } }] },
    });
    try {
      expect((await fetch(`${agent.api}/api/v1/scans`, { method: 'POST' })).status).toBeLessThan(300);
      const scan = await waitForScan(agent.api, { not: before.id });
      expect(scan).toMatchObject({ status: 'succeeded', errors: [] });
      const warning = scan.warnings.find((w) => w.code === 'unreadable-object');
      expect(warning?.message).toMatch(
        /^limitranges: LimitRange shop\/broken: spec\.limits\[0\]\.default\.cpu: invalid quantity "lots".*; not applied$/,
      );
      const issues = await serviceIssues();
      expect(issues.find((i) => i.rule === 'cpu-request-missing' && i.name === 'plain')?.severity).toBe('info');
    } finally {
      sim.remove({ apiVersion: 'v1', kind: 'LimitRange' }, 'shop', 'broken');
    }
  });
});
