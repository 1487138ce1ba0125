import fs from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { ensurePromtool, promtool, PROMTOOL_SETUP_TIMEOUT_MS } from '../chart/promtool';
import { ROOT, getJson, runCli, startAgent, tempDir, waitForReady, waitForScan, type AgentProcess } from './harness';

/**
 * The cost of over-provisioning (issue 13 §5) in the service: the built agent reads test/fixtures/cost from the
 * simulator over HTTP and prices the waste as `opsagent scan` of the same file does (a Deployment's replicas, a
 * DaemonSet's observed Pods) and as `opsagent scan` without a path reading the simulator live, sums it in
 * GET /api/v1/summary and exports it as opsagent_waste_* gauges.
 */
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'cost');
const MI = 2 ** 20;

interface IssueView {
  rule: string;
  namespace: string;
  kind: string;
  name: string;
  container: string;
  overProvisioning?: Record<string, unknown>;
}

interface Waste {
  cpuCores: number;
  memoryBytes: number;
  monthlyCost: number;
}

let sim: Simulator;
let agent: AgentProcess;
let kubeconfig: string;

beforeAll(async () => {
  ensurePromtool();
  const objects = parseAllDocuments(fs.readFileSync(path.join(FIXTURE, 'cluster.yaml'), 'utf8')).map(
    (d) => d.toJS() as Record<string, unknown>,
  );
  sim = await startSimulator({ objects });
  kubeconfig = path.join(tempDir('opsagent-cost-'), 'config');
  sim.writeKubeconfig(kubeconfig);
  const config = parse(fs.readFileSync(path.join(FIXTURE, 'config.yaml'), 'utf8')) as Record<string, unknown>;
  agent = await startAgent({ kubeconfig, config: { ...config, schedule: '0 0 1 1 *' } });
  await waitForReady(agent);
}, PROMTOOL_SETUP_TIMEOUT_MS + 90_000);

afterAll(async () => {
  if (agent && agent.child.exitCode === null) {
    agent.child.kill('SIGTERM');
    await agent.exited;
  }
  await sim?.close();
});

const config = path.join(FIXTURE, 'config.yaml');
const cliScan = () => runCli(['scan', path.join(FIXTURE, 'cluster.yaml'), '--config', config, '--output', 'json']);
/** `opsagent scan` without a path: the kubeconfig's cluster (the simulator), read by the service's reader. */
const cliLive = () => runCli(['scan', '--config', config, '--output', 'json'], { KUBECONFIG: kubeconfig });

/** `rule ns/kind/name` → the money figures of each over-provisioning issue. */
const costs = (issues: IssueView[]) =>
  Object.fromEntries(
    issues
      .filter((i) => i.overProvisioning)
      .map((i) => {
        const { wasteTotal, observedPods, wasteMonthlyCost, currency } = i.overProvisioning!;
        return [
          `${i.rule} ${i.namespace}/${i.kind}/${i.name}`,
          { wasteTotal, observedPods, wasteMonthlyCost, currency },
        ];
      }),
  );

const metricsText = async () => (await fetch(`${agent.metrics}/metrics`)).text();
const gauge = (text: string, name: string) =>
  Object.fromEntries(
    [...text.matchAll(new RegExp(`^${name}\\{namespace="([^"]+)"\\} (\\S+)$`, 'gm'))].map((m) => [m[1], Number(m[2])]),
  );

describe('the cost of over-provisioning in the service', () => {
  it('prices each finding as the CLI does: replicas, a DaemonSet by its observed Pods, in the configured currency', async () => {
    const scan = await waitForScan(agent.api, {});
    expect(scan.status).toBe('succeeded');
    const { body } = await getJson<{ items: IssueView[] }>(`${agent.api}/api/v1/issues?limit=1000`);
    const service = costs(body.items);
    expect(service).toEqual({
      'cpu-overprovisioned shop/Deployment/web': { wasteTotal: 1800, wasteMonthlyCost: 52.56, currency: 'EUR' },
      'memory-overprovisioned shop/Deployment/web': { wasteTotal: 3506 * MI, wasteMonthlyCost: 12.5, currency: 'EUR' },
      'cpu-overprovisioned infra/DaemonSet/node-agent': {
        wasteTotal: 1440,
        observedPods: 3,
        wasteMonthlyCost: 42.05,
        currency: 'EUR',
      },
      'memory-overprovisioned infra/DaemonSet/node-agent': {
        wasteTotal: 1314 * MI,
        observedPods: 3,
        wasteMonthlyCost: 4.68,
        currency: 'EUR',
      },
    });
    const web = body.items.find((i) => i.name === 'web' && i.rule === 'cpu-overprovisioned') as unknown as {
      message: string;
    };
    expect(web.message).toMatch(/, worth EUR 52\.56 a month$/);
    const cli = await cliScan();
    expect(cli).toMatchObject({ code: 0, stderr: '' });
    expect(costs((JSON.parse(cli.stdout) as { issues: IssueView[] }).issues)).toEqual(service);
    const live = await cliLive();
    expect(live).toMatchObject({ code: 0, stderr: '' });
    expect(costs((JSON.parse(live.stdout) as { issues: IssueView[] }).issues)).toEqual(service);
  });

  it('sums the waste per namespace and in total in GET /api/v1/summary: cores, bytes and money', async () => {
    const { status, body } = await getJson<{
      waste: { currency: string; total: Waste; byNamespace: Record<string, Waste> };
    }>(`${agent.api}/api/v1/summary`);
    expect(status).toBe(200);
    expect(body.waste).toEqual({
      currency: 'EUR',
      total: { cpuCores: 3.24, memoryBytes: 4820 * MI, monthlyCost: 111.79 },
      byNamespace: {
        infra: { cpuCores: 1.44, memoryBytes: 1314 * MI, monthlyCost: 46.73 },
        shop: { cpuCores: 1.8, memoryBytes: 3506 * MI, monthlyCost: 65.06 },
      },
    });
  });

  it('describes the summary and its waste in the OpenAPI document', async () => {
    const { body } = await getJson<{
      paths: Record<
        string,
        { get: { responses: Record<string, { content: Record<string, { schema: { $ref: string } }> }> } }
      >;
      components: { schemas: Record<string, { properties: Record<string, unknown>; required?: string[] }> };
    }>(`${agent.api}/api/docs-json`);
    const ref = body.paths['/api/v1/summary'].get.responses['200'].content['application/json'].schema.$ref;
    expect(ref).toBe('#/components/schemas/SummaryResponse');
    const { schemas } = body.components;
    expect(Object.keys(schemas.SummaryResponse.properties)).toEqual(
      expect.arrayContaining(['total', 'bySeverity', 'byRule', 'byNamespace', 'waste', 'lastScan']),
    );
    expect(Object.keys(schemas.WasteSummaryResponse.properties).sort()).toEqual(['byNamespace', 'currency', 'total']);
    expect(Object.keys(schemas.WasteResponse.properties).sort()).toEqual(['cpuCores', 'memoryBytes', 'monthlyCost']);
    expect(Object.keys(schemas.OverProvisioningResponse.properties)).toEqual(
      expect.arrayContaining(['wasteMonthlyCost', 'currency', 'observedPods']),
    );
  });

  it('exports the waste per namespace as gauges that pass promtool check metrics', async () => {
    const text = await metricsText();
    expect(gauge(text, 'opsagent_waste_cpu_cores')).toEqual({ infra: 1.44, shop: 1.8 });
    expect(gauge(text, 'opsagent_waste_memory_bytes')).toEqual({ infra: 1314 * MI, shop: 3506 * MI });
    expect(gauge(text, 'opsagent_waste_monthly_cost')).toEqual({ infra: 46.73, shop: 65.06 });
    expect(text).toContain('# TYPE opsagent_waste_monthly_cost gauge');
    const result = promtool(['check', 'metrics'], text);
    expect({ code: result.code, output: `${result.stdout}${result.stderr}` }).toEqual({ code: 0, output: '' });
  });

  it('drops the series of a namespace whose over-provisioning is gone at the next scan', async () => {
    expect(sim.remove('apps/v1/DaemonSet', 'infra', 'node-agent')).toBe(true);
    const started = await getJson<{ id: string }>(`${agent.api}/api/v1/scans`, { method: 'POST' });
    expect(started.status).toBe(202);
    const scan = await waitForScan(agent.api, { id: started.body.id });
    expect(scan.status).toBe('succeeded');
    const text = await metricsText();
    expect(gauge(text, 'opsagent_waste_cpu_cores')).toEqual({ shop: 1.8 });
    expect(gauge(text, 'opsagent_waste_memory_bytes')).toEqual({ shop: 3506 * MI });
    expect(gauge(text, 'opsagent_waste_monthly_cost')).toEqual({ shop: 65.06 });
    const { body } = await getJson<{ waste: { total: Waste; byNamespace: Record<string, Waste> } }>(
      `${agent.api}/api/v1/summary`,
    );
    expect(Object.keys(body.waste.byNamespace)).toEqual(['shop']);
    expect(body.waste.total).toEqual({ cpuCores: 1.8, memoryBytes: 3506 * MI, monthlyCost: 65.06 });
  });
});
