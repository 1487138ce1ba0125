import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { ROOT, getJson, startAgent, tempDir, waitFor, waitForScan, type AgentProcess } from './harness';

/**
 * Issue 13 §1–2: the service reads each Pod's container statuses (cut from `status` as the Pod list streams in)
 * from the simulator over HTTP, and `opsagent scan` reads them from the same objects in a file; both give the same
 * memory-oom-killed, memory-underprovisioned and memory-overprovisioned findings.
 */
const BIN = path.join(ROOT, 'bin', 'opsagent');
const now = Date.now();
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Obj = Record<string, unknown>;

function deployment(name: string, memoryRequest: string, memoryLimit: string): Obj[] {
  const uid = `dep-${name}`;
  const rsUid = `rs-${name}`;
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'shop', uid },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            containers: [
              {
                name: 'app',
                image: `${name}:1`,
                resources: {
                  requests: { cpu: '100m', memory: memoryRequest },
                  limits: { cpu: '200m', memory: memoryLimit },
                },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${name}-7c9d`,
        namespace: 'shop',
        uid: rsUid,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid, controller: true }],
      },
      spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { spec: { containers: [] } } },
    },
  ];
}

function pod(name: string, app: string, lastState: Obj = {}, restartCount = 0): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'shop',
      labels: { app },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-7c9d`, uid: `rs-${app}`, controller: true },
      ],
    },
    spec: { containers: [{ name: 'app', image: `${app}:1` }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(now - DAY) }],
      containerStatuses: [
        {
          name: 'app',
          image: `${app}:1`,
          imageID: `${app}@sha256:${'a'.repeat(64)}`,
          containerID: `containerd://${'b'.repeat(64)}`,
          ready: true,
          started: true,
          restartCount,
          state: { running: { startedAt: iso(now - HOUR + 5000) } },
          lastState,
        },
      ],
    },
  };
}

const oomKilled = (at: number): Obj => ({
  terminated: {
    reason: 'OOMKilled',
    exitCode: 137,
    startedAt: iso(at - HOUR),
    finishedAt: iso(at),
    containerID: `containerd://${'c'.repeat(64)}`,
  },
});

function podMetrics(name: string, memory: string): Obj {
  return {
    apiVersion: 'metrics.k8s.io/v1beta1',
    kind: 'PodMetrics',
    metadata: { name, namespace: 'shop' },
    timestamp: iso(now - 60_000),
    window: '30s',
    containers: [{ name: 'app', usage: { cpu: '100m', memory } }],
  };
}

const OBJECTS: Obj[] = [
  // web: OOMKilled an hour ago at its 256Mi limit; 100Mi since the restart would be a memory cut.
  ...deployment('web', '256Mi', '256Mi'),
  pod('web-7c9d-a', 'web', oomKilled(now - HOUR), 5),
  podMetrics('web-7c9d-a', '100Mi'),
  // old: OOMKilled 20 days ago, outside the 14-day window: over-provisioned as usual.
  ...deployment('old', '512Mi', '512Mi'),
  pod('old-7c9d-a', 'old', oomKilled(now - 20 * DAY), 1),
  podMetrics('old-7c9d-a', '100Mi'),
  // queue: peaks at 200Mi on a 128Mi request (1.56×).
  ...deployment('queue', '128Mi', '1Gi'),
  pod('queue-7c9d-a', 'queue'),
  podMetrics('queue-7c9d-a', '200Mi'),
];

const EXPECTED = [
  'memory-oom-killed shop/Deployment/web/app',
  'memory-overprovisioned shop/Deployment/old/app',
  'memory-underprovisioned shop/Deployment/queue/app',
];

interface IssueView {
  rule: string;
  severity: string;
  namespace: string;
  kind: string;
  name: string;
  container: string;
  message: string;
}
const key = (i: IssueView) => `${i.rule} ${i.namespace}/${i.kind}/${i.name}/${i.container}`;
const memoryFindings = (issues: IssueView[]) =>
  issues
    .filter((i) => i.rule.startsWith('memory-') && !i.rule.endsWith('-missing'))
    .map(key)
    .sort();

let sim: Simulator;
let agent: AgentProcess;
let dir: string;

beforeAll(async () => {
  sim = await startSimulator({ objects: OBJECTS });
  dir = tempDir('opsagent-failure-history-');
  const kubeconfig = path.join(dir, 'config');
  sim.writeKubeconfig(kubeconfig);
  fs.writeFileSync(path.join(dir, 'cluster.yaml'), OBJECTS.map((o) => stringify(o)).join('---\n'));
  fs.writeFileSync(path.join(dir, 'opsagent.yaml'), stringify({ overProvisioning: { minSamples: 1 } }));
  agent = await startAgent({ kubeconfig, config: { schedule: '0 0 1 1 *', overProvisioning: { minSamples: 1 } } });
  await waitFor(
    async () => ((await fetch(`${agent.api}/health/ready`)).status === 200 ? true : undefined),
    60_000,
    'ready',
  );
}, 90_000);

afterAll(async () => {
  if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
  await sim?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function cliScan(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const args = ['scan', path.join(dir, 'cluster.yaml'), '--config', path.join(dir, 'opsagent.yaml')];
    const child = spawn(BIN, [...args, '--output', 'json'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', TZ: 'UTC', KUBECONFIG: '/nonexistent/kubeconfig' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}

describe('failure history and under-provisioning, in the service and the CLI', () => {
  it('reports the OOM kill within the window instead of a memory cut, and the under-provisioned queue', async () => {
    const scan = await waitForScan(agent.api, {});
    expect(scan.status).toBe('succeeded');
    const { status, body } = await getJson<{ items: IssueView[] }>(`${agent.api}/api/v1/issues?limit=1000`);
    expect(status).toBe(200);
    expect(memoryFindings(body.items)).toEqual(EXPECTED);

    const oom = body.items.find((i) => i.rule === 'memory-oom-killed')!;
    expect(oom.severity).toBe('high');
    expect(oom.message).toBe(
      `container "app" was OOMKilled at ${new Date(Date.parse(iso(now - HOUR))).toISOString()} in Pod ` +
        'shop/web-7c9d-a (restart count 5, exit code 137) with a memory limit of 256Mi; recommend at least 308Mi',
    );
    const queue = body.items.find((i) => i.rule === 'memory-underprovisioned')!;
    expect(queue.severity).toBe('medium');
    expect(queue.message).toContain('recommend 230Mi');

    const cli = await cliScan();
    expect(cli).toMatchObject({ code: 0, stderr: '' });
    const fromFile = (JSON.parse(cli.stdout) as { issues: IssueView[] }).issues;
    expect(memoryFindings(fromFile)).toEqual(EXPECTED);
    expect(fromFile.find((i) => i.rule === 'memory-oom-killed')?.message).toBe(oom.message);
  });
});
