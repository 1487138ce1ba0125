import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { ROOT, getJson, runCli, startAgent, tempDir, waitForReady, waitForScan, type AgentProcess } from './harness';

/**
 * One usage pipeline (issue 12 §5): `opsagent scan` of a file and the service reading the same objects from the
 * simulator attribute PodMetrics to workloads the same way, through each Pod's controller chain, and so give the
 * same over-provisioning findings. The PodMetrics carry no labels; web-canary's Pods also match web's selector.
 */
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'usage-chain');

/** The answer both must give: `rule namespace/kind/name/container`. */
const EXPECTED = [
  'cpu-overprovisioned shop/CronJob/report/app',
  'cpu-overprovisioned shop/Deployment/web/app',
  'memory-overprovisioned shop/CronJob/report/app',
  'memory-overprovisioned shop/Deployment/web/app',
  'memory-overprovisioned shop/StatefulSet/db/app',
];

interface IssueView {
  rule: string;
  namespace: string;
  kind: string;
  name: string;
  container: string;
  overProvisioning?: { samples: number; usage: number };
}

const key = (i: IssueView) => `${i.rule} ${i.namespace}/${i.kind}/${i.name}/${i.container}`;
const overProvisioned = (issues: IssueView[]) =>
  issues
    .filter((i) => i.overProvisioning)
    .map(key)
    .sort();

let sim: Simulator;
let agent: AgentProcess;

beforeAll(async () => {
  const text = fs.readFileSync(path.join(FIXTURE, 'cluster.yaml'), 'utf8');
  const objects = parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);
  sim = await startSimulator({ objects });
  const kubeconfig = path.join(tempDir('opsagent-usage-chain-'), 'config');
  sim.writeKubeconfig(kubeconfig);
  agent = await startAgent({
    kubeconfig,
    config: { schedule: '0 0 1 1 *', overProvisioning: { minSamples: 1 } },
  });
  await waitForReady(agent);
}, 90_000);

afterAll(async () => {
  if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
  await sim?.close();
});

const cliScan = () =>
  runCli([
    'scan',
    path.join(FIXTURE, 'cluster.yaml'),
    '--config',
    path.join(FIXTURE, 'config.yaml'),
    '--output',
    'json',
  ]);

describe('one usage pipeline for the CLI and the service', () => {
  it('gives the same over-provisioning findings from the file and from the cluster', async () => {
    const scan = await waitForScan(agent.api, {});
    expect(scan.status).toBe('succeeded');
    const { status, body } = await getJson<{ items: IssueView[] }>(`${agent.api}/api/v1/issues?limit=1000`);
    expect(status).toBe(200);
    const service = overProvisioned(body.items);

    const cli = await cliScan();
    expect(cli).toMatchObject({ code: 0, stderr: '' });
    const fromFile = overProvisioned((JSON.parse(cli.stdout) as { issues: IssueView[] }).issues);

    expect(service).toEqual(EXPECTED);
    expect(fromFile).toEqual(service);
    // The service keeps one peak per read, the busiest of web's two Pods: 50m, not web-canary's 900m (read from
    // the history's CPU histogram, within its 2.5 % bound).
    const web = body.items.find((i) => i.name === 'web' && i.rule === 'cpu-overprovisioned');
    expect(web?.overProvisioning).toMatchObject({ samples: 1 });
    expect(web?.overProvisioning?.usage).toBeGreaterThanOrEqual(50 / 1.025);
    expect(web?.overProvisioning?.usage).toBeLessThanOrEqual(50 * 1.025);
  });
});
