import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ApiException,
  ApisApi,
  CoordinationV1Api,
  CustomObjectsApi,
  KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type V1Lease,
} from '@kubernetes/client-node';
import { startSimulator, type Simulator } from './simulator';

const TOKEN = 'sim-writes-token';
/** An object read back from the API; the tests assert its fields one by one. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;
const PR = { group: 'wgpolicyk8s.io', version: 'v1alpha2', plural: 'policyreports' };

function statusOf(err: unknown): Record<string, unknown> {
  expect(err).toBeInstanceOf(ApiException);
  return JSON.parse((err as ApiException<string>).body) as Record<string, unknown>;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

function lease(name: string, holder: string, extra: Record<string, unknown> = {}): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: 'ops' },
    spec: { holderIdentity: holder, leaseDurationSeconds: 15, leaseTransitions: 0, ...extra },
  };
}

function report(
  namespace: string,
  results: Record<string, unknown>[],
  labels = { 'app.kubernetes.io/managed-by': 'opsagent' },
) {
  return {
    apiVersion: 'wgpolicyk8s.io/v1alpha2',
    kind: 'PolicyReport',
    metadata: { name: 'opsagent', namespace, labels },
    results,
    summary: { pass: 0, fail: results.length, warn: 0, error: 0, skip: 0 },
  };
}

const RESULT = {
  source: 'opsagent',
  policy: 'cpu-request-missing',
  rule: 'cpu-request-missing',
  result: 'fail',
  severity: 'high',
  message: 'no CPU request',
  timestamp: { seconds: 1764633600, nanos: 0 },
  properties: { container: 'main', id: 'abc' },
};

/** Collects watch events until `stop` returns true (or the deadline passes). */
async function watchUntil(
  kc: KubeConfig,
  watchPath: string,
  query: Record<string, string | number | boolean | undefined>,
  act: () => Promise<void>,
  stop: (events: { type: string; object: Obj }[]) => boolean,
): Promise<{ type: string; object: Obj }[]> {
  const events: { type: string; object: Obj }[] = [];
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const controller = await new Watch(kc).watch(
    watchPath,
    query,
    (type, object) => {
      events.push({ type, object });
      if (stop(events)) finish();
    },
    () => finish(),
  );
  await act();
  const deadline = setTimeout(finish, 20_000);
  await finished;
  clearTimeout(deadline);
  controller.abort();
  return events;
}

describe('simulator writes (Leases, PolicyReports, Reports) with the real client-node', () => {
  let sim: Simulator;
  let kc: KubeConfig;
  let leases: CoordinationV1Api;
  let custom: CustomObjectsApi;
  let dir: string;

  beforeEach(async () => {
    sim = await startSimulator({
      token: TOKEN,
      objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ops' } }],
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-writes-'));
    sim.writeKubeconfig(path.join(dir, 'kubeconfig'));
    kc = new KubeConfig();
    kc.loadFromFile(path.join(dir, 'kubeconfig'));
    leases = kc.makeApiClient(CoordinationV1Api);
    custom = kc.makeApiClient(CustomObjectsApi);
  });

  afterEach(async () => {
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('discovery', () => {
    it('lists the groups and advertises the write verbs of their resources', async () => {
      const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
      const names = groups.groups.map((g) => g.name);
      expect(names).toEqual(expect.arrayContaining(['coordination.k8s.io', 'wgpolicyk8s.io', 'openreports.io']));
      const res = await fetch(`${sim.url}/apis/wgpolicyk8s.io/v1alpha2`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const list = (await res.json()) as {
        resources: { name: string; namespaced: boolean; kind: string; verbs: string[]; shortNames?: string[] }[];
      };
      expect(list.resources).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            name: 'policyreports',
            namespaced: true,
            kind: 'PolicyReport',
            shortNames: ['polr'],
          }),
          expect.objectContaining({ name: 'clusterpolicyreports', namespaced: false, kind: 'ClusterPolicyReport' }),
        ]),
      );
      expect(list.resources[0].verbs).toEqual(expect.arrayContaining(['create', 'update', 'patch', 'delete', 'watch']));
    });

    it('without the PolicyReport CRD: the group leaves /apis and its paths answer a 404 NotFound Status', async () => {
      sim.setGroupAvailable('wgpolicyk8s.io', false);
      const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
      expect(groups.groups.map((g) => g.name)).not.toContain('wgpolicyk8s.io');
      const listErr = await rejection(custom.listClusterCustomObject(PR));
      expect((listErr as ApiException<string>).code).toBe(404);
      expect(statusOf(listErr)).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'the server could not find the requested resource',
        reason: 'NotFound',
        code: 404,
      });
      const createErr = await rejection(
        custom.createNamespacedCustomObject({ ...PR, namespace: 'ops', body: report('ops', [RESULT]) }),
      );
      expect((createErr as ApiException<string>).code).toBe(404);
      sim.setGroupAvailable('wgpolicyk8s.io', true);
      await expect(custom.listClusterCustomObject(PR)).resolves.toMatchObject({ items: [] });
    });

    it('still refuses writes to the workload kinds with 405', async () => {
      const res = await fetch(`${sim.url}/apis/apps/v1/namespaces/ops/deployments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(res.status).toBe(405);
    });
  });

  describe('Leases', () => {
    it('creates with server-owned metadata, and a second create is 409 AlreadyExists', async () => {
      const created = await leases.createNamespacedLease({
        namespace: 'ops',
        body: lease('opsagent', 'pod-a', { renewTime: new Date('2026-12-01T10:00:00.123Z') }),
      });
      expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.metadata?.resourceVersion).toBe(sim.resourceVersion);
      expect(created.spec?.holderIdentity).toBe('pod-a');
      expect(new Date(String(created.spec?.renewTime)).toISOString()).toBe('2026-12-01T10:00:00.123Z');
      const raw = await fetch(`${sim.url}/apis/coordination.k8s.io/v1/namespaces/ops/leases/opsagent`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(((await raw.json()) as { spec: { renewTime: string } }).spec.renewTime).toBe(
        '2026-12-01T10:00:00.123000Z',
      );

      const err = await rejection(leases.createNamespacedLease({ namespace: 'ops', body: lease('opsagent', 'pod-b') }));
      expect((err as ApiException<string>).code).toBe(409);
      expect(statusOf(err)).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'leases.coordination.k8s.io "opsagent" already exists',
        reason: 'AlreadyExists',
        details: { name: 'opsagent', group: 'coordination.k8s.io', kind: 'leases' },
        code: 409,
      });
    });

    it('updates with the current resourceVersion and answers 409 Conflict to a stale one', async () => {
      const created = await leases.createNamespacedLease({ namespace: 'ops', body: lease('opsagent', 'pod-a') });
      const renewed = await leases.replaceNamespacedLease({
        name: 'opsagent',
        namespace: 'ops',
        body: { ...created, spec: { ...created.spec, leaseTransitions: 1 } },
      });
      expect(renewed.metadata?.resourceVersion).not.toBe(created.metadata?.resourceVersion);
      expect(renewed.metadata?.uid).toBe(created.metadata?.uid);
      const stale = await rejection(
        leases.replaceNamespacedLease({
          name: 'opsagent',
          namespace: 'ops',
          body: { ...created, spec: { ...created.spec, holderIdentity: 'pod-b' } },
        }),
      );
      expect((stale as ApiException<string>).code).toBe(409);
      expect(statusOf(stale)).toMatchObject({
        status: 'Failure',
        reason: 'Conflict',
        message:
          'Operation cannot be fulfilled on leases.coordination.k8s.io "opsagent": the object has been modified; please apply your changes to the latest version and try again',
        details: { name: 'opsagent', group: 'coordination.k8s.io', kind: 'leases' },
        code: 409,
      });
      const now = await leases.readNamespacedLease({ name: 'opsagent', namespace: 'ops' });
      expect(now.spec?.holderIdentity).toBe('pod-a');
    });

    it('PUT of an absent Lease creates it (201), as the Lease registry allows', async () => {
      const res = await fetch(`${sim.url}/apis/coordination.k8s.io/v1/namespaces/ops/leases/new`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(lease('new', 'pod-a')),
      });
      expect(res.status).toBe(201);
    });

    it('applies a JSON merge patch and a JSON patch, with resourceVersion as a precondition', async () => {
      const created = await leases.createNamespacedLease({ namespace: 'ops', body: lease('opsagent', 'pod-a') });
      const merged = await leases.patchNamespacedLease(
        { name: 'opsagent', namespace: 'ops', body: { spec: { holderIdentity: 'pod-b', leaseTransitions: 1 } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      expect(merged.spec).toMatchObject({ holderIdentity: 'pod-b', leaseTransitions: 1, leaseDurationSeconds: 15 });
      const stale = await rejection(
        leases.patchNamespacedLease(
          {
            name: 'opsagent',
            namespace: 'ops',
            body: {
              metadata: { resourceVersion: created.metadata?.resourceVersion },
              spec: { holderIdentity: 'pod-c' },
            },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
      );
      expect(statusOf(stale)).toMatchObject({ reason: 'Conflict', code: 409 });
      // client-node's default patch type is a JSON patch.
      const patched = await leases.patchNamespacedLease({
        name: 'opsagent',
        namespace: 'ops',
        body: [
          { op: 'test', path: '/spec/holderIdentity', value: 'pod-b' },
          { op: 'replace', path: '/spec/holderIdentity', value: 'pod-c' },
        ],
      });
      expect(patched.spec?.holderIdentity).toBe('pod-c');
      const failedTest = await rejection(
        leases.patchNamespacedLease({
          name: 'opsagent',
          namespace: 'ops',
          body: [{ op: 'test', path: '/spec/holderIdentity', value: 'pod-a' }],
        }),
      );
      expect(statusOf(failedTest)).toMatchObject({ reason: 'Invalid', code: 422 });
    });

    it('validates the spec: 422 Invalid naming the field', async () => {
      const err = await rejection(
        leases.createNamespacedLease({
          namespace: 'ops',
          body: lease('opsagent', 'pod-a', { leaseDurationSeconds: 0 }),
        }),
      );
      expect(statusOf(err)).toMatchObject({
        reason: 'Invalid',
        code: 422,
        message:
          'Lease.coordination.k8s.io "opsagent" is invalid: spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
        details: { causes: [{ field: 'spec.leaseDurationSeconds', reason: 'FieldValueInvalid' }] },
      });
    });

    it('deletes with preconditions: a stale resourceVersion or another uid is 409, then a Success Status', async () => {
      const created = await leases.createNamespacedLease({ namespace: 'ops', body: lease('opsagent', 'pod-a') });
      const wrongRv = await rejection(
        leases.deleteNamespacedLease({
          name: 'opsagent',
          namespace: 'ops',
          body: { preconditions: { resourceVersion: '1' } },
        }),
      );
      expect(statusOf(wrongRv)).toMatchObject({
        reason: 'Conflict',
        message: `Operation cannot be fulfilled on leases.coordination.k8s.io "opsagent": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ${created.metadata?.resourceVersion}`,
      });
      const wrongUid = await rejection(
        leases.deleteNamespacedLease({ name: 'opsagent', namespace: 'ops', body: { preconditions: { uid: 'other' } } }),
      );
      expect(statusOf(wrongUid)).toMatchObject({ reason: 'Conflict', code: 409 });
      const done = await leases.deleteNamespacedLease({
        name: 'opsagent',
        namespace: 'ops',
        body: { preconditions: { uid: created.metadata?.uid, resourceVersion: created.metadata?.resourceVersion } },
      });
      expect(done).toMatchObject({
        kind: 'Status',
        status: 'Success',
        details: { name: 'opsagent', kind: 'leases', uid: created.metadata?.uid },
      });
      const gone = await rejection(leases.readNamespacedLease({ name: 'opsagent', namespace: 'ops' }));
      expect(statusOf(gone)).toMatchObject({
        reason: 'NotFound',
        message: 'leases.coordination.k8s.io "opsagent" not found',
      });
    });

    it('refuses a create in a namespace that does not exist', async () => {
      const err = await rejection(
        leases.createNamespacedLease({ namespace: 'nowhere', body: { ...lease('x', 'a'), metadata: { name: 'x' } } }),
      );
      expect(statusOf(err)).toMatchObject({ reason: 'NotFound', message: 'namespaces "nowhere" not found', code: 404 });
    });
  });

  describe('PolicyReports and Reports', () => {
    it('creates, reads, lists by label, replaces and deletes (the deleted object is returned)', async () => {
      const created = (await custom.createNamespacedCustomObject({
        ...PR,
        namespace: 'ops',
        body: report('ops', [RESULT]),
      })) as Obj;
      expect(created.metadata).toMatchObject({ name: 'opsagent', namespace: 'ops', generation: 1 });
      expect(created.results).toEqual([RESULT]);
      await custom.createNamespacedCustomObject({
        ...PR,
        namespace: 'ops',
        body: {
          ...report('ops', []),
          metadata: { name: 'kyverno', namespace: 'ops', labels: { 'app.kubernetes.io/managed-by': 'kyverno' } },
        },
      });
      const ours = (await custom.listClusterCustomObject({
        ...PR,
        labelSelector: 'app.kubernetes.io/managed-by=opsagent',
      })) as {
        kind: string;
        items: Obj[];
      };
      expect(ours.kind).toBe('PolicyReportList');
      expect(ours.items.map((i) => i.metadata.name)).toEqual(['opsagent']);

      const replaced = (await custom.replaceNamespacedCustomObject({
        ...PR,
        namespace: 'ops',
        name: 'opsagent',
        body: { ...created, results: [{ ...RESULT, severity: 'critical' }] },
      })) as Obj;
      expect(replaced.metadata.generation).toBe(2);
      const stale = await rejection(
        custom.replaceNamespacedCustomObject({ ...PR, namespace: 'ops', name: 'opsagent', body: created }),
      );
      expect(statusOf(stale)).toMatchObject({
        reason: 'Conflict',
        message: expect.stringContaining('Operation cannot be fulfilled on policyreports.wgpolicyk8s.io "opsagent"'),
      });
      const deleted = (await custom.deleteNamespacedCustomObject({
        ...PR,
        namespace: 'ops',
        name: 'opsagent',
      })) as Obj;
      expect(deleted).toMatchObject({ kind: 'PolicyReport', metadata: { name: 'opsagent' } });
      const gone = await rejection(custom.getNamespacedCustomObject({ ...PR, namespace: 'ops', name: 'opsagent' }));
      expect(statusOf(gone)).toMatchObject({ message: 'policyreports.wgpolicyk8s.io "opsagent" not found' });
    });

    it('an update that changes nothing is not written: same resourceVersion', async () => {
      const created = (await custom.createNamespacedCustomObject({
        ...PR,
        namespace: 'ops',
        body: report('ops', [RESULT]),
      })) as Obj;
      const again = (await custom.replaceNamespacedCustomObject({
        ...PR,
        namespace: 'ops',
        name: 'opsagent',
        body: created,
      })) as Obj;
      expect(again.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    });

    it('validates against the CRD schema (422 naming each field) and prunes unknown fields', async () => {
      const err = await rejection(
        custom.createNamespacedCustomObject({
          ...PR,
          namespace: 'ops',
          body: report('ops', [{ ...RESULT, result: 'bad', properties: { samples: 42 } }]),
        }),
      );
      const status = statusOf(err);
      expect(status).toMatchObject({
        reason: 'Invalid',
        code: 422,
        details: { kind: 'PolicyReport', group: 'wgpolicyk8s.io' },
      });
      expect(status.message).toContain('results[0].result: Unsupported value: "bad"');
      expect(status.message).toContain('results[0].properties.samples');
      const created = (await custom.createNamespacedCustomObject({
        ...PR,
        namespace: 'ops',
        body: { ...report('ops', [{ ...RESULT, extra: 'x' }]), status: { x: 1 } },
      })) as Obj;
      expect(created.results[0]).not.toHaveProperty('extra');
      expect(created).not.toHaveProperty('status');
    });

    it('serves ClusterPolicyReports and openreports.io Reports the same way', async () => {
      const cluster = (await custom.createClusterCustomObject({
        group: 'wgpolicyk8s.io',
        version: 'v1alpha2',
        plural: 'clusterpolicyreports',
        body: {
          apiVersion: 'wgpolicyk8s.io/v1alpha2',
          kind: 'ClusterPolicyReport',
          metadata: { name: 'opsagent' },
          results: [RESULT],
        },
      })) as Obj;
      expect(cluster.metadata).not.toHaveProperty('namespace');
      const rep = (await custom.createNamespacedCustomObject({
        group: 'openreports.io',
        version: 'v1alpha1',
        plural: 'reports',
        namespace: 'ops',
        body: { ...report('ops', [RESULT]), apiVersion: 'openreports.io/v1alpha1', kind: 'Report', source: 'opsagent' },
      })) as Obj;
      expect(rep).toMatchObject({ kind: 'Report', apiVersion: 'openreports.io/v1alpha1', source: 'opsagent' });
      const wrongKind = await rejection(
        custom.createNamespacedCustomObject({
          group: 'openreports.io',
          version: 'v1alpha1',
          plural: 'reports',
          namespace: 'ops',
          body: report('ops', []),
        }),
      );
      expect(statusOf(wrongKind)).toMatchObject({ code: 400 });
    });
  });

  describe('watch', () => {
    it('streams ADDED, MODIFIED and DELETED for Leases, starting with the current objects', async () => {
      await leases.createNamespacedLease({ namespace: 'ops', body: lease('first', 'pod-a') });
      const events = await watchUntil(
        kc,
        '/apis/coordination.k8s.io/v1/namespaces/ops/leases',
        {},
        async () => {
          const second = await leases.createNamespacedLease({ namespace: 'ops', body: lease('second', 'pod-a') });
          await leases.replaceNamespacedLease({
            name: 'second',
            namespace: 'ops',
            body: { ...second, spec: { ...second.spec, holderIdentity: 'pod-b' } },
          });
          await leases.deleteNamespacedLease({ name: 'second', namespace: 'ops' });
        },
        (e) => e.length >= 4,
      );
      expect(events.map((e) => [e.type, e.object.metadata.name, e.object.spec.holderIdentity])).toEqual([
        ['ADDED', 'first', 'pod-a'],
        ['ADDED', 'second', 'pod-a'],
        ['MODIFIED', 'second', 'pod-b'],
        ['DELETED', 'second', 'pod-b'],
      ]);
      expect(events[0].object).toMatchObject({ kind: 'Lease', apiVersion: 'coordination.k8s.io/v1' });
      // The DELETED object carries the deletion's resourceVersion.
      expect(Number(events[3].object.metadata.resourceVersion)).toBeGreaterThan(
        Number(events[2].object.metadata.resourceVersion),
      );
    });

    it('resumes from a list resourceVersion (an informer) with only later changes, filtered by label', async () => {
      await custom.createNamespacedCustomObject({ ...PR, namespace: 'ops', body: report('ops', [RESULT]) });
      const list = (await custom.listClusterCustomObject(PR)) as { metadata: { resourceVersion: string } };
      const events = await watchUntil(
        kc,
        '/apis/wgpolicyk8s.io/v1alpha2/policyreports',
        { resourceVersion: list.metadata.resourceVersion, labelSelector: 'app.kubernetes.io/managed-by=opsagent' },
        async () => {
          await custom.createNamespacedCustomObject({
            ...PR,
            namespace: 'ops',
            body: { ...report('ops', [], {} as never), metadata: { name: 'foreign', namespace: 'ops' } },
          });
          await custom.patchNamespacedCustomObject(
            { ...PR, namespace: 'ops', name: 'opsagent', body: { summary: { fail: 7 } } },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          );
        },
        (e) => e.length >= 1,
      );
      expect(events.map((e) => [e.type, e.object.metadata.name, e.object.summary.fail])).toEqual([
        ['MODIFIED', 'opsagent', 7],
      ]);
    });

    it("drives client-node's informer (list, then watch from the list's resourceVersion) over PolicyReports", async () => {
      await custom.createNamespacedCustomObject({ ...PR, namespace: 'ops', body: report('ops', [RESULT]) });
      const informer = makeInformer<Obj & { metadata: { name: string; namespace?: string } }>(
        kc,
        '/apis/wgpolicyk8s.io/v1alpha2/policyreports',
        async () => (await custom.listClusterCustomObject(PR)) as never,
        'app.kubernetes.io/managed-by=opsagent',
      );
      const seen: string[] = [];
      const until = async (n: number) => {
        for (const deadline = Date.now() + 20_000; seen.length < n && Date.now() < deadline;) {
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      informer.on('add', (o) => seen.push(`add ${o.metadata.namespace}/${o.metadata.name} ${o.summary.fail}`));
      informer.on('update', (o) => seen.push(`update ${o.metadata.name} ${o.summary.fail}`));
      informer.on('delete', (o) => seen.push(`delete ${o.metadata.name}`));
      await informer.start();
      try {
        await until(1);
        await custom.patchNamespacedCustomObject(
          { ...PR, namespace: 'ops', name: 'opsagent', body: { summary: { fail: 3 } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        await until(2);
        await custom.deleteNamespacedCustomObject({ ...PR, namespace: 'ops', name: 'opsagent' });
        await until(3);
        expect(seen).toEqual(['add ops/opsagent 1', 'update opsagent 3', 'delete opsagent']);
        expect(informer.list()).toEqual([]);
      } finally {
        await informer.stop();
      }
    });

    it('answers a resourceVersion older than its history with an ERROR event: 410 Expired', async () => {
      await sim.close();
      sim = await startSimulator({
        token: TOKEN,
        watchHistory: 2,
        objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ops' } }],
      });
      sim.writeKubeconfig(path.join(dir, 'kubeconfig'));
      kc.loadFromFile(path.join(dir, 'kubeconfig'));
      leases = kc.makeApiClient(CoordinationV1Api);
      for (let i = 0; i < 8; i++) await leases.createNamespacedLease({ namespace: 'ops', body: lease(`l${i}`, 'a') });
      const events = await watchUntil(
        kc,
        '/apis/coordination.k8s.io/v1/leases',
        { resourceVersion: '1' },
        async () => undefined,
        (e) => e.length >= 1,
      );
      expect(events).toEqual([
        {
          type: 'ERROR',
          object: expect.objectContaining({
            kind: 'Status',
            status: 'Failure',
            reason: 'Expired',
            code: 410,
            message: expect.stringMatching(/^too old resource version: 1 \(\d+\)$/),
          }),
        },
      ]);
    });

    it('ends open watches on endWatches() and at timeoutSeconds', async () => {
      let ended = 0;
      const w = new Watch(kc);
      await w.watch(
        '/apis/coordination.k8s.io/v1/leases',
        {},
        () => undefined,
        () => ended++,
      );
      await w.watch(
        '/apis/coordination.k8s.io/v1/leases',
        { timeoutSeconds: 1 },
        () => undefined,
        () => ended++,
      );
      const until = async (cond: () => boolean) => {
        for (const deadline = Date.now() + 20_000; !cond() && Date.now() < deadline;)
          await new Promise((r) => setTimeout(r, 20));
      };
      await until(() => sim.openWatches === 2 || ended > 0);
      await until(() => ended >= 1);
      expect(ended).toBe(1);
      expect(sim.endWatches()).toBe(1);
      await until(() => ended >= 2);
      expect(ended).toBe(2);
    });
  });

  describe('fault hooks', () => {
    it('fails only the Lease writes of one holder (500), and the other holder still writes', async () => {
      const created = await leases.createNamespacedLease({ namespace: 'ops', body: lease('opsagent', 'pod-a') });
      sim.inject({
        path: '/apis/coordination.k8s.io/v1/namespaces/ops/leases/*',
        method: 'PUT',
        holderIdentity: 'pod-a',
        status: 500,
      });
      const err = await rejection(leases.replaceNamespacedLease({ name: 'opsagent', namespace: 'ops', body: created }));
      expect(statusOf(err)).toMatchObject({ code: 500, reason: 'InternalError' });
      const taken = await leases.replaceNamespacedLease({
        name: 'opsagent',
        namespace: 'ops',
        body: { ...created, spec: { ...created.spec, holderIdentity: 'pod-b' } },
      });
      expect(taken.spec?.holderIdentity).toBe('pod-b');
    });

    it('drop: after-write stores the write but the client sees the connection drop', async () => {
      const created = await leases.createNamespacedLease({ namespace: 'ops', body: lease('opsagent', 'pod-a') });
      sim.inject({ path: /\/leases\/opsagent$/, method: 'PUT', drop: 'after-write', times: 1 });
      const err = await rejection(
        leases.replaceNamespacedLease({
          name: 'opsagent',
          namespace: 'ops',
          body: { ...created, spec: { ...created.spec, leaseTransitions: 3 } },
        }),
      );
      expect(err).toBeInstanceOf(TypeError);
      const now = await leases.readNamespacedLease({ name: 'opsagent', namespace: 'ops' });
      expect(now.spec?.leaseTransitions).toBe(3);
      expect(sim.requests.find((r) => r.method === 'PUT')).toMatchObject({ outcome: 'dropped-after-write' });
    });
  });
});
