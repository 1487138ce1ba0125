import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiClient } from '../../apps/opsagent/src/kubernetes/kube-api.client';
import { KubernetesClusterReader } from '../../apps/opsagent/src/kubernetes/kubernetes-cluster-reader';
import type { ClusterSnapshot } from '../../apps/opsagent/src/kubernetes/cluster-reader';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { workloadObjects } from '../e2e/fixtures';
import { freePort, getJson, startAgent, tempDir, waitFor, waitForScan } from '../e2e/harness';

/**
 * Faults from the reliability issue, each against the simulator over real HTTP with the real
 * @kubernetes/client-node: the reader in-process where one read tells the story, the agent process where
 * the behaviour spans scans.
 */
const PER_KIND = 9;
const PAGE = 4; // 9 (or 10) objects per kind: 3 pages
let sim: Simulator;
let kubeconfig: string;

beforeAll(async () => {
  sim = await startSimulator({ token: 't', objects: workloadObjects(PER_KIND) });
  kubeconfig = path.join(tempDir('opsagent-faults-'), 'config');
  sim.writeKubeconfig(kubeconfig);
});

afterAll(() => sim.close());

afterEach(() => sim.clearFaults());

function reader(options: { timeoutMs?: number; retries?: number } = {}): KubernetesClusterReader {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return new KubernetesClusterReader(
    new KubeApiClient(kc, {
      requestTimeoutMs: options.timeoutMs ?? 2_000,
      retries: options.retries ?? 3,
      backoffBaseMs: 20,
      maxBackoffMs: 200,
      maxRetryAfterMs: 1_500,
    }),
    { pageSize: PAGE },
  );
}

const names = (s: ClusterSnapshot) => s.workloads.map((w) => `${w.kind}/${w.namespace}/${w.name}`).sort();
let baseline: string[];

beforeAll(async () => {
  const clean = await reader().read({});
  expect(clean.failures).toEqual([]);
  baseline = names(clean);
  expect(baseline).toHaveLength(PER_KIND * 8 + 1); // + kube-proxy, audited later by the namespace filter
});

describe('mid-pagination failures are retried', () => {
  it.each([
    ['a 503 on page 2', { status: 503 }],
    ['a 500 on page 2', { status: 500 }],
    ['a connection dropped before the headers on page 2', { drop: 'before-headers' as const }],
    ['a connection dropped mid-body on page 2', { drop: 'mid-body' as const }],
  ])('%s: the scan succeeds with no duplicate or missing object', async (_name, fault) => {
    // Only continued requests (page ≥ 2) of deployments; once.
    sim.inject({ path: '/apis/apps/v1/deployments', expireContinue: false, times: 1, ...fault, ...{} });
    sim.clearLog();
    const snapshot = await reader().read({});
    expect(snapshot.failures).toEqual([]);
    expect(names(snapshot)).toEqual(baseline);
    const deployments = sim.requests.filter((r) => r.path === '/apis/apps/v1/deployments');
    expect(deployments.length).toBe(4); // 3 pages + 1 retry
  });

  it('honours Retry-After on a 429 (capped), then retries', async () => {
    sim.inject({ path: '/apis/batch/v1/jobs', retryAfterSeconds: 1, times: 1 });
    sim.clearLog();
    const started = Date.now();
    const snapshot = await reader().read({});
    expect(snapshot.failures).toEqual([]);
    expect(names(snapshot)).toEqual(baseline);
    const jobs = sim.requests.filter((r) => r.path === '/apis/batch/v1/jobs');
    expect(jobs[0].status).toBe(429);
    const gap = Date.parse(jobs[1].time) - Date.parse(jobs[0].time);
    expect(gap).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails the kind, naming it, when the retries run out', async () => {
    sim.inject({ path: '/apis/batch/v1/cronjobs', status: 503 });
    const snapshot = await reader({ retries: 2 }).read({});
    expect(snapshot.failures).toEqual([
      { kind: 'CronJob', resource: 'batch/cronjobs', code: 503, reason: expect.stringMatching(/^HTTP 503/) },
    ]);
    expect(snapshot.workloads.some((w) => w.kind === 'CronJob')).toBe(false);
    expect(snapshot.workloads.filter((w) => w.kind === 'Deployment')).toHaveLength(PER_KIND);
  });
});

describe('410 Expired on a continue token', () => {
  it('relists that kind from the start, with no duplicates', async () => {
    sim.inject({ path: '/apis/apps/v1/statefulsets', expireContinue: true, times: 1 });
    sim.clearLog();
    const snapshot = await reader().read({});
    expect(snapshot.failures).toEqual([]);
    expect(names(snapshot)).toEqual(baseline);
    const sts = sim.requests.filter((r) => r.path === '/apis/apps/v1/statefulsets');
    expect(sts.map((r) => r.status)).toEqual([200, 410, 200, 200, 200]);
  });

  it('gives up after repeated expiry and reports the kind', async () => {
    sim.inject({ path: '/apis/apps/v1/statefulsets', expireContinue: true });
    const snapshot = await reader().read({});
    expect(snapshot.failures).toEqual([
      {
        kind: 'StatefulSet',
        resource: 'apps/statefulsets',
        code: 410,
        reason: expect.stringMatching(/expired 3 times/),
      },
    ]);
  });
});

describe('slow, broken and odd servers', () => {
  it('aborts a request slower than the timeout, retries, then fails only that kind', async () => {
    sim.inject({ path: '/api/v1/replicationcontrollers', latencyMs: 800 });
    const started = Date.now();
    const snapshot = await reader({ timeoutMs: 200, retries: 1 }).read({});
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(snapshot.failures).toEqual([
      {
        kind: 'ReplicationController',
        resource: 'replicationcontrollers',
        reason: expect.stringMatching(/timed out after 200 ms \(after 2 attempts\)/),
      },
    ]);
    expect(snapshot.workloads.filter((w) => w.kind === 'Deployment')).toHaveLength(PER_KIND);
  });

  it('fails a kind with a clear error on a malformed JSON body', async () => {
    sim.inject({ path: '/apis/apps/v1/daemonsets', malformedJson: true });
    const snapshot = await reader().read({});
    expect(snapshot.failures).toEqual([
      { kind: 'DaemonSet', resource: 'apps/daemonsets', code: 200, reason: expect.stringMatching(/malformed JSON/) },
    ]);
  });

  it('still works with a server that ignores limit', async () => {
    sim.inject({ path: /.*/, ignoreLimit: true });
    sim.clearLog();
    const snapshot = await reader().read({});
    expect(names(snapshot)).toEqual(baseline);
    expect(sim.requests.filter((r) => r.path === '/apis/apps/v1/deployments')).toHaveLength(1);
  });

  it.each([
    [404, '404 page not found'],
    [503, 'service unavailable'],
  ])('reports metrics.k8s.io %d (text body) as metrics unavailable, not a failed kind', async (status, body) => {
    sim.inject({ path: '/apis/metrics.k8s.io/v1beta1/pods', status, body, contentType: 'text/plain' });
    const snapshot = await reader({ retries: 0 }).read({});
    expect(snapshot.failures).toEqual([]);
    expect(snapshot.samples).toBeUndefined();
    expect(snapshot.metricsError).toMatch(new RegExp(`HTTP ${status}`));
  });
});

describe('the agent process', () => {
  it('starts without an API server, fails its scans, and recovers by itself when the server comes', async () => {
    const port = await freePort();
    const dir = tempDir('opsagent-late-');
    const late = path.join(dir, 'kubeconfig');
    // Write a kubeconfig for a port nothing listens on yet.
    const fs = await import('node:fs');
    fs.writeFileSync(late, fs.readFileSync(kubeconfig, 'utf8').replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${port}`));
    const agent = await startAgent({
      kubeconfig: late,
      config: { schedule: '* * * * * *', kubernetes: { retries: 0, requestTimeout: '500ms' } },
    });
    let lateSim: Simulator | undefined;
    try {
      const failed = await waitForScan(agent.api, {});
      expect(failed.status).toBe('failed');
      expect(failed.errors[0].reason).toMatch(/ECONNREFUSED|fetch failed/);
      const health = await getJson<{ status: string }>(`${agent.api}/health`);
      expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
      const metrics = await (await fetch(`${agent.metrics}/metrics`)).text();
      expect(metrics).toMatch(/opsagent_detection_runs_total\{status="failed"\} [1-9]/);

      lateSim = await startSimulator({ port, token: 't', objects: workloadObjects(2) });
      const recovered = await waitFor(
        async () => {
          const { body } = await getJson<{ status: string }>(`${agent.api}/api/v1/scans/latest`);
          return body.status === 'succeeded' ? body : undefined;
        },
        15_000,
        'a succeeded scan',
      );
      expect(recovered.status).toBe('succeeded');
      expect(agent.child.exitCode).toBeNull();
    } finally {
      agent.child.kill('SIGTERM');
      expect((await agent.exited).code).toBe(0);
      await lateSim?.close();
    }
  });

  it('exits 0 within 10 s on SIGTERM during a scan and never stores it as complete', async () => {
    const agent = await startAgent({
      kubeconfig,
      config: { runOnStartup: false, schedule: '0 0 1 1 *', kubernetes: { requestTimeout: '30s' } },
    });
    try {
      await waitFor(async () => ((await fetch(`${agent.api}/health`)).ok ? true : undefined));
      sim.inject({ path: '/apis/apps/v1/deployments', latencyMs: 20_000 });
      const { status } = await getJson(`${agent.api}/api/v1/scans`, { method: 'POST' });
      expect(status).toBe(202);
      await new Promise((r) => setTimeout(r, 300));
      const started = Date.now();
      agent.child.kill('SIGTERM');
      const { code } = await agent.exited;
      expect(code).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      const scanLines = agent
        .stdout()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { event?: string; status?: string })
        .filter((l) => l.event === 'scan');
      expect(scanLines.map((l) => l.status)).toEqual(['failed']);
    } finally {
      if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
    }
  }, 20_000);

  it('aborts a scan that exceeds scanTimeout and counts it as failed', async () => {
    const agent = await startAgent({
      kubeconfig,
      config: { runOnStartup: false, schedule: '0 0 1 1 *', scanTimeout: '1s', kubernetes: { requestTimeout: '30s' } },
    });
    try {
      await waitFor(async () => ((await fetch(`${agent.api}/health`)).ok ? true : undefined));
      sim.inject({ path: '/api/v1/pods', latencyMs: 5_000 });
      const started = await getJson<{ id: string }>(`${agent.api}/api/v1/scans`, { method: 'POST' });
      const scan = await waitForScan(agent.api, { id: started.body.id });
      expect(scan.status).toBe('failed');
      expect(scan.errors[0].reason).toMatch(/timed out after 1000 ms \(scanTimeout\)/);
    } finally {
      agent.child.kill('SIGTERM');
      await agent.exited;
    }
  });
});
