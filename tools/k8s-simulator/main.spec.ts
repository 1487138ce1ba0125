import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { start } from './main';
import type { Simulator } from './simulator';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');

describe('k8s-simulator CLI', () => {
  let dir: string;
  let out: string;
  let err: string;
  const io = { stdout: (t: string) => (out += t), stderr: (t: string) => (err += t) };
  const running: Simulator[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-sim-cli-'));
    out = '';
    err = '';
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function run(argv: string[]): Promise<Simulator> {
    const result = await start(argv, io);
    if (typeof result === 'number') throw new Error(`exit ${result}: ${err}`);
    running.push(result);
    return result;
  }

  it('serves the demo cluster with a token and writes a kubeconfig the client uses', async () => {
    const kubeconfig = path.join(dir, 'nested', 'kubeconfig');
    const sim = await run(['--port', '0', '--token', 'demo-token', '--kubeconfig', kubeconfig, '--demo']);
    expect(out).toBe(`${sim.url}\n`);
    expect(err).toContain('demo cluster (seed 42)');
    expect(fs.statSync(kubeconfig).mode & 0o777).toBe(0o600);

    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const list = await kc.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: 'shop' });
    expect(list.items.map((d) => d.metadata?.name)).toContain('catalog');
    const metrics = await fetch(`${sim.url}/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods`, {
      headers: { authorization: 'Bearer demo-token' },
    });
    expect(((await metrics.json()) as { items: unknown[] }).items.length).toBeGreaterThan(10);
  });

  it('loads manifests from paths with the shared manifest reader', async () => {
    const sim = await run(['--port', '0', EXAMPLES]);
    const res = await fetch(`${sim.url}/apis/apps/v1/namespaces/shop/deployments`);
    const names = ((await res.json()) as { items: { metadata: { name: string } }[] }).items.map((d) => d.metadata.name);
    expect(names).toEqual(expect.arrayContaining(['checkout', 'frontend']));
    expect(err).toContain('no --token');
  });

  it('exits 2 on an unreadable path or a bad flag', async () => {
    expect(await start(['--port', '0', path.join(dir, 'missing.yaml')], io)).toBe(2);
    expect(err).toContain('missing.yaml: cannot read');
    expect(await start(['--port', 'x'], io)).toBe(2);
  });
});
