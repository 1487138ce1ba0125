import { oomKillsOf } from '@opsagent/core/audit/failure-history';
import { ownershipOf } from '@opsagent/core/manifests/owner-references';
import type { WorkloadKind } from '@opsagent/core/workload';
import { ListItemCutter, ListSizeError, ListTextError } from './list-text';

const managedFields = [
  {
    manager: 'kube-controller-manager',
    operation: 'Update',
    apiVersion: 'v1',
    time: '2026-11-20T08:00:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:args': { 'v:"--x=]\\"["': {} } } } },
    },
  },
  { manager: 'kubelet', operation: 'Update', subresource: 'status', fieldsType: 'FieldsV1', fieldsV1: {} },
];

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Obj = Record<string, unknown>;

function pod(name: string, owner?: { controller?: boolean }, extra: Obj = {}): Obj {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name,
      namespace: 'shop',
      labels: { app: 'x"}]{[', é中: '🙂' },
      annotations: {
        note: 'has "managedFields":[ and "status":{ inside a string ] and a \\ backslash\\',
        [LAST_APPLIED]: JSON.stringify({ metadata: { name, annotations: { x: '"status":{"a":"\\"}' } }, status: {} }),
        'opsagent.io/exempt': 'cpu-limit-missing',
      },
      ...(owner
        ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', ...owner }] }
        : {}),
      managedFields,
    },
    spec: {
      containers: [{ name: 'app', args: ['a]', '"b"', '}{', 'é中🙂', '\\'], resources: { limits: { cpu: '1' } } }],
      volumes: [{ name: 'v', ephemeral: { volumeClaimTemplate: { metadata: { labels: {} }, spec: {} } } }],
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', message: 'x"}]' }],
      nested: { status: { deeper: ['a'] } },
      containerStatuses: [
        {
          name: 'app',
          image: 'app:1',
          imageID: 'app@sha256:"}]',
          containerID: 'containerd://abc',
          ready: true,
          started: true,
          restartCount: 4,
          state: { running: { startedAt: '2026-11-20T09:00:00Z' } },
          lastState: {
            terminated: {
              reason: 'OOMKilled',
              exitCode: 137,
              message: 'killed "status":{ [}',
              startedAt: '2026-11-20T08:00:00Z',
              finishedAt: '2026-11-20T08:59:00Z',
              containerID: 'containerd://old',
            },
          },
        },
      ],
      initContainerStatuses: [
        { name: 'init', restartCount: 0, state: { terminated: { reason: 'Completed', exitCode: 0, signal: 0 } } },
      ],
    },
    ...extra,
  };
}

const listOf = (items: unknown[], meta: Obj = { resourceVersion: '7', continue: 'tok"en' }) =>
  JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: meta, items });

/** What the cutter should hand over for an item of a list of `kind`. */
function expected(item: Obj, kind?: WorkloadKind): Obj {
  const copy = JSON.parse(JSON.stringify(item)) as Obj & {
    metadata: Obj & { annotations?: Record<string, string>; ownerReferences?: { controller?: boolean }[] };
  };
  if (copy.status !== undefined) {
    if (kind === 'Pod') copy.status = cutPodStatus(copy.status as Obj);
    else delete copy.status;
  }
  delete copy.metadata.managedFields;
  if (copy.metadata.annotations) delete copy.metadata.annotations[LAST_APPLIED];
  const owned = copy.metadata.ownerReferences?.some((ref) => ref.controller === true);
  if (owned && kind === 'Pod') copy.spec = cutPodSpec(copy.spec as Obj);
  else if (owned && kind !== undefined && ['ReplicaSet', 'Job'].includes(kind)) delete copy.spec;
  return copy;
}

/** An owned Pod's spec as the cutter leaves it: each container's name and resources, nothing else. */
function cutPodSpec(spec: Obj): Obj {
  const container = (c: Obj) =>
    keepOnly(
      c,
      (k) => k === 'name' || k === 'resources',
      (_k, v) => v,
    );
  return keepOnly(
    spec,
    (k) => k === 'containers' || k === 'initContainers',
    (_k, v) => (v as Obj[]).map(container),
  );
}

/** Keeps `keep(key)`'s values (through `inside`), leaves the other keys out. */
function keepOnly(object: Obj, keep: (key: string) => boolean, inside: (key: string, v: unknown) => unknown): Obj {
  return Object.fromEntries(
    Object.entries(object)
      .filter(([k]) => keep(k))
      .map(([k, v]) => [k, inside(k, v)]),
  );
}

/** A Pod's status as the cutter leaves it: the container statuses' failure history, nothing else. */
function cutPodStatus(status: Obj): Obj {
  const terminated = (t: Obj) =>
    keepOnly(
      t,
      (k) => ['reason', 'exitCode', 'finishedAt'].includes(k),
      (_k, v) => v,
    );
  const state = (s: Obj) =>
    keepOnly(
      s,
      (k) => k === 'terminated',
      (_k, v) => terminated(v as Obj),
    );
  const entry = (e: Obj) =>
    keepOnly(
      e,
      (k) => ['name', 'restartCount', 'state', 'lastState'].includes(k),
      (k, v) => (k === 'state' || k === 'lastState' ? state(v as Obj) : v),
    );
  return keepOnly(
    status,
    (k) => k === 'containerStatuses' || k === 'initContainerStatuses',
    (_k, v) => (v as Obj[]).map(entry),
  );
}

function cut(chunks: Uint8Array[], kind?: WorkloadKind): { items: unknown[]; texts: string[]; list: unknown } {
  const sut = new ListItemCutter({ kind });
  const texts: string[] = [];
  for (const chunk of chunks) sut.push(chunk, (json) => texts.push(json));
  return { items: texts.map((t) => JSON.parse(t)), texts, list: JSON.parse(sut.end()) };
}

describe('ListItemCutter', () => {
  const items = [pod('owned', { controller: true }), pod('bare'), pod('not-controller', { controller: false })];
  const text = listOf(items);
  const bytes = Buffer.from(text);

  it('hands over each item without status, managedFields, last-applied-configuration, and owned specs', () => {
    const out = cut([bytes], 'Pod');
    expect(out.items).toEqual(items.map((item) => expected(item, 'Pod')));
    expect((out.items[0] as Obj).spec).toEqual({
      containers: [{ name: 'app', resources: { limits: { cpu: '1' } } }],
    });
    expect((out.items[1] as { spec: { containers: unknown[] } }).spec.containers).toHaveLength(1);
    // What is cut goes with its key: the items shrink by more than half.
    expect(out.texts.join('').length).toBeLessThan(text.length * 0.5);
  });

  it("keeps of a Pod's status only the failure history: name, restartCount, terminated reason/exitCode/finishedAt", () => {
    const [item] = cut([Buffer.from(listOf([pod('oom', { controller: true })]))], 'Pod').items as Obj[];
    expect(item.status).toEqual({
      containerStatuses: [
        {
          name: 'app',
          restartCount: 4,
          state: {},
          lastState: {
            terminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: '2026-11-20T08:59:00Z' },
          },
        },
      ],
      initContainerStatuses: [
        { name: 'init', restartCount: 0, state: { terminated: { reason: 'Completed', exitCode: 0 } } },
      ],
    });
    expect(oomKillsOf('oom', item)).toEqual([
      {
        pod: 'oom',
        container: 'app',
        at: Date.parse('2026-11-20T08:59:00Z'),
        restartCount: 4,
        exitCode: 137,
        podMemory: {},
      },
    ]);
  });

  it("keeps of an owned Pod's spec each container's name and resources: the memory limit it was OOM-killed at", () => {
    const resources = { requests: { cpu: '50m', memory: '200Mi' }, limits: { memory: '256Mi', cpu: '1' } };
    const owned = pod(
      'oom',
      { controller: true },
      {
        spec: {
          serviceAccountName: 'sa',
          initContainers: [{ name: 'init', image: 'init:1', command: ['sh', '-c', '"}]'], resources: {} }],
          containers: [
            { name: 'app', image: 'app:1', env: [{ name: 'X', value: '{"resources":[' }], resources },
            { name: 'side', image: 'side:1' },
          ],
          volumes: [{ name: 'v', emptyDir: {} }],
          tolerations: [{ key: 'k', operator: 'Exists' }],
        },
      },
    );
    const [item] = cut([Buffer.from(listOf([owned]))], 'Pod').items as Obj[];
    expect(item.spec).toEqual({
      initContainers: [{ name: 'init', resources: {} }],
      containers: [{ name: 'app', resources }, { name: 'side' }],
    });
    expect(oomKillsOf('oom', item)).toEqual([
      expect.objectContaining({
        container: 'app',
        podMemory: { limit: 256 * 1024 * 1024, request: 200 * 1024 * 1024 },
      }),
    ]);
  });

  it('leaves out the whole status of any other kind (a Deployment of a list of Deployments)', () => {
    const deployment = { ...pod('d'), kind: 'Deployment' };
    const [item] = cut([Buffer.from(listOf([deployment]))], 'Deployment').items as Obj[];
    expect(item).not.toHaveProperty('status');
    expect(item.spec).toEqual((deployment as Obj).spec);
  });

  it('leaves out the spec of an owned ReplicaSet, and a first, middle or last member with its comma', () => {
    const rs = (order: string[]) => {
      const owned = { ...pod('rs', { controller: true }), kind: 'ReplicaSet' } as Obj;
      return Object.fromEntries(order.map((k) => [k, owned[k]]));
    };
    for (const order of [
      ['kind', 'metadata', 'spec', 'status'],
      ['metadata', 'spec', 'kind', 'status', 'apiVersion'],
      ['metadata', 'status', 'spec'],
    ]) {
      const [text] = cut([Buffer.from(listOf([rs(order)]))], 'ReplicaSet').texts;
      const item = JSON.parse(text) as Obj;
      expect(Object.keys(item)).toEqual(order.filter((k) => k !== 'spec' && k !== 'status'));
      expect(text).not.toMatch(/,,|\{,|,\}/);
    }
  });

  it("keeps of a Pod's metadata what attribution and the audit read, nothing else", () => {
    const p = pod('p', { controller: true });
    Object.assign(p.metadata as Obj, {
      uid: 'u1',
      resourceVersion: '12',
      creationTimestamp: '2026-11-20T08:00:00Z',
      generateName: 'p-',
      finalizers: ['x'],
    });
    const [item] = cut([Buffer.from(listOf([p]))], 'Pod').items as Obj[];
    expect(Object.keys(item.metadata as Obj).sort()).toEqual([
      'annotations',
      'labels',
      'name',
      'namespace',
      'ownerReferences',
      'uid',
    ]);
  });

  describe("a workload's Pod template", () => {
    const podSpec = {
      serviceAccountName: 'sa',
      initContainers: [
        { name: 'proxy', image: 'p:1', restartPolicy: 'Always', resources: { requests: { cpu: '10m' } } },
      ],
      containers: [
        {
          name: 'app',
          image: 'app:1',
          env: [{ name: 'X', value: '{"resources":[' }],
          resources: { limits: { memory: '1Gi' } },
        },
      ],
      volumes: [{ name: 'v', emptyDir: {} }],
    };
    const cutSpec = {
      initContainers: [{ name: 'proxy', restartPolicy: 'Always', resources: { requests: { cpu: '10m' } } }],
      containers: [{ name: 'app', resources: { limits: { memory: '1Gi' } } }],
    };
    const template = { metadata: { labels: { app: 'a' }, annotations: { n: 'v' } }, spec: podSpec };

    it.each(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job'] as const)(
      'keeps of a %s its spec, and of the template spec the containers with name, resources and restartPolicy',
      (kind) => {
        const object = {
          metadata: { name: 'w' },
          spec: { replicas: 3, selector: { matchLabels: { app: 'a' } }, template },
        };
        const [item] = cut([Buffer.from(listOf([object]))], kind).items as Obj[];
        expect(item).toEqual({
          metadata: { name: 'w' },
          spec: { replicas: 3, selector: { matchLabels: { app: 'a' } }, template: { ...template, spec: cutSpec } },
        });
      },
    );

    it('keeps of a CronJob the containers of spec.jobTemplate.spec.template.spec, wherever the chunks are cut', () => {
      const cronJob = {
        metadata: { name: 'c' },
        spec: { schedule: '* * * * *', jobTemplate: { metadata: {}, spec: { backoffLimit: 2, template } } },
      };
      const body = Buffer.from(listOf([cronJob]));
      const whole = cut([body], 'CronJob');
      expect(whole.items).toEqual([
        {
          metadata: { name: 'c' },
          spec: {
            schedule: '* * * * *',
            jobTemplate: { metadata: {}, spec: { backoffLimit: 2, template: { ...template, spec: cutSpec } } },
          },
        },
      ]);
      for (let at = 0; at <= body.length; at += 3) {
        expect(cut([body.subarray(0, at), body.subarray(at)], 'CronJob').texts).toEqual(whole.texts);
      }
    });

    it('keeps a template spec of another shape as it is (a spec with containers at the top, a string)', () => {
      const odd = { metadata: { name: 'o' }, spec: { containers: podSpec.containers, template: { spec: 'x' } } };
      expect(cut([Buffer.from(listOf([odd]))], 'Deployment').items).toEqual([odd]);
    });
  });

  it('leaves out numbers, booleans and null as well as objects, arrays and strings', () => {
    const body = '{"items":[{"status":1,"metadata":{"name":"a","managedFields":null},"spec":{}},{"status":true}]}';
    expect(cut([Buffer.from(body)], 'Deployment').texts).toEqual(['{"metadata":{"name":"a"},"spec":{}}', '{}']);
  });

  it('keeps of an owned Pod what usage attribution reads: name, namespace, uid, labels, controller reference', () => {
    const owned = pod('owned', { controller: true });
    (owned.metadata as Obj).uid = 'pod-uid';
    const [item] = cut([Buffer.from(listOf([owned]))], 'Pod').items as Obj[];
    expect(item.metadata).toMatchObject({ name: 'owned', namespace: 'shop', labels: (owned.metadata as Obj).labels });
    expect(ownershipOf(item)).toEqual({ uid: 'pod-uid', controller: { kind: 'ReplicaSet', name: 'rs', uid: 'u' } });
    expect(item.spec).toEqual(cutPodSpec(owned.spec as Obj));
  });

  it('gives back the list itself with its continue token and no items', () => {
    expect(cut([bytes], 'Pod').list).toEqual({
      kind: 'PodList',
      apiVersion: 'v1',
      metadata: { resourceVersion: '7', continue: 'tok"en' },
      items: [],
    });
  });

  it('reads an owned object of a kind audited on its own whole (a Deployment owned by an operator)', () => {
    const deployment = { ...pod('d', { controller: true }), kind: 'Deployment' };
    expect(cut([Buffer.from(listOf([deployment]))], 'Deployment').items).toEqual([expected(deployment)]);
    expect(cut([Buffer.from(listOf([deployment]))]).items).toEqual([expected(deployment)]);
  });

  it('keeps the spec when it comes before the metadata that names the owner', () => {
    const owned = pod('late', { controller: true });
    const specFirst = { spec: owned.spec, metadata: owned.metadata, status: owned.status };
    const [item] = cut([Buffer.from(listOf([specFirst]))], 'Pod').items as Obj[];
    expect(item.spec).toEqual(owned.spec);
  });

  it('gives the same items wherever the chunks are cut, inside escapes and multi-byte characters too', () => {
    const whole = cut([bytes], 'Pod');
    for (let at = 0; at <= bytes.length; at += 5) {
      const split = cut([bytes.subarray(0, at), bytes.subarray(at)], 'Pod');
      expect(split.texts).toEqual(whole.texts);
      expect(split.list).toEqual(whole.list);
    }
    expect(
      cut(
        Array.from(bytes, (b) => Uint8Array.of(b)),
        'Pod',
      ).texts,
    ).toEqual(whole.texts);
  });

  it('hands over items of a list with nothing to cut as they came', () => {
    const metrics = [
      { metadata: { name: 'a', labels: { app: 'x"}]{[' } }, containers: [{ name: 'c', usage: { cpu: '1n' } }] },
      { metadata: { name: 'b', items: ['not', { the: 'list' }] }, containers: [] },
    ];
    const body = JSON.stringify({ kind: 'PodMetricsList', metadata: { items: 'x' }, items: metrics });
    const out = cut([Buffer.from(body)]);
    expect(out.texts).toEqual(metrics.map((m) => JSON.stringify(m)));
    expect(out.list).toEqual({ kind: 'PodMetricsList', metadata: { items: 'x' }, items: [] });
  });

  it('accepts a list with no items, or null items, and whitespace between tokens', () => {
    expect(cut([Buffer.from('{"kind":"PodList","items":[]}')]).items).toEqual([]);
    expect(cut([Buffer.from('{"kind":"PodList","items":null}')]).list).toEqual({ kind: 'PodList', items: null });
    const spaced = ' {\n "items" : [ {"metadata" : {"managedFields" : [ {"a":1} ] } } ,\n {"b": 2} ] } ';
    expect(cut([Buffer.from(spaced)]).items).toEqual([{ metadata: {} }, { b: 2 }]);
    const cutSpaced = ' {"items" : [ {"metadata" : { "a" : 1 , "managedFields" : 7 , "b" : [ 2 ] } } ] } ';
    expect(cut([Buffer.from(cutSpaced)]).items).toEqual([{ metadata: { a: 1, b: [2] } }]);
    const byteByByte = (body: string) => cut(Array.from(Buffer.from(body), (b) => Uint8Array.of(b))).texts;
    expect(byteByByte(cutSpaced)).toEqual(cut([Buffer.from(cutSpaced)]).texts);
    expect(byteByByte(spaced)).toEqual(cut([Buffer.from(spaced)]).texts);
  });

  it.each([
    ['a body cut short', text.slice(0, -3)],
    ['a body cut inside an emptied value', text.slice(0, text.indexOf('kubelet'))],
    ['an array', '[{"a":1}]'],
    ['an empty body', ''],
    ['two objects', '{"items":[]}{}'],
    ['trailing bytes', '{"items":[]} x'],
    ['an item that is not an object', '{"items":[{"a":1},null]}'],
    ['unbalanced brackets', '{"items":[{"a":[1}]}'],
  ])('rejects %s', (_what, body) => {
    expect(() => cut([Buffer.from(body)], 'Pod')).toThrow(ListTextError);
  });
});

describe('ListItemCutter with maxItemBytes', () => {
  const CAP = 64 * 1024;
  const small = { metadata: { name: 'small', labels: { app: 'a' } } };
  /** `{"metadata":{"name":"big","labels":{"huge":"xxx…"}}}` with a value of `valueBytes`, as 1 KiB chunks. */
  function* bigItemList(valueBytes: number, where: 'labels' | 'status'): Generator<Buffer> {
    const head = `{"kind":"PodList","metadata":{},"items":[${JSON.stringify(small)},{"metadata":{"name":"big"`;
    yield Buffer.from(where === 'labels' ? `${head},"labels":{"huge":"` : `${head}},"status":{"huge":"`);
    const kib = Buffer.alloc(1024, 'x');
    for (let left = valueBytes; left > 0; left -= 1024) yield left >= 1024 ? kib : kib.subarray(0, left);
    yield Buffer.from(where === 'labels' ? '"}}},' : '"}},');
    yield Buffer.from(`${JSON.stringify(small)}]}`);
  }

  function feed(chunks: Iterable<Buffer>): { items: unknown[]; chunksRead: number; error?: unknown } {
    const sut = new ListItemCutter({ kind: 'Pod', maxItemBytes: CAP });
    const items: unknown[] = [];
    let chunksRead = 0;
    try {
      for (const chunk of chunks) {
        chunksRead++;
        sut.push(chunk, (json) => items.push(JSON.parse(json)));
      }
      sut.end();
    } catch (error) {
      return { items, chunksRead, error };
    }
    return { items, chunksRead };
  }

  it('throws while the item streams in, on the chunk that crosses the cap, not at its end', () => {
    // A 2 GB label value would be 2 million chunks: the cutter stops after about CAP / 1 KiB of them.
    const out = feed(bigItemList(2 * 1024 ** 3, 'labels'));
    expect(out.error).toBeInstanceOf(ListSizeError);
    expect((out.error as Error).message).toBe(
      'an item of the list is larger than 65536 bytes, the most one object may take',
    );
    expect(out.items).toEqual([small]); // the item before it was handed over
    expect(out.chunksRead).toBeLessThanOrEqual(CAP / 1024 + 2);
  });

  it('counts the bytes of emptied values too (a huge status)', () => {
    const out = feed(bigItemList(CAP * 4, 'status'));
    expect(out.error).toBeInstanceOf(ListSizeError);
    expect(out.chunksRead).toBeLessThanOrEqual(CAP / 1024 + 2);
  });

  it('throws on an oversized item that arrives whole in one chunk', () => {
    const out = feed([Buffer.concat([...bigItemList(CAP, 'labels')])]);
    expect(out.error).toBeInstanceOf(ListSizeError);
    expect(out.items).toEqual([small]);
  });

  it('accepts items just under the cap, split anywhere', () => {
    const body = Buffer.concat([...bigItemList(CAP - 100, 'labels')]);
    const out = feed([body.subarray(0, 5000), body.subarray(5000, 70_000), body.subarray(70_000)]);
    expect(out.error).toBeUndefined();
    expect(out.items).toHaveLength(3);
  });

  it("throws when the list's own fields outside items exceed the cap", () => {
    const out = feed([Buffer.from(`{"metadata":{"continue":"${'t'.repeat(CAP)}"},"items":[]}`)]);
    expect(out.error).toBeInstanceOf(ListSizeError);
    expect((out.error as Error).message).toMatch(/the list's own fields \(outside items\) are larger than 65536 bytes/);
  });

  it('names a whole number of MiB in its message', () => {
    const sut = new ListItemCutter({ maxItemBytes: 3 * 1024 * 1024 });
    const value = 'x'.repeat(3 * 1024 * 1024);
    expect(() => sut.push(Buffer.from(`{"items":[{"a":"${value}"}]}`), () => undefined)).toThrow(
      'an item of the list is larger than 3 MiB (3145728 bytes), the most one object may take',
    );
  });
});
