import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AutoscalingV2Api, CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { startSimulator, type Simulator } from './simulator';

/** LimitRanges (core/v1) and HorizontalPodAutoscalers (autoscaling/v2) served as the API server serves them. */

const TOKEN = 'sim-autoscaling-token';

const limitRange = (namespace: string, name: string) => ({
  apiVersion: 'v1',
  kind: 'LimitRange',
  metadata: { name, namespace },
  spec: { limits: [{ type: 'Container', default: { cpu: '500m' }, defaultRequest: { cpu: '100m', memory: '128Mi' } }] },
});

const hpa = (namespace: string, name: string, utilization = 70) => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name, namespace },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
    minReplicas: 2,
    maxReplicas: 10,
    metrics: [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: utilization } } },
    ],
  },
});

describe('simulator: LimitRanges and HPAs through the real @kubernetes/client-node', () => {
  let sim: Simulator;
  let kc: KubeConfig;
  let dir: string;

  beforeAll(async () => {
    sim = await startSimulator({
      token: TOKEN,
      objects: [
        limitRange('b', 'defaults'),
        limitRange('a', 'defaults'),
        limitRange('a', 'second'),
        hpa('shop', 'web'),
        hpa('shop', 'api', 50),
        hpa('team', 'worker'),
      ],
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-autoscaling-'));
    sim.writeKubeconfig(path.join(dir, 'kubeconfig'));
    kc = new KubeConfig();
    kc.loadFromFile(path.join(dir, 'kubeconfig'));
  });

  afterAll(async () => {
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const raw = async (p: string) =>
    (await (await fetch(`${sim.url}${p}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
      resources?: { name: string; kind: string; namespaced: boolean; verbs: string[] }[];
      groups?: { name: string; preferredVersion: { groupVersion: string } }[];
    };

  it('advertises limitranges in /api/v1 and horizontalpodautoscalers in /apis/autoscaling/v2', async () => {
    expect((await raw('/api/v1')).resources).toContainEqual(
      expect.objectContaining({ name: 'limitranges', kind: 'LimitRange', namespaced: true }),
    );
    const autoscaling = await raw('/apis/autoscaling/v2');
    expect(autoscaling.resources).toContainEqual(
      expect.objectContaining({
        name: 'horizontalpodautoscalers',
        kind: 'HorizontalPodAutoscaler',
        verbs: expect.arrayContaining(['get', 'list', 'watch']),
      }),
    );
    expect((await raw('/apis')).groups).toContainEqual(
      expect.objectContaining({
        name: 'autoscaling',
        preferredVersion: expect.objectContaining({ groupVersion: 'autoscaling/v2' }),
      }),
    );
  });

  it('lists LimitRanges page by page (limit/continue), typed by the client', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const first = await core.listLimitRangeForAllNamespaces({ limit: 2 });
    expect(first.items.map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`)).toEqual(['a/defaults', 'a/second']);
    expect(first.metadata?._continue).toBeTruthy();
    const second = await core.listLimitRangeForAllNamespaces({ limit: 2, _continue: first.metadata?._continue });
    expect(second.items.map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`)).toEqual(['b/defaults']);
    expect(second.metadata?._continue).toBeFalsy();
    expect(second.items[0].spec?.limits[0]).toMatchObject({ type: 'Container', defaultRequest: { cpu: '100m' } });
    const inA = await core.listNamespacedLimitRange({ namespace: 'a' });
    expect(inA.items).toHaveLength(2);
  });

  it('lists and gets HPAs of autoscaling/v2 with their metrics', async () => {
    const autoscaling = kc.makeApiClient(AutoscalingV2Api);
    const all = await autoscaling.listHorizontalPodAutoscalerForAllNamespaces({ limit: 2 });
    expect(all.items.map((i) => i.metadata?.name)).toEqual(['api', 'web']);
    const rest = await autoscaling.listHorizontalPodAutoscalerForAllNamespaces({ _continue: all.metadata?._continue });
    expect(rest.items.map((i) => i.metadata?.name)).toEqual(['worker']);
    const web = await autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace: 'shop', name: 'web' });
    expect(web.kind).toBe('HorizontalPodAutoscaler');
    expect(web.apiVersion).toBe('autoscaling/v2');
    expect(web.spec?.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' });
    expect(web.spec?.metrics?.[0].resource?.target).toEqual({ type: 'Utilization', averageUtilization: 70 });
  });

  it('watches HPAs: the current objects, then a change', async () => {
    const events: { type: string; name: string; utilization?: number }[] = [];
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const controller = await new Watch(kc).watch(
      '/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers',
      {},
      (type, object: ReturnType<typeof hpa>) => {
        events.push({
          type,
          name: object.metadata.name,
          utilization: object.spec.metrics[0].resource.target.averageUtilization,
        });
        if (events.length >= 3) done();
      },
      () => done(),
    );
    sim.upsert(hpa('shop', 'web', 80));
    const deadline = setTimeout(done, 20_000);
    await finished;
    clearTimeout(deadline);
    controller.abort();
    expect(events).toEqual([
      { type: 'ADDED', name: 'api', utilization: 50 },
      { type: 'ADDED', name: 'web', utilization: 70 },
      { type: 'MODIFIED', name: 'web', utilization: 80 },
    ]);
  });
});
