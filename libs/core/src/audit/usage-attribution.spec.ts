import { extractWorkloads } from '../manifests/workload-extractor';
import type { UsageSample } from '../usage';
import { workloadRef, type Workload } from '../workload';
import { OwnerIndex, UsageAttribution } from './usage-attribution';
import { UsagePeaks } from './usage-peaks';

type Obj = Record<string, unknown>;

const containers = [{ name: 'app', image: 'x', resources: { requests: { cpu: '1', memory: '1Gi' } } }];
const template = (labels?: Record<string, string>) => ({
  ...(labels ? { metadata: { labels } } : {}),
  spec: { containers },
});
const controller = (kind: string, name: string, uid?: string) => [
  { apiVersion: 'apps/v1', kind, name, ...(uid ? { uid } : {}), controller: true, blockOwnerDeletion: true },
];

function deployment(name: string, matchLabels: Record<string, string>, extra: Obj = {}): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, ...extra },
    spec: { selector: { matchLabels }, template: template(matchLabels) },
  };
}

function replicaSet(name: string, owner: string | undefined, labels: Record<string, string>): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: 'shop',
      uid: `uid-${name}`,
      ...(owner ? { ownerReferences: controller('Deployment', owner, `uid-${owner}`) } : {}),
    },
    spec: { selector: { matchLabels: labels }, template: template(labels) },
  };
}

function pod(name: string, labels: Record<string, string>, owner?: { kind: string; name: string; uid?: boolean }): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'shop',
      uid: `uid-${name}`,
      labels,
      ...(owner
        ? { ownerReferences: controller(owner.kind, owner.name, owner.uid === false ? undefined : `uid-${owner.name}`) }
        : {}),
    },
    spec: { containers },
  };
}

/** A PodMetrics sample as a bare metrics API item gives it: by default without labels. */
const sample = (pod: string, labels: Record<string, string> = {}, namespace = 'shop'): UsageSample => ({
  namespace,
  pod,
  labels,
  containers: [{ name: 'app', cpu: 10, memory: 1 }],
});

/** The attribution the CLI builds for a set of manifest objects. */
function attributionOf(objects: Obj[]): { sut: UsageAttribution; workloads: Workload[] } {
  const { workloads, owners } = extractWorkloads(
    objects.map((object) => ({ object })),
    { defaultNamespace: 'default' },
  );
  return { sut: new UsageAttribution(workloads, owners), workloads };
}

const refs = (ws: readonly Workload[]) => ws.map(workloadRef);

describe('UsageAttribution: the controller chain', () => {
  const web = { app: 'web' };
  const canary = { app: 'web', track: 'canary' };
  const objects = [
    deployment('web', web),
    // Its selector also matches the Pods of web (a subset of their labels): only the chain tells them apart.
    deployment('web-canary', canary),
    replicaSet('web-7d9f', 'web', { ...web, 'pod-template-hash': '7d9f' }),
    replicaSet('web-canary-5c4b', 'web-canary', { ...canary, 'pod-template-hash': '5c4b' }),
    pod('web-7d9f-a', { ...web, 'pod-template-hash': '7d9f' }, { kind: 'ReplicaSet', name: 'web-7d9f' }),
    pod(
      'web-canary-5c4b-a',
      { ...canary, 'pod-template-hash': '5c4b' },
      { kind: 'ReplicaSet', name: 'web-canary-5c4b' },
    ),
  ];

  it('follows Pod → ReplicaSet → Deployment for a sample that carries no labels', () => {
    const { sut } = attributionOf(objects);
    expect(refs(sut.workloadsOf(sample('web-7d9f-a')))).toEqual(['Deployment shop/web']);
    expect(refs(sut.workloadsOf(sample('web-canary-5c4b-a')))).toEqual(['Deployment shop/web-canary']);
  });

  it('credits only the owner even where another selector matches the Pod (labels say both)', () => {
    const { sut } = attributionOf(objects);
    expect(refs(sut.workloadsOf(sample('web-canary-5c4b-a', { ...canary, 'pod-template-hash': '5c4b' })))).toEqual([
      'Deployment shop/web-canary',
    ]);
    // The same labels without a Pod read: the selectors decide, and both match.
    expect(refs(sut.workloadsOf(sample('web-canary-gone', canary))).sort()).toEqual([
      'Deployment shop/web',
      'Deployment shop/web-canary',
    ]);
  });

  it('follows Pod → Job → CronJob, where the CronJob has no labels to match by', () => {
    const { sut } = attributionOf([
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'report', namespace: 'shop', uid: 'uid-report' },
        spec: { schedule: '0 * * * *', jobTemplate: { spec: { template: template() } } },
      },
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name: 'report-29000',
          namespace: 'shop',
          uid: 'uid-report-29000',
          ownerReferences: controller('CronJob', 'report', 'uid-report'),
        },
        spec: { template: template() },
      },
      pod('report-29000-x', {}, { kind: 'Job', name: 'report-29000' }),
    ]);
    expect(refs(sut.workloadsOf(sample('report-29000-x')))).toEqual(['CronJob shop/report']);
  });

  it.each([
    ['StatefulSet', 'apps/v1', { serviceName: 'db' }],
    ['DaemonSet', 'apps/v1', {}],
    ['ReplicationController', 'v1', {}],
  ])('follows Pod → %s', (kind, apiVersion, spec) => {
    const { sut } = attributionOf([
      {
        apiVersion,
        kind,
        metadata: { name: 'db', namespace: 'shop', uid: 'uid-db' },
        spec: {
          ...spec,
          selector: kind === 'ReplicationController' ? { role: 'x' } : { matchLabels: { role: 'x' } },
          template: template({ role: 'x' }),
        },
      },
      pod('db-0', {}, { kind, name: 'db' }),
    ]);
    expect(refs(sut.workloadsOf(sample('db-0')))).toEqual([`${kind} shop/db`]);
  });

  it('ends at the first audited workload: a Deployment an operator controls owns its Pods', () => {
    const { sut } = attributionOf([
      deployment('web', web, { ownerReferences: controller('WebApp', 'site', 'uid-site') }),
      replicaSet('web-7d9f', 'web', web),
      pod('web-7d9f-a', {}, { kind: 'ReplicaSet', name: 'web-7d9f' }),
    ]);
    expect(refs(sut.workloadsOf(sample('web-7d9f-a')))).toEqual(['Deployment shop/web']);
  });

  it('follows references by kind and name where manifests leave out the uids', () => {
    const { sut } = attributionOf([
      deployment('web', web),
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'web-7d9f', namespace: 'shop', ownerReferences: controller('Deployment', 'web') },
        spec: { template: template(web) },
      },
      pod('web-7d9f-a', {}, { kind: 'ReplicaSet', name: 'web-7d9f', uid: false }),
    ]);
    expect(refs(sut.workloadsOf(sample('web-7d9f-a')))).toEqual(['Deployment shop/web']);
  });

  it('takes a bare Pod (no controller) as its own workload', () => {
    const { sut } = attributionOf([deployment('web', web), pod('toolbox', web)]);
    expect(refs(sut.workloadsOf(sample('toolbox', web)))).toEqual(['Pod shop/toolbox']);
  });

  it('answers for a namespace only from that namespace', () => {
    const { sut } = attributionOf(objects);
    expect(sut.workloadsOf(sample('web-7d9f-a', {}, 'other'))).toEqual([]);
    expect(sut.workloadsOf(sample('web-7d9f-a', web, 'other'))).toEqual([]);
  });
});

describe('UsageAttribution: labels where no chain is known', () => {
  const web = { app: 'web' };

  it('matches a Pod whose owner was not read by its labels (the sample carries none)', () => {
    // The ReplicaSet list was not read (forbidden, or left out of the files): the chain stops at the Pod.
    const { sut } = attributionOf([
      deployment('web', web),
      deployment('api', { app: 'api' }),
      pod('web-7d9f-a', { ...web, 'pod-template-hash': '7d9f' }, { kind: 'ReplicaSet', name: 'web-7d9f' }),
    ]);
    expect(refs(sut.workloadsOf(sample('web-7d9f-a')))).toEqual(['Deployment shop/web']);
  });

  it('matches a PodMetrics with no Pod by the labels it carries, or a bare Pod by its name', () => {
    const { sut } = attributionOf([deployment('web', web), deployment('api', { app: 'api' }), pod('toolbox', {})]);
    expect(refs(sut.workloadsOf(sample('web-new', web)))).toEqual(['Deployment shop/web']);
    expect(sut.workloadsOf(sample('web-new'))).toEqual([]); // neither a Pod nor labels: nothing to go by
    expect(sut.workloadsOf(sample('web-new', { app: 'other' }))).toEqual([]);
    // Without any Pod read (UsagePeaks' default), a bare Pod still owns the samples of its name.
    const bare = attributionOf([pod('toolbox', {})]).workloads;
    expect(refs(new UsageAttribution(bare).workloadsOf(sample('toolbox')))).toEqual(['Pod shop/toolbox']);
  });

  it('applies every selector requirement, matchExpressions-only selectors included', () => {
    const { sut } = attributionOf([
      deployment('web', { app: 'web', tier: 'front' }),
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'any-batch', namespace: 'shop' },
        spec: {
          selector: { matchExpressions: [{ key: 'role', operator: 'In', values: ['batch', 'cron'] }] },
          template: template({ role: 'batch' }),
        },
      },
    ]);
    expect(sut.workloadsOf(sample('p', { app: 'web' }))).toEqual([]);
    expect(refs(sut.workloadsOf(sample('p', { app: 'web', tier: 'front', x: 'y' })))).toEqual(['Deployment shop/web']);
    expect(refs(sut.workloadsOf(sample('p', { role: 'cron' })))).toEqual(['Deployment shop/any-batch']);
  });

  it('matches nothing for a workload without a selector', () => {
    const { sut } = attributionOf([
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'report', namespace: 'shop' },
        spec: { schedule: '0 * * * *', jobTemplate: { spec: { template: template() } } },
      },
    ]);
    expect(sut.workloadsOf(sample('report-1-x', {}))).toEqual([]);
  });

  it('does not loop on a cycle of references; the Pod falls back to its labels', () => {
    const index = new OwnerIndex();
    index.addObject('ReplicaSet', 'shop', 'a', { uid: 'ua', controller: { kind: 'ReplicaSet', name: 'b', uid: 'ub' } });
    index.addObject('ReplicaSet', 'shop', 'b', { uid: 'ub', controller: { kind: 'ReplicaSet', name: 'a', uid: 'ua' } });
    index.addPod('shop', 'p', { controller: { kind: 'ReplicaSet', name: 'a', uid: 'ua' } }, web);
    const { workloads } = attributionOf([deployment('web', web)]);
    expect(refs(new UsageAttribution(workloads, index).workloadsOf(sample('p')))).toEqual(['Deployment shop/web']);
  });
});

describe('UsagePeaks over an attribution', () => {
  it('reduces samples to the peaks of the workload their chain ends at', () => {
    const { sut, workloads } = attributionOf([
      deployment('web', { app: 'web' }),
      deployment('web-canary', { app: 'web', track: 'canary' }),
      replicaSet('web-1', 'web', { app: 'web' }),
      replicaSet('web-canary-1', 'web-canary', { app: 'web', track: 'canary' }),
      pod('web-1-a', { app: 'web' }, { kind: 'ReplicaSet', name: 'web-1' }),
      pod('web-canary-1-a', { app: 'web', track: 'canary' }, { kind: 'ReplicaSet', name: 'web-canary-1' }),
    ]);
    const peaks = new UsagePeaks(workloads, sut);
    peaks.add({ ...sample('web-1-a'), containers: [{ name: 'app', cpu: 50, memory: 100 }] });
    peaks.add({ ...sample('web-canary-1-a'), containers: [{ name: 'app', cpu: 900, memory: 800 }] });
    const [web, webCanary] = workloads;
    expect(peaks.samples).toBe(2);
    expect(peaks.of(web)).toEqual(new Map([['app', { cpu: 50, memory: 100 }]]));
    expect(peaks.of(webCanary)).toEqual(new Map([['app', { cpu: 900, memory: 800 }]]));
  });
});
