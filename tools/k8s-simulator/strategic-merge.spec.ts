import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiException, AppsV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { startSimulator, type Simulator } from './simulator';
import { strategicMergePatch } from './writes';

const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', generation: 1 },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'web:1',
            env: [{ name: 'A', value: '1' }],
            resources: { requests: { cpu: '1', memory: '512Mi' }, limits: { cpu: '1', memory: '512Mi' } },
          },
          { name: 'proxy', image: 'envoy:1', resources: { requests: { cpu: '50m' } } },
        ],
      },
    },
  },
});

describe('strategicMergePatch (application/strategic-merge-patch+json)', () => {
  it('merges containers by name and keeps the other containers and keys', () => {
    const patch = {
      spec: { template: { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '88m' } } }] } } },
    };
    const out = strategicMergePatch(deployment(), patch) as ReturnType<typeof deployment>;
    expect(out.spec.template.spec.containers).toEqual([
      {
        name: 'app',
        image: 'web:1',
        env: [{ name: 'A', value: '1' }],
        resources: { requests: { cpu: '88m', memory: '512Mi' }, limits: { cpu: '1', memory: '512Mi' } },
      },
      { name: 'proxy', image: 'envoy:1', resources: { requests: { cpu: '50m' } } },
    ]);
    expect(out.spec.replicas).toBe(2);
  });

  it('appends an item with a new key, deletes one with $patch: delete, and replaces lists without a merge key', () => {
    const out = strategicMergePatch(deployment(), {
      spec: {
        template: {
          metadata: { labels: null },
          spec: {
            containers: [
              { name: 'proxy', $patch: 'delete' },
              { name: 'new', image: 'x:1' },
            ],
            tolerations: [{ key: 'a', operator: 'Exists' }],
          },
        },
      },
    }) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(out.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['app', 'new']);
    expect(out.spec.template.metadata).toEqual({});
    expect(out.spec.template.spec.tolerations).toEqual([{ key: 'a', operator: 'Exists' }]);
  });

  it('refuses a list item without its merge key, as the API server does', () => {
    expect(() =>
      strategicMergePatch(deployment(), { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }),
    ).toThrow('does not contain declared merge key: name');
  });
});

describe('PATCH of a workload in the simulator, with the real client-node', () => {
  let sim: Simulator;
  let apps: AppsV1Api;
  let dir: string;

  async function start(patchableWorkloads: boolean) {
    sim = await startSimulator({ objects: [deployment()], patchableWorkloads });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-smp-'));
    sim.writeKubeconfig(path.join(dir, 'kubeconfig'));
    const kc = new KubeConfig();
    kc.loadFromFile(path.join(dir, 'kubeconfig'));
    apps = kc.makeApiClient(AppsV1Api);
  }

  afterEach(async () => {
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
  const cpuPatch = (cpu: string) => ({
    spec: { template: { spec: { containers: [{ name: 'app', resources: { requests: { cpu } } }] } } },
  });

  it('applies a strategic merge patch of containers by name and bumps the generation', async () => {
    await start(true);
    const out = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: 'shop', body: cpuPatch('88m') },
      strategic,
    );
    expect(out.spec?.template.spec?.containers.map((c) => [c.name, c.resources])).toEqual([
      ['app', { requests: { cpu: '88m', memory: '512Mi' }, limits: { cpu: '1', memory: '512Mi' } }],
      ['proxy', { requests: { cpu: '50m' } }],
    ]);
    expect(out.metadata?.generation).toBe(2);
    const read = await apps.readNamespacedDeployment({ name: 'web', namespace: 'shop' });
    expect(read.spec?.template.spec?.containers[0].resources?.requests).toEqual({ cpu: '88m', memory: '512Mi' });
  });

  it('refuses a request above its limit with 422 Invalid, naming the field', async () => {
    await start(true);
    const err = await apps
      .patchNamespacedDeployment({ name: 'web', namespace: 'shop', body: cpuPatch('2') }, strategic)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<string>).code).toBe(422);
    expect(JSON.parse((err as ApiException<string>).body)).toMatchObject({
      reason: 'Invalid',
      message:
        'Deployment.apps "web" is invalid: spec.template.spec.containers[0].resources.requests: Invalid value: "2": ' +
        'must be less than or equal to cpu limit of 1',
    });
  });

  it('keeps workloads read-only (405) without patchableWorkloads', async () => {
    await start(false);
    const err = await apps
      .patchNamespacedDeployment({ name: 'web', namespace: 'shop', body: cpuPatch('88m') }, strategic)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((err as ApiException<string>).code).toBe(405);
  });
});
