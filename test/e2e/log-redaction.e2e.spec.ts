import path from 'node:path';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { workloadObjects } from './fixtures';
import { getJson, startAgent, tempDir, waitFor, type AgentProcess, type ScanJson } from './harness';

/**
 * A scan started by POST must not log the caller's request, and a line logged inside a request (an access
 * review that failed) must not carry a credential-bearing header. The agent runs with
 * `server.auth.mode: kubernetes`, so the POST itself needs a bearer token.
 */
const WRITER = 'writer-token-5d2e-never-logged';
const SECRETS = {
  'Proxy-Authorization': 'Basic cHJveHktc2VjcmV0LW5ldmVyLWxvZ2dlZA==',
  'X-Auth-Token': 'x-auth-token-value-never-logged',
  Cookie: 'session=cookie-value-never-logged',
  'X-Api-Key': 'api-key-value-never-logged',
  'X-Vault-Token': 'vault-token-value-never-logged',
};
const asWriter = { Authorization: `Bearer ${WRITER}` };
let sim: Simulator;
let agent: AgentProcess;

beforeAll(async () => {
  sim = await startSimulator({
    token: 'agent-sa-token',
    objects: workloadObjects(2),
    reviews: {
      users: { [WRITER]: { username: 'system:serviceaccount:ops:trigger' } },
      allowed: (user, p) => user.username.endsWith(':trigger') && p.startsWith('/api/v1/'),
    },
  });
  const kubeconfig = path.join(tempDir('opsagent-logs-'), 'config');
  sim.writeKubeconfig(kubeconfig);
  agent = await startAgent({
    kubeconfig,
    // No startup scan: the scan the POST starts is the first, so it logs every issue as new.
    config: { schedule: '0 0 1 1 *', runOnStartup: false, kubernetes: { retries: 0 } },
    authMode: 'kubernetes',
  });
  await waitFor(async () => ((await fetch(`${agent.api}/health`)).status === 200 ? true : undefined), 20_000);
}, 30_000);

afterAll(async () => {
  agent.child.kill('SIGTERM');
  await agent.exited;
  await sim.close();
});

const lines = () =>
  agent
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('logs of requests', () => {
  it('logs no request on the lines of a scan started by POST, and no header value anywhere', async () => {
    const started = await getJson<{ id: string }>(`${agent.api}/api/v1/scans`, {
      method: 'POST',
      headers: { ...asWriter, ...SECRETS },
    });
    expect(started.status).toBe(202);
    const scan = await waitFor(async () => {
      const latest = await getJson<ScanJson>(`${agent.api}/api/v1/scans/latest`, { headers: asWriter });
      return latest.status === 200 && latest.body.id === started.body.id ? latest.body : undefined;
    }, 20_000);
    expect(scan.counts.new).toBeGreaterThan(0);
    await waitFor(async () => (lines().some((l) => l.event === 'scan') ? true : undefined), 5_000, 'scan line');

    const scanLines = lines().filter((l) => l.event === 'scan' || l.event === 'issue-new');
    expect(scanLines.filter((l) => l.event === 'issue-new')).toHaveLength(scan.counts.new);
    for (const line of scanLines) {
      expect(line).not.toHaveProperty('req');
      expect(line).not.toHaveProperty('res');
    }
    const all = agent.stdout() + agent.stderr();
    for (const value of [WRITER, ...Object.values(SECRETS)]) expect(all).not.toContain(value);
  });

  it('redacts credential-bearing headers, whatever their case, on a line logged inside a request', async () => {
    const down = sim.inject({ path: '/apis/authentication.k8s.io/v1/tokenreviews', status: 500 });
    const token = 'uncached-token-81c0-never-logged';
    try {
      const res = await fetch(`${agent.api}/api/v1/summary`, {
        headers: { authorization: `Bearer ${token}`, ...SECRETS, 'X-Request-Id': 'req-visible-42' },
      });
      expect(res.status).toBe(503);
    } finally {
      sim.removeFault(down);
    }
    const failed = await waitFor(
      async () => lines().find((l) => l.event === 'auth-review-failed'),
      5_000,
      'the auth-review-failed line',
    );
    const headers = (failed.req as { headers: Record<string, string> }).headers;
    expect(headers).toMatchObject({
      authorization: '[redacted]',
      'proxy-authorization': '[redacted]',
      'x-auth-token': '[redacted]',
      cookie: '[redacted]',
      'x-api-key': '[redacted]',
      'x-vault-token': '[redacted]',
      // Headers that carry no credential stay readable.
      'x-request-id': 'req-visible-42',
    });
    const all = agent.stdout() + agent.stderr();
    for (const value of [token, ...Object.values(SECRETS)]) expect(all).not.toContain(value);
  });
});
