import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiClient } from '../../apps/opsagent/src/kubernetes/kube-api.client';
import { KubernetesClusterReader } from '../../apps/opsagent/src/kubernetes/kubernetes-cluster-reader';
import type { ClusterSnapshot } from '../../apps/opsagent/src/kubernetes/cluster-reader';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { workloadObjects } from '../e2e/fixtures';
import { freePort, getJson, MAIN, ROOT, startAgent, tempDir, waitFor, waitForScan } from '../e2e/harness';

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

function reader(
  options: { timeoutMs?: number; retries?: number; maxPages?: number; maxObjectsPerKind?: number } = {},
): KubernetesClusterReader {
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
    { pageSize: PAGE, maxPages: options.maxPages, maxObjectsPerKind: options.maxObjectsPerKind },
  );
}

const requestsTo = (p: string) => sim.requests.filter((r) => r.path === p);

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

  it('fails a kind whose server ignores limit: its page holds more items than asked for', async () => {
    sim.inject({ path: '/apis/apps/v1/deployments', ignoreLimit: true });
    sim.clearLog();
    const snapshot = await reader().read({});
    expect(snapshot.failures).toEqual([
      {
        kind: 'Deployment',
        resource: 'apps/deployments',
        code: 200,
        reason: 'a page holds more than 5 items for limit=4; the server does not honour limit',
      },
    ]);
    expect(names(snapshot)).toEqual(baseline.filter((n) => !n.startsWith('Deployment/')));
    expect(requestsTo('/apis/apps/v1/deployments')).toHaveLength(1);
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

describe('a hostile API server', () => {
  const others = (kind: string) => baseline.filter((n) => !n.startsWith(`${kind}/`));
  /** The simulator stopped sending each body once the client closed it, long before its end. */
  async function droppedEarly(sent: readonly { outcome?: string; bytes: number }[]): Promise<void> {
    await waitFor(async () => (sent.every((r) => r.outcome === 'client-closed') ? true : undefined), 5_000);
    for (const r of sent) expect(r.bytes).toBeLessThan(64 * 1024 * 1024);
  }

  it('reads only the start of a 4 GB error body, names the status, and still retries it', async () => {
    sim.inject({ path: '/apis/apps/v1/deployments', status: 500, hugeBodyBytes: 4 * 1024 ** 3 });
    sim.clearLog();
    const snapshot = await reader({ retries: 2 }).read({});
    expect(snapshot.failures).toEqual([
      {
        kind: 'Deployment',
        resource: 'apps/deployments',
        code: 500,
        reason: expect.stringMatching(/^HTTP 500 Status: x{300}… \(only the first 4096 bytes of the body were read\)$/),
      },
    ]);
    expect(names(snapshot)).toEqual(others('Deployment'));
    const sent = requestsTo('/apis/apps/v1/deployments');
    expect(sent).toHaveLength(3); // a 500 is transient: 1 + 2 retries
    await droppedEarly(sent);
  });

  it('reports a 100 MB 503 of metrics.k8s.io as metrics unavailable, reading a few KB of it', async () => {
    sim.inject({ path: '/apis/metrics.k8s.io/v1beta1/pods', status: 503, hugeBodyBytes: 100 * 1024 ** 2 });
    sim.clearLog();
    const snapshot = await reader({ retries: 0 }).read({});
    expect(snapshot.failures).toEqual([]);
    expect(snapshot.metricsError).toMatch(/metrics API unavailable \(HTTP 503\)/);
    expect(names(snapshot)).toEqual(baseline);
    await droppedEarly(requestsTo('/apis/metrics.k8s.io/v1beta1/pods'));
  });

  it('fails a kind whose page never ends, after limit + 10 % items, without a retry', async () => {
    sim.inject({ path: '/apis/apps/v1/statefulsets', endlessItems: true });
    sim.clearLog();
    const snapshot = await reader().read({});
    expect(snapshot.failures).toEqual([
      {
        kind: 'StatefulSet',
        resource: 'apps/statefulsets',
        code: 200,
        reason: 'a page holds more than 5 items for limit=4; the server does not honour limit',
      },
    ]);
    expect(names(snapshot)).toEqual(others('StatefulSet'));
    const sent = requestsTo('/apis/apps/v1/statefulsets');
    expect(sent).toHaveLength(1);
    await droppedEarly(sent);
  });

  it('fails a kind with a 2 GB label value once the item passes 3 MiB, without a retry', async () => {
    sim.inject({ path: '/apis/apps/v1/replicasets', hugeLabelBytes: 2 * 1024 ** 3 });
    sim.clearLog();
    const snapshot = await reader().read({});
    expect(snapshot.failures).toEqual([
      {
        kind: 'ReplicaSet',
        resource: 'apps/replicasets',
        code: 200,
        reason:
          'an item of the list is larger than 3 MiB (3145728 bytes), the most one object may take; not read further',
      },
    ]);
    expect(names(snapshot)).toEqual(others('ReplicaSet'));
    const sent = requestsTo('/apis/apps/v1/replicasets');
    expect(sent).toHaveLength(1);
    await droppedEarly(sent);
  });

  it('fails a kind whose server keeps sending new continue tokens, at the page cap', async () => {
    sim.inject({ path: '/apis/batch/v1/jobs', continueTokens: 'endless' });
    sim.clearLog();
    const snapshot = await reader({ maxPages: 20 }).read({});
    expect(snapshot.failures).toEqual([
      {
        kind: 'Job',
        resource: 'batch/jobs',
        code: 200,
        reason:
          'more than 20 pages (limit=4, at most 300000 objects per kind); the server keeps sending continue tokens',
      },
    ]);
    expect(names(snapshot)).toEqual(others('Job'));
    expect(requestsTo('/apis/batch/v1/jobs')).toHaveLength(20);
  });

  it('fails a kind whose server sends the same continue token again, at once', async () => {
    sim.inject({ path: '/apis/batch/v1/cronjobs', continueTokens: 'repeat' });
    sim.clearLog();
    const snapshot = await reader().read({});
    expect(snapshot.failures).toEqual([
      {
        kind: 'CronJob',
        resource: 'batch/cronjobs',
        code: 200,
        reason:
          'the server sent the same continue token again (page 2 repeats the token of page 1); the list would never end',
      },
    ]);
    expect(names(snapshot)).toEqual(others('CronJob'));
    expect(requestsTo('/apis/batch/v1/cronjobs')).toHaveLength(2);
  });

  it('reports a PodMetrics list that never ends as metrics unavailable, at the objects-per-kind cap', async () => {
    const metrics = {
      apiVersion: 'metrics.k8s.io/v1beta1',
      kind: 'PodMetrics',
      metadata: { name: 'm', namespace: 'team-0' },
      timestamp: '2026-11-20T08:00:00Z',
      window: '30s',
      containers: [{ name: 'app', usage: { cpu: '1m', memory: '1Mi' } }],
    };
    sim.upsert(metrics);
    try {
      sim.inject({ path: '/apis/metrics.k8s.io/v1beta1/pods', endlessItems: true });
      sim.clearLog();
      const snapshot = await reader({ maxObjectsPerKind: 50 }).read({});
      expect(snapshot.failures).toEqual([]);
      expect(snapshot.samples).toBeUndefined();
      expect(snapshot.metricsError).toBe(
        'metrics.k8s.io/pods: the list holds more than 50 PodMetrics, the most objects one kind may have',
      );
      expect(names(snapshot)).toEqual(baseline);
      const sent = requestsTo('/apis/metrics.k8s.io/v1beta1/pods');
      expect(sent).toHaveLength(1);
      await droppedEarly(sent);
    } finally {
      sim.remove('metrics.k8s.io/v1beta1/PodMetrics', 'team-0', 'm');
    }
  });

  it('keeps the other Pods when one has labels nested 100,000 deep: a warning names it, no retry', async () => {
    sim.inject({ path: '/api/v1/pods', nestedLabelDepth: 100_000, times: 1 });
    sim.clearLog();
    const snapshot = await reader().read({});
    expect(snapshot.failures).toEqual([]);
    const bad = snapshot.warnings.filter((w) => w.code === 'unreadable-object');
    expect(bad).toHaveLength(1);
    const { namespace, name } = bad[0];
    expect(bad[0]).toEqual({
      code: 'unreadable-object',
      kind: 'Pod',
      namespace,
      name,
      message: `pods: Pod ${namespace}/${name}: metadata.labels is not a map of strings; not audited`,
    });
    // The first Pod in key order got the labels; it is the one left out, every other Pod is read.
    const pods = baseline.filter((n) => n.startsWith('Pod/'));
    expect(`Pod/${namespace}/${name}`).toBe(pods[0]);
    expect(names(snapshot)).toEqual(baseline.filter((n) => n !== pods[0]));
    expect(requestsTo('/api/v1/pods').map((r) => r.status)).toEqual([200, 200, 200]); // 3 pages, none again
  });
});

describe('the API client', () => {
  function client(): KubeApiClient {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    return new KubeApiClient(kc, { requestTimeoutMs: 2_000, retries: 3, backoffBaseMs: 20, maxBackoffMs: 200 });
  }

  it('never retries a deterministic error of the body consumer (a stack overflow), only the transport', async () => {
    sim.clearLog();
    const failed = client().get('/apis/apps/v1/deployments', { limit: '4' }, { resource: 'apps/deployments' }, () => {
      throw new RangeError('Maximum call stack size exceeded');
    });
    await expect(failed).rejects.toThrow(
      'apps/deployments: the response could not be read (RangeError: Maximum call stack size exceeded)',
    );
    expect(requestsTo('/apis/apps/v1/deployments')).toHaveLength(1);

    // A connection dropped while the consumer reads is the transport's: retried.
    sim.inject({ path: '/apis/apps/v1/deployments', drop: 'mid-body', times: 1 });
    sim.clearLog();
    let reads = 0;
    await client().get('/apis/apps/v1/deployments', {}, { resource: 'apps/deployments' }, async (chunks) => {
      reads++;
      for await (const chunk of chunks) void chunk;
    });
    expect(reads).toBe(2);
    expect(requestsTo('/apis/apps/v1/deployments').map((r) => r.outcome)).toEqual(['dropped-mid-body', undefined]);
  });
});

/** 512 MiB: the chart's memory limit. A child past it is killed at once (a watchdog keeps the machine safe). */
const MEMORY_LIMIT_MIB = 512;

/** Runs `opsagent scan` (the live-cluster read) as its own process with the chart's heap flags. */
function scanProcess(
  config: Record<string, unknown>,
): Promise<{ code: number | null; stdout: string; stderr: string; peakMib: number; killedAtMib?: number }> {
  const dir = tempDir('opsagent-hostile-');
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, JSON.stringify(config));
  const args = [
    '--max-old-space-size=384',
    '--max-semi-space-size=4',
    '--require',
    path.join(__dirname, 'peak-rss.cjs'),
    MAIN,
    'scan',
    '--output',
    'json',
    '--fail-on',
    'none',
    '--config',
    configFile,
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', KUBECONFIG: kubeconfig },
    });
    let stdout = '';
    let stderr = '';
    let killedAtMib: number | undefined;
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const watchdog = setInterval(() => {
      try {
        const rss = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        const mib = Number(rss?.[1] ?? 0) / 1024;
        if (mib > MEMORY_LIMIT_MIB && killedAtMib === undefined) {
          killedAtMib = mib;
          child.kill('SIGKILL');
        }
      } catch {
        // exited
      }
    }, 20);
    child.on('close', (code) => {
      clearInterval(watchdog);
      const kib = /peak-rss-kib (\d+)/.exec(stderr);
      resolve({ code, stdout, stderr, peakMib: kib ? Number(kib[1]) / 1024 : NaN, killedAtMib });
    });
  });
}

describe('memory against a hostile API server', () => {
  it('stays far below 512 MiB of RSS with every hostile fault at once, and reads the other kinds', async () => {
    sim.inject({ path: '/apis/metrics.k8s.io/v1beta1/pods', status: 503, hugeBodyBytes: 100 * 1024 ** 2 });
    sim.inject({ path: '/apis/apps/v1/deployments', status: 500, hugeBodyBytes: 4 * 1024 ** 3 });
    sim.inject({ path: '/apis/apps/v1/statefulsets', endlessItems: true });
    sim.inject({ path: '/apis/apps/v1/replicasets', hugeLabelBytes: 2 * 1024 ** 3 });
    sim.inject({ path: '/apis/apps/v1/daemonsets', continueTokens: 'repeat' });
    sim.inject({ path: '/api/v1/pods', nestedLabelDepth: 100_000 });
    const run = await scanProcess({ kubernetes: { retries: 1 } });
    expect(run.killedAtMib).toBeUndefined();
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      summary: { workloads: number };
      warnings: { code: string; kind?: string; message: string }[];
    };
    const unreadable = report.warnings.filter((w) => w.code === 'kind-unreadable').map((w) => w.kind);
    expect(unreadable.sort()).toEqual(['DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet']);
    expect(report.warnings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'metrics-unavailable', message: expect.stringMatching(/HTTP 503/) }),
        expect.objectContaining({ code: 'unreadable-object', kind: 'Pod' }),
      ]),
    );
    // Jobs, CronJobs, ReplicationControllers, and the Pods but the one with nested labels.
    expect(report.summary.workloads).toBe(PER_KIND * 4 - 1);
    console.log(`opsagent scan against every hostile fault: peak RSS ${run.peakMib.toFixed(0)} MiB`);
    expect(run.peakMib).toBeLessThan(MEMORY_LIMIT_MIB / 2);
  }, 60_000);
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

  it('aborts at scanTimeout a list whose server sends new continue tokens for ever, slowly', async () => {
    const agent = await startAgent({
      kubeconfig,
      config: { runOnStartup: false, schedule: '0 0 1 1 *', scanTimeout: '1s', kubernetes: { requestTimeout: '30s' } },
    });
    try {
      await waitFor(async () => ((await fetch(`${agent.api}/health`)).ok ? true : undefined));
      // 600 pages (the cap at pageSize 500) of 100 ms each would take a minute.
      sim.inject({ path: '/apis/apps/v1/deployments', continueTokens: 'endless', latencyMs: 100 });
      sim.clearLog();
      const started = await getJson<{ id: string }>(`${agent.api}/api/v1/scans`, { method: 'POST' });
      const scan = await waitForScan(agent.api, { id: started.body.id });
      expect(scan.status).toBe('failed');
      expect(scan.errors[0].reason).toMatch(/timed out after 1000 ms \(scanTimeout\)/);
      expect(requestsTo('/apis/apps/v1/deployments').length).toBeLessThan(20);
    } finally {
      agent.child.kill('SIGTERM');
      await agent.exited;
    }
  });

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
