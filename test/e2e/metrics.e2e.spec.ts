/**
 * The agent's `/metrics` as Prometheus' own tools read it: the built agent (`serve`) scans the Kubernetes API
 * simulator over HTTP, and the whole exposition goes through the real `promtool check metrics`. Run after
 * `npm run build` (npm test does it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { ensurePromtool, promtool, PROMTOOL_SETUP_TIMEOUT_MS } from '../chart/promtool';
import { workloadObjects } from './fixtures';
import { getJson, ROOT, startAgent, tempDir, waitFor, waitForScan, type AgentProcess, type ScanJson } from './harness';

const packageVersion = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

let sim: Simulator;
let agent: AgentProcess;
let first: ScanJson;

beforeAll(async () => {
  ensurePromtool();
  sim = await startSimulator({ token: 'metrics-e2e-token', objects: workloadObjects(3) });
  const kubeconfig = path.join(tempDir('opsagent-metrics-'), 'config');
  sim.writeKubeconfig(kubeconfig);
  agent = await startAgent({ kubeconfig, config: { schedule: '0 0 1 1 *', kubernetes: { retries: 0 } } });
  await waitFor(
    async () => ((await fetch(`${agent.api}/health/ready`)).status === 200 ? true : undefined),
    60_000,
    'the agent ready',
  );
  first = await waitForScan(agent.api, {});
}, PROMTOOL_SETUP_TIMEOUT_MS + 30_000);

afterAll(async () => {
  if (agent && agent.child.exitCode === null) {
    agent.child.kill('SIGTERM');
    await agent.exited;
  }
  await sim?.close();
});

const metricsText = async () => (await fetch(`${agent.metrics}/metrics`)).text();

describe('/metrics of a running agent', () => {
  it('passes `promtool check metrics` as a whole, with nothing to report', async () => {
    expect(first.status).toBe('succeeded');
    const result = promtool(['check', 'metrics'], await metricsText());
    expect({ code: result.code, output: `${result.stdout}${result.stderr}` }).toEqual({ code: 0, output: '' });
  });

  it('exports opsagent_build_info with the version and the Node.js version, set to 1', async () => {
    const text = await metricsText();
    expect(text).toContain('# TYPE opsagent_build_info gauge');
    const lines = text.split('\n').filter((line) => line.startsWith('opsagent_build_info{'));
    expect(lines).toEqual([`opsagent_build_info{version="${packageVersion}",node_version="${process.version}"} 1`]);
  });

  it("keeps prom-client's per-type nodejs_active_* gauges, without their *_total gauges", async () => {
    const text = await metricsText();
    expect(text).toMatch(/^nodejs_active_handles\{type="[A-Za-z]+"\} \d+$/m);
    expect(text).not.toMatch(/^nodejs_active_\w+_total/m);
  });
});

describe('opsagent_issues_found_total', () => {
  const found = async () => {
    const text = await metricsText();
    return [...text.matchAll(/^opsagent_issues_found_total\{rule="([^"]+)",severity="([^"]+)"\} (\d+)$/gm)].reduce(
      (sum, m) => sum + Number(m[3]),
      0,
    );
  };
  const scanNow = async () => {
    const { status, body } = await getJson<{ id: string }>(`${agent.api}/api/v1/scans`, { method: 'POST' });
    expect(status).toBe(202);
    return waitForScan(agent.api, { id: body.id });
  };

  it('counts each issue once, when it is first found: scans of an unchanged cluster leave it as it was', async () => {
    expect(await found()).toBe(first.counts.issues);
    const again = await scanNow();
    expect(again.counts).toMatchObject({ new: 0, issues: first.counts.issues });
    await scanNow();
    expect(await found()).toBe(first.counts.issues);
  });

  it('adds 1 for a new issue', async () => {
    const before = await found();
    // Requests and a memory limit, no CPU limit: one new issue (cpu-limit-missing).
    sim.upsert({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'newcomer', namespace: 'team-1' },
      spec: {
        selector: { matchLabels: { app: 'newcomer' } },
        template: {
          metadata: { labels: { app: 'newcomer' } },
          spec: {
            containers: [
              {
                name: 'app',
                image: 'x',
                resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '64Mi' } },
              },
            ],
          },
        },
      },
    });
    const scan = await scanNow();
    expect(scan.counts.new).toBe(1);
    expect(await found()).toBe(before + 1);
    const text = await metricsText();
    expect(text).toMatch(/^opsagent_issues_found_total\{rule="cpu-limit-missing",severity="low"\} \d+$/m);
  });
});
