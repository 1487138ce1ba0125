import path from 'node:path';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { workloadObjects } from './fixtures';
import { getJson, startAgent, tempDir, waitFor, waitForScan, type AgentProcess } from './harness';

/** `scanMinInterval`: scans started by POST /api/v1/scans are at least that far from the end of the last scan. */
let sim: Simulator;
const agents: AgentProcess[] = [];

beforeAll(async () => {
  sim = await startSimulator({ token: 'interval-token', objects: workloadObjects(2) });
});

afterAll(async () => {
  for (const agent of agents) agent.child.kill('SIGTERM');
  await Promise.all(agents.map((a) => a.exited));
  await sim.close();
});

async function agentWith(config: Record<string, unknown>): Promise<AgentProcess> {
  const kubeconfig = path.join(tempDir('opsagent-interval-'), 'config');
  sim.writeKubeconfig(kubeconfig);
  const agent = await startAgent({ kubeconfig, config: { schedule: '0 0 1 1 *', ...config } });
  agents.push(agent);
  await waitForScan(agent.api, {});
  return agent;
}

type ErrorJson = { statusCode: number; error: string; message: string };
const post = (agent: AgentProcess) => fetch(`${agent.api}/api/v1/scans`, { method: 'POST' });

describe('scanMinInterval', () => {
  it('refuses a POST 30 s (the default) after the startup scan with 429, Retry-After and the JSON error', async () => {
    const agent = await agentWith({ scanMinInterval: null });
    const res = await post(agent);
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(20);
    expect(retryAfter).toBeLessThanOrEqual(30);
    const body = (await res.json()) as ErrorJson;
    expect(body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect(body.message).toMatch(/scanMinInterval \(30s\)/);
    // Refused scans start nothing.
    const latest = await getJson<{ trigger: string }>(`${agent.api}/api/v1/scans/latest`);
    expect(latest.body.trigger).toBe('startup');
  }, 30_000);

  it('accepts a POST once the gap after the end of the last scan has passed, then refuses the next', async () => {
    const agent = await agentWith({ scanMinInterval: '2s' });
    const refused = await post(agent);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(2);
    // Polling until the gap has passed: every answer before is a 429, none starts a scan.
    const accepted = await waitFor(
      async () => {
        const res = await post(agent);
        if (res.status === 429) return undefined;
        return { status: res.status, body: (await res.json()) as { id: string } };
      },
      10_000,
      'a POST after scanMinInterval',
    );
    expect(accepted.status).toBe(202);
    const scan = await waitForScan(agent.api, { id: accepted.body.id });
    expect(scan.status).toBe('succeeded');
    expect((await post(agent)).status).toBe(429);
  }, 30_000);

  it('shows the 429 and its Retry-After in the OpenAPI document', async () => {
    const agent = agents[0];
    const doc = await getJson<{ paths: Record<string, { post?: { responses: Record<string, unknown> } }> }>(
      `${agent.api}/api/docs-json`,
    );
    expect(doc.body.paths['/api/v1/scans'].post?.responses['429']).toMatchObject({
      headers: { 'Retry-After': { schema: { type: 'integer' } } },
    });
  });
});
