import path from 'node:path';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { workloadObjects } from './fixtures';
import { startAgent, tempDir, waitForScan, type AgentProcess } from './harness';

/**
 * Load shedding (`server.shedAfterBusy`): many concurrent requests for the heaviest page must not starve the
 * liveness probe. Statuses are asserted, not times; the only bound is the chart's 5 s probe timeout.
 */
const PROBE_TIMEOUT_MS = 5_000;
const CONCURRENT = 300;
let sim: Simulator;
let agent: AgentProcess;

beforeAll(async () => {
  sim = await startSimulator({ token: 'load-token', objects: workloadObjects(120) });
  const kubeconfig = path.join(tempDir('opsagent-load-'), 'config');
  sim.writeKubeconfig(kubeconfig);
  agent = await startAgent({
    kubeconfig,
    config: { schedule: '0 0 1 1 *', server: { shedAfterBusy: '20ms' } },
  });
  const scan = await waitForScan(agent.api, {});
  expect(scan.counts.issues).toBeGreaterThan(1000);
}, 40_000);

afterAll(async () => {
  agent.child.kill('SIGTERM');
  await agent.exited;
  await sim.close();
});

it('answers /health while the API sheds the excess of a flood with 503, Retry-After and the JSON error', async () => {
  const flood = Array.from({ length: CONCURRENT }, async () => {
    const res = await fetch(`${agent.api}/api/v1/issues?limit=1000`);
    const text = await res.text();
    return { status: res.status, retryAfter: res.headers.get('retry-after'), text };
  });
  const probe = (async () => {
    // Sent while the flood is being answered.
    await new Promise((r) => setImmediate(r));
    const res = await fetch(`${agent.api}/health`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return { status: res.status, body: (await res.json()) as { status: string } };
  })();
  const [health, answers] = await Promise.all([probe, Promise.all(flood)]);

  expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
  const shed = answers.filter((a) => a.status === 503);
  const served = answers.filter((a) => a.status === 200);
  expect(shed.length + served.length).toBe(CONCURRENT);
  expect(served.length).toBeGreaterThan(0);
  expect(shed.length).toBeGreaterThan(0);
  for (const a of shed) {
    expect(a.retryAfter).toBe('1');
    expect(JSON.parse(a.text)).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'the API is busy (server.shedAfterBusy: 20 ms); retry later',
    });
  }
}, 60_000);
