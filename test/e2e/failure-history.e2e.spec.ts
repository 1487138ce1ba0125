import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { getJson, runCli, startAgent, tempDir, waitForReady, waitForScan, type AgentProcess } from './harness';

/**
 * Issue 13 §1–2: the service reads each Pod's container statuses (cut from `status` as the Pod list streams in)
 * from the simulator over HTTP, and `opsagent scan` reads them from the same objects in a file; both give the same
 * memory-oom-killed, memory-underprovisioned and memory-overprovisioned findings, and so does `opsagent scan`
 * without a path, reading the simulator live. The limit an OOM kill names is the one in the killed Pod's own spec
 * (LimitRange defaults included, as admission wrote them), and a LimitRange's defaults and max apply to both rules.
 */
const now = Date.now();
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Obj = Record<string, unknown>;

type Memory = { requests?: { memory: string }; limits?: { memory: string } };
const memory = (request: string, limit: string): Memory => ({
  requests: { memory: request },
  limits: { memory: limit },
});

function deployment(name: string, memoryRequest: string, memoryLimit: string, namespace = 'shop'): Obj[] {
  return deploymentWith(name, namespace, memory(memoryRequest, memoryLimit));
}

/** A Deployment and its ReplicaSet; `resources` beside 100m/200m CPU (`{}`: no memory, LimitRange defaults). */
function deploymentWith(name: string, namespace: string, resources: Memory): Obj[] {
  const uid = `dep-${name}`;
  const rsUid = `rs-${name}`;
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace, uid },
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
                  requests: { cpu: '100m', ...resources.requests },
                  limits: { cpu: '200m', ...resources.limits },
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
        namespace,
        uid: rsUid,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid, controller: true }],
      },
      spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { spec: { containers: [] } } },
    },
  ];
}

/**
 * A Pod of `app`'s ReplicaSet; its spec carries the memory it was admitted with (`ran`), which the API server keeps
 * while the Deployment's template may change.
 */
function pod(name: string, app: string, ran: Memory, lastState: Obj = {}, restartCount = 0, namespace = 'shop'): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: { app },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-7c9d`, uid: `rs-${app}`, controller: true },
      ],
    },
    spec: {
      containers: [
        {
          name: 'app',
          image: `${app}:1`,
          resources: { requests: { cpu: '100m', ...ran.requests }, limits: { cpu: '200m', ...ran.limits } },
          terminationMessagePath: '/dev/termination-log',
        },
      ],
      restartPolicy: 'Always',
    },
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

function podMetrics(name: string, memory: string, namespace = 'shop'): Obj {
  return {
    apiVersion: 'metrics.k8s.io/v1beta1',
    kind: 'PodMetrics',
    metadata: { name, namespace },
    timestamp: iso(now - 60_000),
    window: '30s',
    containers: [{ name: 'app', usage: { cpu: '100m', memory } }],
  };
}

const OBJECTS: Obj[] = [
  // web: OOMKilled an hour ago at its 256Mi limit; 100Mi since the restart would be a memory cut.
  ...deployment('web', '256Mi', '256Mi'),
  pod('web-7c9d-a', 'web', memory('256Mi', '256Mi'), oomKilled(now - HOUR), 5),
  podMetrics('web-7c9d-a', '100Mi'),
  // grown: OOMKilled at the 256Mi its Pod ran with; the template has been raised to 512Mi since.
  ...deployment('grown', '512Mi', '512Mi'),
  pod('grown-7c9d-a', 'grown', memory('256Mi', '256Mi'), oomKilled(now - 2 * HOUR), 2),
  podMetrics('grown-7c9d-a', '100Mi'),
  // old: OOMKilled 20 days ago, outside the 14-day window: over-provisioned as usual.
  ...deployment('old', '512Mi', '512Mi'),
  pod('old-7c9d-a', 'old', memory('512Mi', '512Mi'), oomKilled(now - 20 * DAY), 1),
  podMetrics('old-7c9d-a', '100Mi'),
  // queue: peaks at 200Mi on a 128Mi request (1.56×).
  ...deployment('queue', '128Mi', '1Gi'),
  pod('queue-7c9d-a', 'queue', memory('128Mi', '1Gi')),
  podMetrics('queue-7c9d-a', '200Mi'),
  // batch: a LimitRange sets 128Mi/256Mi for containers that set no memory, and no container above 300Mi.
  {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'defaults', namespace: 'batch' },
    spec: {
      limits: [
        {
          type: 'Container',
          defaultRequest: { memory: '128Mi' },
          default: { memory: '256Mi' },
          max: { memory: '300Mi' },
        },
      ],
    },
  },
  // lean sets no memory: its Pod ran with the LimitRange's 256Mi limit and was OOMKilled at it (× 1.2 > max).
  ...deploymentWith('lean', 'batch', {}),
  pod('lean-7c9d-a', 'lean', memory('128Mi', '256Mi'), oomKilled(now - 3 * HOUR), 1, 'batch'),
  podMetrics('lean-7c9d-a', '90Mi', 'batch'),
  // indexer sets no memory: a 290Mi peak on the LimitRange's 128Mi request; 290Mi × 1.15 is capped at the 300Mi max.
  ...deploymentWith('indexer', 'batch', {}),
  pod('indexer-7c9d-a', 'indexer', memory('128Mi', '256Mi'), {}, 0, 'batch'),
  podMetrics('indexer-7c9d-a', '290Mi', 'batch'),
];

const EXPECTED = [
  'memory-oom-killed batch/Deployment/lean/app',
  'memory-oom-killed shop/Deployment/grown/app',
  'memory-oom-killed shop/Deployment/web/app',
  'memory-overprovisioned shop/Deployment/old/app',
  'memory-underprovisioned batch/Deployment/indexer/app',
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
  await waitForReady(agent);
}, 90_000);

afterAll(async () => {
  if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
  await sim?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const cliScan = () =>
  runCli(['scan', path.join(dir, 'cluster.yaml'), '--config', path.join(dir, 'opsagent.yaml'), '--output', 'json']);
/** `opsagent scan` without a path: the kubeconfig's cluster (the simulator), read live by the service's reader. */
const cliLive = () =>
  runCli(['scan', '--config', path.join(dir, 'opsagent.yaml'), '--output', 'json'], {
    KUBECONFIG: path.join(dir, 'config'),
  });

describe('failure history and under-provisioning, in the service and the CLI', () => {
  it('reports the OOM kill within the window instead of a memory cut, and the under-provisioned queue', async () => {
    const scan = await waitForScan(agent.api, {});
    expect(scan.status).toBe('succeeded');
    const { status, body } = await getJson<{ items: IssueView[] }>(`${agent.api}/api/v1/issues?limit=1000`);
    expect(status).toBe(200);
    expect(memoryFindings(body.items)).toEqual(EXPECTED);

    const oom = body.items.find((i) => i.rule === 'memory-oom-killed' && i.name === 'web')!;
    expect(oom.severity).toBe('high');
    expect(oom.message).toBe(
      `container "app" was OOMKilled at ${new Date(Date.parse(iso(now - HOUR))).toISOString()} in Pod ` +
        'shop/web-7c9d-a (restart count 5, exit code 137) with a memory limit of 256Mi; recommend at least 308Mi',
    );
    const queue = body.items.find((i) => i.rule === 'memory-underprovisioned' && i.name === 'queue')!;
    expect(queue.severity).toBe('medium');
    expect(queue.message).toContain('recommend 230Mi');

    // The limit at the time is the killed Pod's own (256Mi), and the template's (now 512Mi) stands beside it.
    const message = (rule: string, name: string) => body.items.find((i) => i.rule === rule && i.name === name)?.message;
    expect(message('memory-oom-killed', 'grown')).toBe(
      `container "app" was OOMKilled at ${new Date(Date.parse(iso(now - 2 * HOUR))).toISOString()} in Pod ` +
        "shop/grown-7c9d-a (restart count 2, exit code 137) with a memory limit of 256Mi (the template's limit is " +
        'now 512Mi); recommend at least 308Mi',
    );
    // LimitRange defaults: the limit the Pod ran with came from the LimitRange; its max caps both recommendations.
    expect(message('memory-oom-killed', 'lean')).toContain(
      'with a memory limit of 256Mi; recommend at least 300Mi (capped at the max 300Mi of LimitRange "defaults")',
    );
    expect(message('memory-underprovisioned', 'indexer')).toBe(
      'container "app" requests 128Mi memory (set by LimitRange "defaults" at admission) but its peak usage is ' +
        '290Mi (2.26× the request) over 1 sample; recommend 300Mi (capped at the max 300Mi of LimitRange ' +
        '"defaults"); it risks eviction under node memory pressure',
    );

    const messages = (issues: IssueView[]) =>
      Object.fromEntries(issues.filter((i) => !i.rule.endsWith('-missing')).map((i) => [key(i), i.message]));
    const cli = await cliScan();
    expect(cli).toMatchObject({ code: 0, stderr: '' });
    const fromFile = (JSON.parse(cli.stdout) as { issues: IssueView[] }).issues;
    expect(memoryFindings(fromFile)).toEqual(EXPECTED);
    expect(messages(fromFile)).toEqual(messages(body.items));

    const live = await cliLive();
    expect(live).toMatchObject({ code: 0, stderr: '' });
    const fromCluster = (JSON.parse(live.stdout) as { issues: IssueView[] }).issues;
    expect(memoryFindings(fromCluster)).toEqual(EXPECTED);
    expect(messages(fromCluster)).toEqual(messages(body.items));
  });
});
