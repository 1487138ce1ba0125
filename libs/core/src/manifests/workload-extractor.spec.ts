import * as path from 'node:path';
import type { Workload } from '../workload';
import { ManifestError, ManifestErrors } from './errors';
import { parseManifestText, readManifestSources, type ManifestObject } from './manifest-reader';
import { extractWorkloads, toWorkload, type ExtractionResult } from './workload-extractor';

const FIXTURES = path.join(__dirname, '../../../../test/fixtures/manifests');
const fixture = (name: string): string => path.join(FIXTURES, name);

describe('extractWorkloads', () => {
  let objects: ManifestObject[];
  let sut: ExtractionResult;
  const workload = (kind: string, name: string): Workload => {
    const found = sut.workloads.find((w) => w.kind === kind && w.name === name);
    if (!found)
      throw new Error(`no ${kind} ${name} among ${sut.workloads.map((w) => `${w.kind}/${w.name}`).join(', ')}`);
    return found;
  };

  beforeAll(async () => {
    objects = await readManifestSources([fixture('workloads.yaml')]);
    sut = extractWorkloads(objects, { defaultNamespace: 'default' });
  });

  it('keeps every workload kind and bare ReplicaSets, Jobs and Pods, in input order', () => {
    expect(sut.workloads.map((w) => `${w.kind} ${w.namespace}/${w.name}`)).toEqual([
      'Deployment shop/web',
      'StatefulSet default/db',
      'DaemonSet kube-system/agent',
      'ReplicaSet shop/standalone',
      'ReplicationController shop/legacy',
      'ReplicationController shop/legacy-defaulted',
      'Job shop/migrate',
      'Job shop/manual',
      'Job shop/unlabelled',
      'CronJob shop/nightly',
      'Pod shop/debug',
      'Pod shop/not-controlled',
    ]);
  });

  it('counts controller-owned ReplicaSets, Jobs and Pods and non-workload kinds as skipped', () => {
    expect(sut.skipped).toEqual({
      'ReplicaSet (owned)': 1,
      'Job (owned)': 1,
      'Pod (owned)': 1,
      Service: 1,
      ConfigMap: 1,
      'Deployment (example.com/v1)': 1,
    });
  });

  it('warns about a workload without containers instead of failing', () => {
    expect(sut.warnings).toEqual([
      {
        code: 'no-pod-spec',
        message: 'Deployment shop/empty has no containers at spec.template.spec.containers; not audited',
        namespace: 'shop',
        kind: 'Deployment',
        name: 'empty',
        file: fixture('workloads.yaml'),
      },
    ]);
  });

  it('projects a Deployment: declared resources, roles, paths, annotations, selector, replicas, source', () => {
    expect(workload('Deployment', 'web')).toEqual({
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      namespace: 'shop',
      name: 'web',
      annotations: { 'opsagent.io/ignore': 'missing-limits', revision: '3' },
      templateAnnotations: { 'prometheus.io/scrape': 'true' },
      selector: {
        matchLabels: { app: 'web' },
        matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend', 'edge'] }],
      },
      replicas: 2,
      containers: [
        {
          name: 'app',
          role: 'container',
          path: 'spec.template.spec.containers[0]',
          line: 44, // its `- name:` line in the file
          requests: { cpu: 250, memory: 128 * 1024 ** 2 },
          limits: { cpu: 1000, memory: 256 * 1024 ** 2 },
        },
        {
          name: 'logger',
          role: 'container',
          path: 'spec.template.spec.containers[1]',
          line: 53,
          requests: {},
          limits: {},
        },
        {
          name: 'migrate',
          role: 'init',
          path: 'spec.template.spec.initContainers[0]',
          line: 29,
          requests: { cpu: 100 },
          limits: {},
        },
        {
          name: 'proxy',
          role: 'sidecar',
          path: 'spec.template.spec.initContainers[1]',
          line: 34,
          requests: { cpu: 500, memory: 64 * 1024 ** 2 },
          limits: { memory: 64 * 1024 ** 2 },
        },
      ],
      source: { file: fixture('workloads.yaml'), line: 3 },
    });
  });

  it('never reads ephemeralContainers', () => {
    expect(workload('Deployment', 'web').containers.map((c) => c.name)).not.toContain('debugger');
  });

  it('does not default a missing request from the limit', () => {
    const shell = workload('Pod', 'debug').containers[0];

    expect(shell.requests).toEqual({});
    expect(shell.limits).toEqual({ cpu: 100, memory: 32 * 1024 ** 2 });
    expect('cpu' in shell.requests).toBe(false);
  });

  it('reads a CronJob through its job template', () => {
    const cron = workload('CronJob', 'nightly');

    expect(cron.containers.map((c) => [c.name, c.role, c.path])).toEqual([
      ['report', 'container', 'spec.jobTemplate.spec.template.spec.containers[0]'],
      ['fetch', 'init', 'spec.jobTemplate.spec.template.spec.initContainers[0]'],
      ['warmup', 'init', 'spec.jobTemplate.spec.template.spec.initContainers[1]'],
    ]);
    expect(cron.containers[2].limits).toEqual({ memory: 1024 ** 3 });
    expect(cron.templateAnnotations).toEqual({ team: 'data' });
    expect(cron.selector).toEqual({ matchLabels: { cron: 'nightly' } });
    expect(cron.replicas).toBeUndefined();
  });

  it('gives each kind its selector', () => {
    expect(workload('StatefulSet', 'db').selector).toEqual({ matchLabels: { app: 'db' } });
    expect(workload('DaemonSet', 'agent').selector).toEqual({ matchLabels: { app: 'agent' } });
    expect(workload('ReplicaSet', 'standalone').selector).toEqual({ matchLabels: { app: 'standalone' } });
    // An RC's selector is a plain map; absent, it is the template labels.
    expect(workload('ReplicationController', 'legacy').selector).toEqual({ matchLabels: { app: 'legacy' } });
    expect(workload('ReplicationController', 'legacy-defaulted').selector).toEqual({
      matchLabels: { app: 'legacy-defaulted' },
    });
    // A Job matches its template labels unless manualSelector is set.
    expect(workload('Job', 'migrate').selector).toEqual({ matchLabels: { job: 'migrate' } });
    expect(workload('Job', 'manual').selector).toEqual({ matchExpressions: [{ key: 'job', operator: 'Exists' }] });
    // No labels: no selector, which matches nothing (an empty one would match every Pod).
    expect(workload('Job', 'unlabelled').selector).toBeUndefined();
    expect('selector' in workload('Job', 'unlabelled')).toBe(false);
    expect(workload('Pod', 'debug').selector).toBeUndefined();
  });

  it('gives each kind its replica count', () => {
    expect(workload('StatefulSet', 'db').replicas).toBe(1);
    expect(workload('ReplicaSet', 'standalone').replicas).toBe(4);
    expect(workload('ReplicationController', 'legacy').replicas).toBe(0);
    expect(workload('ReplicationController', 'legacy-defaulted').replicas).toBe(1);
    expect(workload('Job', 'migrate').replicas).toBe(3);
    expect(workload('Job', 'manual').replicas).toBe(1);
    expect(workload('Pod', 'debug').replicas).toBe(1);
    expect(workload('DaemonSet', 'agent').replicas).toBeUndefined();
  });

  it("uses a bare Pod's own annotations as template annotations", () => {
    const pod = workload('Pod', 'debug');

    expect(pod.annotations).toEqual({ note: 'bare pod' });
    expect(pod.templateAnnotations).toEqual({ note: 'bare pod' });
    expect(pod.containers[0].path).toBe('spec.containers[0]');
  });

  it('puts objects without a namespace in the default namespace given', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n';
    const inDefault = extractWorkloads(parseManifestText(text, 'p.yaml'), { defaultNamespace: 'default' });
    const overridden = extractWorkloads(parseManifestText(text, 'p.yaml'), { defaultNamespace: 'team-a' });
    const explicit = extractWorkloads(
      parseManifestText(text.replace('name: p', 'name: p\n  namespace: ns'), 'p.yaml'),
      {
        defaultNamespace: 'team-a',
      },
    );

    expect(inDefault.workloads[0].namespace).toBe('default');
    expect(overridden.workloads[0].namespace).toBe('team-a');
    expect(explicit.workloads[0].namespace).toBe('ns');
  });

  it('turns PodMetrics into usage samples rather than skipping them', async () => {
    const result = extractWorkloads(await readManifestSources([fixture('pod-metrics.yaml')]), {
      defaultNamespace: 'default',
    });

    expect(result.skipped).toEqual({});
    expect(result.workloads).toEqual([]);
    expect(result.samples.map((s) => s.pod)).toEqual(['web-5d8f7c9b4-x2x7q', 'debug']);
  });

  describe('input errors', () => {
    it('names file, line, object and field of a malformed quantity', async () => {
      const [deployment] = await readManifestSources([fixture('bad-quantity.yaml')]);

      let error: unknown;
      try {
        extractWorkloads([deployment], { defaultNamespace: 'default' });
      } catch (err) {
        error = err;
      }

      expect(error).toBeInstanceOf(ManifestError);
      expect(error).toMatchObject({
        file: fixture('bad-quantity.yaml'),
        line: 20,
        objectRef: 'Deployment shop/web',
        field: 'spec.template.spec.containers[0].resources.limits.cpu',
      });
      expect((error as ManifestError).message).toBe(
        `${fixture('bad-quantity.yaml')}:20: Deployment shop/web: spec.template.spec.containers[0].resources.limits.cpu: ` +
          'invalid quantity "12x": expected a number with an optional suffix (e.g. 500m, 0.5, 128Mi, 1G, 1e3)',
      );
    });

    it('rejects a quantity that is neither a string nor a number', () => {
      const text =
        'kind: Pod\napiVersion: v1\nmetadata: {name: p, namespace: n}\nspec:\n  containers:\n' +
        '    - name: c\n      resources: {requests: {memory: [1]}}\n';

      expect(() => extractWorkloads(parseManifestText(text, 'p.yaml'), { defaultNamespace: 'default' })).toThrow(
        'p.yaml:7: Pod n/p: spec.containers[0].resources.requests.memory: invalid quantity: expected a string or a number, found a list',
      );
    });

    it('rejects a workload without metadata.name', () => {
      const text = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  namespace: shop\nspec: {}\n';

      expect(() => extractWorkloads(parseManifestText(text, 'd.yaml'), { defaultNamespace: 'default' })).toThrow(
        'd.yaml:1: Deployment: metadata.name: required field is missing',
      );
    });

    it('rejects an unknown selector operator', () => {
      const text =
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector:\n    matchExpressions:\n' +
        '      - {key: a, operator: Equals, values: [b]}\n  template:\n    spec:\n      containers: [{name: c}]\n';

      expect(() => extractWorkloads(parseManifestText(text, 'd.yaml'), { defaultNamespace: 'default' })).toThrow(
        'd.yaml:7: Deployment default/d: spec.selector.matchExpressions[0].operator: operator must be one of In, NotIn, Exists, DoesNotExist, found "Equals"',
      );
    });
  });

  it('warns, without failing, about a workload with no spec at all', () => {
    const result = extractWorkloads(
      [{ object: { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'd' } } }],
      {
        defaultNamespace: 'default',
      },
    );

    expect(result.workloads).toEqual([]);
    expect(result.warnings).toEqual([
      expect.objectContaining({ code: 'no-pod-spec', kind: 'DaemonSet', name: 'd', namespace: 'default' }),
    ]);
    expect(result.warnings[0]).not.toHaveProperty('file');
  });
});

describe('toWorkload', () => {
  it('projects an API list item without a source, taking kind and apiVersion from the context', () => {
    // Items of a typed list (client-node listNamespacedJob) carry neither kind nor apiVersion.
    const item = {
      metadata: { name: 'backup', namespace: 'ops', creationTimestamp: new Date('2025-01-01T00:00:00Z') },
      spec: { template: { metadata: { labels: { job: 'backup' } }, spec: { containers: [{ name: 'b' }] } } },
    };

    const projection = toWorkload(item, { defaultNamespace: 'default', kind: 'Job', apiVersion: 'batch/v1' });

    expect(projection).toEqual({
      type: 'workload',
      workload: {
        kind: 'Job',
        apiVersion: 'batch/v1',
        namespace: 'ops',
        name: 'backup',
        annotations: {},
        templateAnnotations: {},
        selector: { matchLabels: { job: 'backup' } },
        replicas: 1,
        containers: [
          { name: 'b', role: 'container', path: 'spec.template.spec.containers[0]', requests: {}, limits: {} },
        ],
      },
    });
    expect(projection.type === 'workload' && 'source' in projection.workload).toBe(false);
  });

  it('reports a malformed quantity in an API object without a file', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'n' },
      spec: { containers: [{ name: 'c', resources: { limits: { cpu: 'lots' } } }] },
    };

    expect(() => toWorkload(pod, { defaultNamespace: 'default' })).toThrow(
      /^Pod n\/p: spec\.containers\[0\]\.resources\.limits\.cpu: invalid quantity "lots"/,
    );
  });

  it('skips a ReplicaSet only when its owner is the controller', () => {
    const rs = (controller: boolean | undefined) => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'r', ownerReferences: [{ kind: 'Deployment', name: 'd', controller }] },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ name: 'c' }] } } },
    });

    expect(toWorkload(rs(true), { defaultNamespace: 'default' })).toEqual({
      type: 'skipped',
      key: 'ReplicaSet (owned)',
      owned: { kind: 'ReplicaSet', namespace: 'default', name: 'r' },
    });
    expect(toWorkload(rs(false), { defaultNamespace: 'default' }).type).toBe('workload');
    expect(toWorkload(rs(undefined), { defaultNamespace: 'default' }).type).toBe('workload');
  });

  it('treats an empty selector as no selector', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: {
        selector: { matchLabels: {}, matchExpressions: [] },
        template: { spec: { containers: [{ name: 'c' }] } },
      },
    };

    const projection = toWorkload(deployment, { defaultNamespace: 'default' });

    expect(projection.type === 'workload' && projection.workload.selector).toBeUndefined();
  });

  it('stringifies non-string annotation values', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', annotations: { n: 2, b: true, s: 'x', o: { a: 1 } } },
      spec: { containers: [{ name: 'c' }] },
    };

    const projection = toWorkload(pod, { defaultNamespace: 'default' });

    expect(projection.type === 'workload' && projection.workload.annotations).toEqual({
      n: '2',
      b: 'true',
      s: 'x',
      o: '{"a":1}',
    });
  });
});

describe('custom resources with a Pod template, Kustomizations and bad objects', () => {
  const extract = (yaml: string, file = 'crd.yaml') =>
    extractWorkloads(parseManifestText(yaml, file), { defaultNamespace: 'default' });
  const template = `
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: app
          image: nginx
          resources: { requests: { cpu: 100m } }`;

  it('audits an Argo Rollout and an OpenKruise CloneSet like Deployments, counted by kind', () => {
    const sut = extract(
      [
        `apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: { name: web, namespace: shop }\nspec:\n  replicas: 5\n  selector: { matchLabels: { app: web } }${template}`,
        `apiVersion: apps.kruise.io/v1alpha1\nkind: CloneSet\nmetadata: { name: cs }\nspec:${template}`,
        // A Rollout that points at a Deployment (workloadRef) has no template of its own: not a workload.
        `apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: { name: ref }\nspec:\n  workloadRef: { kind: Deployment, name: web }`,
      ].join('\n---\n'),
    );
    expect(sut.workloads.map((w) => [w.kind, w.namespace, w.name, w.replicas, w.selector])).toEqual([
      ['Rollout', 'shop', 'web', 5, { matchLabels: { app: 'web' } }],
      ['CloneSet', 'default', 'cs', 1, { matchLabels: { app: 'web' } }], // no spec.selector: the template labels
    ]);
    expect(sut.workloads[0].containers.map((c) => [c.name, c.path, c.requests])).toEqual([
      ['app', 'spec.template.spec.containers[0]', { cpu: 100 }],
    ]);
    expect(sut.customWorkloads).toEqual({ Rollout: 1, CloneSet: 1 });
    expect(sut.skipped).toEqual({ Rollout: 1 });
  });

  it('warns about a Kustomization instead of skipping it silently', () => {
    const sut = extract(
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [deployment.yaml]\n',
      'k8s/kustomization.yaml',
    );
    expect(sut.workloads).toEqual([]);
    expect(sut.skipped).toEqual({});
    expect(sut.warnings).toEqual([
      {
        code: 'kustomization',
        kind: 'Kustomization',
        file: 'k8s/kustomization.yaml',
        message:
          'k8s/kustomization.yaml is a Kustomization: render it with `kubectl kustomize` first ' +
          '(`kubectl kustomize DIR | opsagent scan -`); its resources are not read',
      },
    ]);
  });

  it('reports every bad object, not only the first', () => {
    const bad = (name: string, cpu: string) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: ${name} }\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          resources: { requests: { cpu: ${cpu} } }`;
    let error: unknown;
    try {
      extract([bad('a', '1x'), bad('ok', '1'), bad('b', '2y')].join('\n---\n'), 'two.yaml');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ManifestErrors);
    expect((error as ManifestErrors).errors.map((e) => [e.line, e.objectRef])).toEqual([
      [9, 'Deployment default/a'],
      [29, 'Deployment default/b'],
    ]);
  });
});
