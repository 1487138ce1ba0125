import http from 'node:http';
import { startSimulator, type Simulator } from './simulator';

const PODS = 60_000;
const NAMESPACES = 40;

/** A Pod of about 0.7 KB of JSON (real ones are 5–13 KB; the size does not change the code path). */
function pod(i: number): Record<string, unknown> {
  const name = `app-${String(i % 997).padStart(3, '0')}-${String(i).padStart(6, '0')}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: `team-${String(i % NAMESPACES).padStart(2, '0')}`,
      labels: { 'app.kubernetes.io/name': `app-${i % 997}`, 'pod-template-hash': '5d8f7c9b4' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: `app-${i % 997}-5d8f7c9b4`,
          uid: `rs-${i % 997}`,
          controller: true,
        },
      ],
    },
    spec: {
      nodeName: `worker-${i % 50}`,
      containers: [
        {
          name: 'main',
          image: 'ghcr.io/example/app:1.0.0',
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
        },
      ],
    },
    status: { phase: 'Running', podIP: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, qosClass: 'Burstable' },
  };
}

/** Reads a response without parsing it: only the server's work is measured. */
function download(url: string): Promise<{ bytes: number; contentLength: number }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => resolve({ bytes, contentLength: Number(res.headers['content-length']) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

describe('k8s simulator at 60,000 Pods', () => {
  let sut: Simulator;

  beforeAll(async () => {
    const pods = Array.from({ length: PODS }, (_, i) => pod(i));
    sut = await startSimulator({ objects: pods });
  }, 60_000);

  afterAll(() => sut.close());

  it('pages through every Pod once, in key order, quickly', async () => {
    const started = performance.now();
    const keys: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = await fetch(`${sut.url}/api/v1/pods?limit=500${token ? `&continue=${token}` : ''}`);
      const page = (await res.json()) as {
        metadata: { continue?: string; remainingItemCount?: number };
        items: { metadata: { namespace: string; name: string } }[];
      };
      for (const item of page.items) keys.push(`${item.metadata.namespace}/${item.metadata.name}`);
      if (pages === 0) expect(page.metadata.remainingItemCount).toBe(PODS - 500);
      token = page.metadata.continue;
      pages++;
    } while (token);
    const elapsed = performance.now() - started;

    expect(pages).toBe(PODS / 500);
    expect(new Set(keys).size).toBe(PODS);
    expect(keys).toEqual([...keys].sort());
    // Typically ~2 s including the client's JSON.parse; the bound only catches a pathological slowdown.
    expect(elapsed).toBeLessThan(20_000);
  }, 60_000);

  it('streams the whole list in one response with a correct Content-Length', async () => {
    const { bytes, contentLength } = await download(`${sut.url}/api/v1/pods`);
    expect(bytes).toBe(contentLength);
    // 40 MB: far above the 4 MB from which the body is streamed in batches.
    expect(bytes).toBeGreaterThan(PODS * 600);
  }, 60_000);

  it('serves one namespace and a label selector without reading past the range', async () => {
    const res = await fetch(`${sut.url}/api/v1/namespaces/team-07/pods?labelSelector=app.kubernetes.io/name%3Dapp-7`);
    const list = (await res.json()) as { items: { metadata: { name: string } }[] };
    // i ≡ 7 (mod 40) and i ≡ 7 (mod 997): i = 7 + 39880·k
    expect(list.items.map((p) => p.metadata.name)).toEqual(['app-007-000007', 'app-007-039887']);
  });
});
