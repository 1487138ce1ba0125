import path from 'node:path';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { workloadObjects } from './fixtures';
import { getJson, startAgent, tempDir, waitFor, type AgentProcess } from './harness';

/** `server.auth.mode: kubernetes` against the simulator's TokenReview and SubjectAccessReview. */
const READER = 'reader-token-3c1f';
const NOBODY = 'nobody-token-77aa';
const REVIEW_TIMEOUT_MS = 1_000;
const REVIEWS_PER_SECOND = 20;
/** What the README promises a caller: an answer before a client's usual 5 s timeout. */
const CLIENT_TIMEOUT_MS = 5_000;
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
      allowed: (user, p, verb) =>
        user.username.endsWith(':dashboard') &&
        (p.startsWith('/api/v1/') || p.startsWith('/api/docs')) &&
        verb === 'get',
    },
  });
  const kubeconfig = path.join(tempDir('opsagent-auth-'), 'config');
  sim.writeKubeconfig(kubeconfig);
  agent = await startAgent({
    kubeconfig,
    config: {
      schedule: '0 0 1 1 *',
      kubernetes: { retries: 0 },
      server: {
        // Load shedding out of the way: the flood below is about the review budget.
        shedAfterBusy: '10s',
        auth: { reviewTimeout: `${REVIEW_TIMEOUT_MS}ms`, reviewsPerSecond: REVIEWS_PER_SECOND },
      },
    },
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

  it('needs a token for the OpenAPI page and document too', async () => {
    for (const p of ['/api/docs', '/api/docs/', '/api/docs-json', '/api/docs/swagger-ui-init.js']) {
      const none = await getJson<{ statusCode: number; message: string }>(`${agent.api}${p}`, as());
      expect([p, none.status]).toEqual([p, 401]);
      expect(none.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      expect((await fetch(`${agent.api}${p}`, as('forged'))).status).toBe(401);
    }
    expect((await fetch(`${agent.api}/api/docs-json`, as(NOBODY))).status).toBe(403);
    const doc = await getJson<{ openapi: string }>(`${agent.api}/api/docs-json`, as(READER));
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    const page = await fetch(`${agent.api}/api/docs`, as(READER));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger');
  });

  it('answers 503 JSON when a TokenReview never answers, within server.auth.reviewTimeout', async () => {
    const hang = sim.inject({ path: '/apis/authentication.k8s.io/v1/tokenreviews', hang: true });
    try {
      const answers = await Promise.all(
        ['hang-1', 'hang-2', 'hang-3', 'hang-4'].map((token) =>
          getJson<{ statusCode: number; message: string }>(`${agent.api}/api/v1/summary`, {
            ...as(token),
            signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
          }),
        ),
      );
      for (const res of answers) {
        expect(res.status).toBe(503);
        expect(res.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
        expect(res.body.message).toMatch(/cannot verify the caller/);
      }
    } finally {
      sim.removeFault(hang);
    }
    const timedOut = () =>
      agent
        .stdout()
        .split('\n')
        .filter((l) => l.includes('"auth-review-failed"') && l.includes('server.auth.reviewTimeout')).length;
    await waitFor(async () => (timedOut() >= 4 ? true : undefined), 5_000, 'four review time-outs logged');
  });

  it('shares one review among concurrent requests and caches a denial', async () => {
    sim.clearLog();
    const statuses = await Promise.all(
      Array.from({ length: 5 }, async () => (await fetch(`${agent.api}/api/v1/issues`, as('bad-twice'))).status),
    );
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    expect((await fetch(`${agent.api}/api/v1/issues`, as('bad-twice'))).status).toBe(401);
    expect(reviews().map((r) => r.path)).toEqual(['/apis/authentication.k8s.io/v1/tokenreviews']);
  });

  it('bounds the reviews a flood of new tokens starts: the excess gets 503 with Retry-After', async () => {
    sim.clearLog();
    const started = performance.now();
    const flood = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const res = await fetch(`${agent.api}/api/v1/issues`, {
          ...as(`random-${i}-${Math.random()}`),
          signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
        });
        return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as unknown };
      }),
    );
    const refused = flood.filter((r) => r.status === 503);
    const reviewed = flood.filter((r) => r.status === 401);
    expect(refused.length + reviewed.length).toBe(100);
    // The burst (one second's worth), and what refills while the flood is answered.
    expect(reviewed.length).toBeGreaterThanOrEqual(1);
    // The bucket refills at REVIEWS_PER_SECOND while the flood lasts: on a slow machine it lasts longer.
    const seconds = (performance.now() - started) / 1000;
    expect(reviewed.length).toBeLessThanOrEqual(REVIEWS_PER_SECOND + Math.ceil(seconds * REVIEWS_PER_SECOND) + 1);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(reviews().length).toBe(reviewed.length);
    for (const r of refused) {
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(r.body).toMatchObject({ statusCode: 503, message: expect.stringMatching(/reviewsPerSecond/) });
    }
    // A caller whose review is cached is not refused.
    expect((await fetch(`${agent.api}/api/v1/issues`, as(READER))).status).toBe(200);
  });

  it('never logs a caller token', () => {
    const all = agent.stdout() + agent.stderr();
    expect(all).not.toContain(READER);
    expect(all).not.toContain(NOBODY);
  });
});
