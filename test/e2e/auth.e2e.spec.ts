import path from 'node:path';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { workloadObjects } from './fixtures';
import { getJson, startAgent, tempDir, waitFor, type AgentProcess } from './harness';

/** `server.auth.mode: kubernetes` against the simulator's TokenReview and SubjectAccessReview. */
const READER = 'reader-token-3c1f';
const NOBODY = 'nobody-token-77aa';
let sim: Simulator;
let agent: AgentProcess;

beforeAll(async () => {
  sim = await startSimulator({
    token: 'agent-sa-token',
    objects: workloadObjects(2),
    reviews: {
      users: {
        [READER]: { username: 'system:serviceaccount:apps:dashboard', groups: ['system:serviceaccounts'] },
        [NOBODY]: { username: 'nobody' },
      },
      allowed: (user, p, verb) => user.username.endsWith(':dashboard') && p.startsWith('/api/v1/') && verb === 'get',
    },
  });
  const kubeconfig = path.join(tempDir('opsagent-auth-'), 'config');
  sim.writeKubeconfig(kubeconfig);
  agent = await startAgent({
    kubeconfig,
    config: { schedule: '0 0 1 1 *', kubernetes: { retries: 0 } },
    authMode: 'kubernetes',
  });
  await waitFor(async () => ((await fetch(`${agent.api}/health/ready`)).status === 200 ? true : undefined), 20_000);
}, 30_000);

afterAll(async () => {
  agent.child.kill('SIGTERM');
  await agent.exited;
  await sim.close();
});

const as = (token?: string, method = 'GET') => ({
  method,
  headers: token ? { authorization: `Bearer ${token}` } : undefined,
});
const reviews = () => sim.requests.filter((r) => r.method === 'POST');

describe('server.auth.mode: kubernetes', () => {
  it('keeps the health probes open', async () => {
    expect((await fetch(`${agent.api}/health`)).status).toBe(200);
    expect((await fetch(`${agent.api}/health/ready`)).status).toBe(200);
  });

  it('answers 401 JSON without a token or with an invalid one', async () => {
    const none = await getJson<{ statusCode: number; message: string }>(`${agent.api}/api/v1/issues`, as());
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    expect(none.body.message).toMatch(/bearer token is required/);
    const bad = await getJson<{ statusCode: number }>(`${agent.api}/api/v1/issues`, as('forged'));
    expect(bad.status).toBe(401);
  });

  it('answers 403 JSON when the SubjectAccessReview denies the path', async () => {
    const denied = await getJson<{ statusCode: number; message: string }>(`${agent.api}/api/v1/issues`, as(NOBODY));
    expect(denied.status).toBe(403);
    expect(denied.body.message).toBe('nobody may not get /api/v1/issues');
  });

  it('lets an allowed caller read, and checks the verb', async () => {
    const ok = await getJson<{ total: number }>(`${agent.api}/api/v1/issues`, as(READER));
    expect(ok.status).toBe(200);
    expect(ok.body.total).toBeGreaterThan(0);
    const post = await getJson<{ message: string }>(`${agent.api}/api/v1/scans`, as(READER, 'POST'));
    expect(post.status).toBe(403);
    expect(post.body.message).toMatch(/may not post \/api\/v1\/scans/);
  });

  it('sends the reviews the real API expects and caches the result', async () => {
    sim.clearLog();
    await fetch(`${agent.api}/api/v1/summary`, as(READER));
    const sent = reviews().map((r) => r.path);
    expect(sent).toEqual([
      '/apis/authentication.k8s.io/v1/tokenreviews',
      '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    ]);
    await fetch(`${agent.api}/api/v1/summary`, as(READER));
    expect(reviews()).toHaveLength(2);
  });

  it('answers 503 JSON when the reviews cannot be made, and never caches that', async () => {
    const down = sim.inject({ path: '/apis/authentication.k8s.io/v1/tokenreviews', status: 500 });
    try {
      const res = await getJson<{ statusCode: number; message: string }>(
        `${agent.api}/api/v1/scans/latest`,
        as(READER),
      );
      expect(res.status).toBe(503);
      expect(res.body.message).toMatch(/cannot verify the caller/);
    } finally {
      sim.removeFault(down);
    }
    expect((await fetch(`${agent.api}/api/v1/scans/latest`, as(READER))).status).toBe(200);
  });

  it('never logs a caller token', () => {
    const all = agent.stdout() + agent.stderr();
    expect(all).not.toContain(READER);
    expect(all).not.toContain(NOBODY);
  });
});
