import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ApiException,
  ApisApi,
  AppsV1Api,
  CoreApi,
  CoreV1Api,
  KubeConfig,
  Metrics,
  VersionApi,
  type V1DeploymentList,
} from '@kubernetes/client-node';
import { startSimulator, type Simulator } from './simulator';
import { EXPIRED_CONTINUE_MESSAGE } from './status';

const TOKEN = 'sim-test-token';

function deployment(namespace: string, name: string, labels: Record<string, string> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name, ...labels } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image: `example/${name}:1`, resources: { requests: { cpu: '100m' } } }] },
      },
    },
  };
}

function pod(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  phase = 'Running',
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: {
      containers: [{ name: 'main', image: 'example/app:1', resources: { requests: { cpu: '200m', memory: '256Mi' } } }],
    },
    status: { phase },
  };
}

/** Seven Deployments in three namespaces; in key order: a/api, a/web, b/db, b/queue, b/web, c/cache, c/worker. */
const DEPLOYMENTS = [
  deployment('b', 'web', { tier: 'web' }),
  deployment('a', 'web', { tier: 'web' }),
  deployment('a', 'api', { tier: 'backend' }),
  deployment('b', 'db', { tier: 'db' }),
  deployment('b', 'queue', {}),
  deployment('c', 'worker', { tier: 'backend' }),
  deployment('c', 'cache', { tier: 'db' }),
];
const ALL_KEYS = ['a/api', 'a/web', 'b/db', 'b/queue', 'b/web', 'c/cache', 'c/worker'];

const STATIC_POD_METRICS = ['m1', 'm2', 'm3'].map((name) => ({
  apiVersion: 'metrics.k8s.io/v1beta1',
  kind: 'PodMetrics',
  metadata: { name, namespace: 'a', labels: { app: name } },
  timestamp: '2026-11-20T08:00:00Z',
  window: '30s',
  containers: [{ name: 'main', usage: { cpu: '12345678n', memory: '81920Ki' } }],
}));

const keyOf = (d: { metadata?: { namespace?: string; name?: string } }) =>
  `${d.metadata?.namespace}/${d.metadata?.name}`;

/** The parsed `Status` body client-node keeps as a string on ApiException. */
function statusOf(err: unknown): Record<string, unknown> {
  expect(err).toBeInstanceOf(ApiException);
  return JSON.parse((err as ApiException<string>).body) as Record<string, unknown>;
}

async function waitUntil(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('k8s simulator, read through the real @kubernetes/client-node', () => {
  let sut: Simulator;
  let dir: string;
  let kubeconfig: string;
  let kc: KubeConfig;
  let apps: AppsV1Api;
  let core: CoreV1Api;

  const raw = (p: string, init: RequestInit = {}) =>
    fetch(`${sut.url}${p}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, ...init.headers } });

  beforeAll(async () => {
    sut = await startSimulator({
      token: TOKEN,
      objects: [
        ...DEPLOYMENTS,
        pod('a', 'web-1', { app: 'web' }),
        pod('a', 'web-2', { app: 'web' }),
        pod('b', 'done', { app: 'job' }, 'Succeeded'),
        ...STATIC_POD_METRICS,
      ],
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-sim-'));
    kubeconfig = path.join(dir, 'kubeconfig');
    sut.writeKubeconfig(kubeconfig);
    kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    apps = kc.makeApiClient(AppsV1Api);
    core = kc.makeApiClient(CoreV1Api);
  });

  afterEach(() => {
    sut.clearFaults();
    sut.clearLog();
    sut.setMetricsAvailable(true);
  });

  afterAll(async () => {
    await sut.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes a kubeconfig the client accepts for plain http', () => {
    const text = fs.readFileSync(kubeconfig, 'utf8');
    expect(text).toContain(`server: ${sut.url}`);
    expect(text).toContain('insecure-skip-tls-verify: true');
    expect(kc.getCurrentCluster()).toMatchObject({ server: sut.url, skipTLSVerify: true });
    expect(kc.getCurrentUser()?.token).toBe(TOKEN);
    expect(sut.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  describe('lists', () => {
    it('pages with limit/continue: every object once, in key order, with remainingItemCount', async () => {
      const seen: string[] = [];
      const remaining: (number | undefined)[] = [];
      const versions = new Set<string | undefined>();
      let token: string | undefined;
      let pages = 0;
      do {
        const page: V1DeploymentList = await apps.listDeploymentForAllNamespaces({ limit: 2, _continue: token });
        pages++;
        seen.push(...page.items.map(keyOf));
        remaining.push(page.metadata?.remainingItemCount);
        versions.add(page.metadata?.resourceVersion);
        token = page.metadata?._continue;
      } while (token);

      expect(pages).toBe(4);
      expect(seen).toEqual(ALL_KEYS);
      expect(remaining).toEqual([5, 3, 1, undefined]);
      expect(versions.size).toBe(1);
    });

    it('omits kind and apiVersion on list items, as the API server does', async () => {
      const body = (await (await raw('/apis/apps/v1/deployments?limit=1')).json()) as Record<string, unknown>;
      expect(body).toMatchObject({ kind: 'DeploymentList', apiVersion: 'apps/v1' });
      const item = (body.items as Record<string, unknown>[])[0];
      expect(item.kind).toBeUndefined();
      expect(item.apiVersion).toBeUndefined();
      expect(item.metadata).toMatchObject({ name: 'api', namespace: 'a', uid: expect.any(String) });
    });

    it('keeps later pages consistent with the first while objects change', async () => {
      const first = await apps.listDeploymentForAllNamespaces({ limit: 3 });
      expect(first.items.map(keyOf)).toEqual(['a/api', 'a/web', 'b/db']);
      const rvBefore = first.metadata?.resourceVersion;

      // Between pages: one created before the cursor, one after, one deleted, one modified.
      sut.upsert(deployment('a', 'aaa'));
      sut.upsert(deployment('b', 'zzz'));
      expect(sut.remove('apps/v1/Deployment', 'c', 'cache')).toBe(true);
      sut.upsert(deployment('b', 'queue', { changed: 'yes' }));
      try {
        const rest = [];
        let token = first.metadata?._continue;
        while (token) {
          const page = await apps.listDeploymentForAllNamespaces({ limit: 3, _continue: token });
          expect(page.metadata?.resourceVersion).toBe(rvBefore);
          rest.push(...page.items);
          token = page.metadata?._continue;
        }
        expect(rest.map(keyOf)).toEqual(['b/queue', 'b/web', 'c/cache', 'c/worker']);
        expect(rest[0].metadata?.labels?.changed).toBeUndefined();

        const fresh = await apps.listDeploymentForAllNamespaces();
        expect(fresh.items.map(keyOf)).toEqual([
          'a/aaa',
          'a/api',
          'a/web',
          'b/db',
          'b/queue',
          'b/web',
          'b/zzz',
          'c/worker',
        ]);
        expect(Number(fresh.metadata?.resourceVersion)).toBeGreaterThan(Number(rvBefore));
      } finally {
        sut.remove('apps/v1/Deployment', 'a', 'aaa');
        sut.remove({ apiVersion: 'apps/v1', kind: 'Deployment' }, 'b', 'zzz');
        sut.upsert(deployment('c', 'cache', { tier: 'db' }));
        sut.upsert(deployment('b', 'queue', {}));
      }
    });

    it('lists one namespace, paged', async () => {
      const first = await apps.listNamespacedDeployment({ namespace: 'b', limit: 2 });
      expect(first.items.map(keyOf)).toEqual(['b/db', 'b/queue']);
      expect(first.metadata?.remainingItemCount).toBe(1);
      const second = await apps.listNamespacedDeployment({
        namespace: 'b',
        limit: 2,
        _continue: first.metadata?._continue,
      });
      expect(second.items.map(keyOf)).toEqual(['b/web']);
      expect(second.metadata?._continue).toBeUndefined();
      expect((await apps.listNamespacedDeployment({ namespace: 'nope' })).items).toEqual([]);
    });

    it.each([
      ['tier=web', ['a/web', 'b/web']],
      ['tier==web', ['a/web', 'b/web']],
      ['tier!=web', ['a/api', 'b/db', 'b/queue', 'c/cache', 'c/worker']],
      ['tier in (db, backend)', ['a/api', 'b/db', 'c/cache', 'c/worker']],
      ['tier notin (db,backend)', ['a/web', 'b/queue', 'b/web']],
      ['tier', ['a/api', 'a/web', 'b/db', 'b/web', 'c/cache', 'c/worker']],
      ['!tier', ['b/queue']],
      ['tier=db,app=cache', ['c/cache']],
    ])('filters by labelSelector %s', async (labelSelector, expected) => {
      const list = await apps.listDeploymentForAllNamespaces({ labelSelector });
      expect(list.items.map(keyOf)).toEqual(expected);
    });

    it('pages a filtered list without remainingItemCount', async () => {
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await apps.listDeploymentForAllNamespaces({ labelSelector: 'tier', limit: 2, _continue: token });
        expect(page.metadata?.remainingItemCount).toBeUndefined();
        seen.push(...page.items.map(keyOf));
        token = page.metadata?._continue;
      } while (token);
      expect(seen).toEqual(['a/api', 'a/web', 'b/db', 'b/web', 'c/cache', 'c/worker']);
    });

    it('filters by fieldSelector on metadata.name and metadata.namespace', async () => {
      const byName = await apps.listDeploymentForAllNamespaces({ fieldSelector: 'metadata.name=web' });
      expect(byName.items.map(keyOf)).toEqual(['a/web', 'b/web']);
      const notB = await apps.listDeploymentForAllNamespaces({ fieldSelector: 'metadata.namespace!=b' });
      expect(notB.items.map(keyOf)).toEqual(['a/api', 'a/web', 'c/cache', 'c/worker']);
      const running = await core.listPodForAllNamespaces({ fieldSelector: 'status.phase=Running' });
      expect(running.items.map(keyOf)).toEqual(['a/web-1', 'a/web-2']);
    });

    it.each([
      ['labelSelector', 'tier in (a'],
      ['labelSelector', 'tier=a b'],
      ['labelSelector', '=x'],
      ['fieldSelector', 'spec.replicas=1'],
      ['limit', 'ten'],
    ])('answers 400 BadRequest to %s=%s', async (param, value) => {
      const res = await raw(`/apis/apps/v1/deployments?${new URLSearchParams({ [param]: value })}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
    });

    it('surfaces a bad selector through the client as ApiException 400', async () => {
      const err = await rejection(apps.listDeploymentForAllNamespaces({ labelSelector: 'tier in (' }));
      expect((err as ApiException<string>).code).toBe(400);
      expect(statusOf(err)).toMatchObject({ reason: 'BadRequest' });
    });

    it('lists synthesized Namespaces for every namespace with objects', async () => {
      const list = await core.listNamespace();
      expect(list.items.map((n) => n.metadata?.name)).toEqual(['a', 'b', 'c']);
      expect(list.items[0].metadata?.labels).toEqual({ 'kubernetes.io/metadata.name': 'a' });
      expect((await core.readNamespace({ name: 'b' })).status?.phase).toBe('Active');
    });
  });

  describe('continue tokens', () => {
    it('answers 410 Expired with a fresh token when the token has expired; client-node throws ApiException 410', async () => {
      const first = await apps.listDeploymentForAllNamespaces({ limit: 2 });
      sut.inject({ path: '/apis/apps/v1/deployments', expireContinue: true, times: 1 });

      const err = await rejection(
        apps.listDeploymentForAllNamespaces({ limit: 2, _continue: first.metadata?._continue }),
      );
      // client-node 2.0.1 has no special handling: a plain ApiException, code 410, the Status JSON as a string body.
      expect(err).toBeInstanceOf(ApiException);
      expect((err as ApiException<string>).code).toBe(410);
      expect((err as Error).message).toContain('HTTP-Code: 410');
      const status = statusOf(err);
      expect(status).toMatchObject({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        reason: 'Expired',
        code: 410,
        message: EXPIRED_CONTINUE_MESSAGE,
      });
      const fresh = (status.metadata as { continue?: string }).continue;
      expect(fresh).toEqual(expect.any(String));

      // The fresh token resumes after the last key seen, at the current resourceVersion.
      const rest = await apps.listDeploymentForAllNamespaces({ limit: 10, _continue: fresh });
      expect(rest.items.map(keyOf)).toEqual(ALL_KEYS.slice(2));
    });

    it('expires tokens older than continueTtlMs', async () => {
      let clock = Date.parse('2026-11-20T08:00:00Z');
      const sim = await startSimulator({ objects: DEPLOYMENTS, continueTtlMs: 60_000, now: () => clock });
      try {
        const list = (q: string) => fetch(`${sim.url}/apis/apps/v1/deployments?${q}`);
        const first = (await (await list('limit=2')).json()) as V1DeploymentList & { metadata: { continue: string } };
        clock += 30_000;
        const second = await list(`limit=2&continue=${first.metadata.continue}`);
        expect(second.status).toBe(200);
        clock += 61_000;
        const late = await list(`limit=2&continue=${first.metadata.continue}`);
        expect(late.status).toBe(410);
        expect(await late.json()).toMatchObject({ reason: 'Expired', metadata: { continue: expect.any(String) } });
      } finally {
        await sim.close();
      }
    });

    it('answers 410 for a token whose snapshot is gone after the cluster changed', async () => {
      const first = await apps.listDeploymentForAllNamespaces({ limit: 2 });
      const token = first.metadata?._continue as string;
      const decoded = JSON.parse(Buffer.from(token, 'base64url').toString()) as {
        v: string;
        rv: number;
        start: string;
      };
      expect(decoded).toEqual({
        v: 'meta.k8s.io/v1',
        rv: Number(first.metadata?.resourceVersion),
        start: 'a/web\u0000',
      });
      const forged = Buffer.from(JSON.stringify({ ...decoded, rv: 1 })).toString('base64url');
      const err = await rejection(apps.listDeploymentForAllNamespaces({ limit: 2, _continue: forged }));
      expect((err as ApiException<string>).code).toBe(410);
    });

    it('answers 400 BadRequest to an undecodable token', async () => {
      const err = await rejection(apps.listDeploymentForAllNamespaces({ limit: 2, _continue: 'not a token!' }));
      expect((err as ApiException<string>).code).toBe(400);
      expect(statusOf(err)).toMatchObject({
        reason: 'BadRequest',
        message: expect.stringContaining('continue key is not valid'),
      });
    });
  });

  describe('objects, errors and auth', () => {
    it('gets one object with kind and apiVersion', async () => {
      const d = await apps.readNamespacedDeployment({ namespace: 'a', name: 'web' });
      expect(d).toMatchObject({ kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'web', namespace: 'a' } });
      expect(d.metadata?.resourceVersion).toMatch(/^\d+$/);
      expect(d.metadata?.creationTimestamp).toBeInstanceOf(Date);
    });

    it('answers 404 NotFound as a Status', async () => {
      const err = await rejection(apps.readNamespacedDeployment({ namespace: 'a', name: 'missing' }));
      expect((err as ApiException<string>).code).toBe(404);
      expect(statusOf(err)).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'deployments.apps "missing" not found',
        reason: 'NotFound',
        details: { name: 'missing', group: 'apps', kind: 'deployments' },
        code: 404,
      });
      const unknown = await raw('/apis/apps/v1/widgets');
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toMatchObject({ reason: 'NotFound' });
      const nowhere = await raw('/nowhere');
      expect(nowhere.status).toBe(404);
      expect(await nowhere.text()).toBe('404 page not found\n');
    });

    it('answers 401 Unauthorized without the bearer token, or with a wrong one', async () => {
      const res = await fetch(`${sut.url}/apis/apps/v1/deployments`);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });

      const wrong = new KubeConfig();
      wrong.loadFromString(fs.readFileSync(kubeconfig, 'utf8').replace(TOKEN, 'wrong-token'));
      const err = await rejection(wrong.makeApiClient(AppsV1Api).listDeploymentForAllNamespaces());
      expect(err).toBeInstanceOf(ApiException);
      expect((err as ApiException<unknown>).code).toBe(401);
      // The generated client drops the 401 body.
      expect((err as ApiException<unknown>).body).toBeUndefined();
      // /version is public, as with anonymous auth.
      expect((await fetch(`${sut.url}/version`)).status).toBe(200);
    });

    it.each(['POST', 'PUT', 'PATCH', 'DELETE'])('refuses %s with 405 MethodNotAllowed and logs it', async (method) => {
      const res = await raw('/apis/apps/v1/namespaces/a/deployments', {
        method,
        body: JSON.stringify(deployment('a', 'new')),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(405);
      expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed', code: 405 });
      expect(sut.requests.filter((r) => r.method !== 'GET')).toEqual([
        expect.objectContaining({ method, path: '/apis/apps/v1/namespaces/a/deployments', status: 405 }),
      ]);
    });

    it('logs requests with path, query, status, bytes and duration', async () => {
      await apps.listDeploymentForAllNamespaces({ limit: 2, labelSelector: 'tier' });
      expect(sut.requests).toEqual([
        {
          method: 'GET',
          path: '/apis/apps/v1/deployments',
          query: { labelSelector: 'tier', limit: '2' },
          status: 200,
          bytes: expect.any(Number),
          durationMs: expect.any(Number),
          time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          faults: [],
        },
      ]);
      expect(sut.requests[0].bytes).toBeGreaterThan(100);
    });

    it('answers HEAD without a body', async () => {
      const res = await raw('/apis/apps/v1/deployments', { method: 'HEAD' });
      expect(res.status).toBe(200);
      expect(Number(res.headers.get('content-length'))).toBeGreaterThan(0);
      expect(await res.text()).toBe('');
    });
  });

  describe('faults', () => {
    it('fails once with 503 (times: 1), then succeeds', async () => {
      const id = sut.inject({ path: '/apis/apps/v1/deployments', status: 503, times: 1 });
      const err = await rejection(apps.listDeploymentForAllNamespaces());
      expect((err as ApiException<string>).code).toBe(503);
      expect(statusOf(err)).toMatchObject({ reason: 'ServiceUnavailable', code: 503 });
      expect((await apps.listDeploymentForAllNamespaces()).items).toHaveLength(7);
      expect(sut.requests.map((r) => [r.status, r.faults])).toEqual([
        [503, [id]],
        [200, []],
      ]);
    });

    it('matches prefixes ending in *, regular expressions and methods', async () => {
      sut.inject({ path: '/apis/apps/*', status: 500 });
      sut.inject({ path: /\/pods$/, method: 'get', status: 429, retryAfterSeconds: 7 });
      expect((await raw('/apis/apps/v1/namespaces/a/deployments')).status).toBe(500);
      const limited = await raw('/api/v1/pods');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('7');
      expect(await limited.json()).toMatchObject({ reason: 'TooManyRequests', details: { retryAfterSeconds: 7 } });
      expect((await raw('/api/v1/namespaces')).status).toBe(200);
    });

    it('sends a raw body with its content type', async () => {
      sut.inject({
        path: '/apis/apps/v1/deployments',
        status: 502,
        body: '<html>bad gateway</html>',
        contentType: 'text/html',
      });
      const res = await raw('/apis/apps/v1/deployments');
      expect(res.status).toBe(502);
      expect(res.headers.get('content-type')).toBe('text/html');
      expect(await res.text()).toBe('<html>bad gateway</html>');
    });

    it('delays the response by latencyMs', async () => {
      sut.inject({ path: '/apis/apps/v1/deployments', latencyMs: 200 });
      const started = performance.now();
      await apps.listDeploymentForAllNamespaces();
      expect(performance.now() - started).toBeGreaterThanOrEqual(190);
      // A client-side timeout (the agent must set one: client-node has none) aborts the wait.
      const aborted = await rejection(raw('/apis/apps/v1/deployments', { signal: AbortSignal.timeout(50) }));
      expect((aborted as Error).name).toBe('TimeoutError');
    });

    it('hangs: no answer at all until the client gives up, and close() ends the wait', async () => {
      sut.inject({ path: '/apis/authentication.k8s.io/v1/tokenreviews', method: 'POST', hang: true });
      const aborted = await rejection(
        raw('/apis/authentication.k8s.io/v1/tokenreviews', { method: 'POST', signal: AbortSignal.timeout(300) }),
      );
      expect((aborted as Error).name).toBe('TimeoutError');
      for (let i = 0; i < 100 && sut.requests[0]?.outcome === undefined; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(sut.requests[0]).toMatchObject({ status: 0, outcome: 'client-closed' });
      // Other paths still answer.
      expect((await raw('/api')).status).toBe(200);

      const other = await startSimulator({ token: TOKEN });
      other.inject({ path: '*', hang: true });
      const pending = rejection(fetch(`${other.url}/api`, { headers: { authorization: `Bearer ${TOKEN}` } }));
      for (let i = 0; i < 100 && other.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      await other.close();
      expect(await pending).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    });

    it('drops the connection before the headers: the client sees "fetch failed"', async () => {
      sut.inject({ path: '/apis/apps/v1/deployments', drop: 'before-headers', times: 1 });
      const err = await rejection(apps.listDeploymentForAllNamespaces());
      expect(err).toBeInstanceOf(TypeError);
      expect((err as Error).message).toBe('fetch failed');
      expect((err as Error).cause).toMatchObject({ code: 'UND_ERR_SOCKET', message: 'other side closed' });
      expect(sut.requests[0]).toMatchObject({ status: 0, outcome: 'dropped-before-headers' });
      // The connection pool recovers.
      expect((await apps.listDeploymentForAllNamespaces()).items).toHaveLength(7);
    });

    it('drops the connection mid-body: reading the body fails', async () => {
      sut.inject({ path: '/apis/apps/v1/deployments', drop: 'mid-body', times: 1 });
      const err = await rejection(apps.listDeploymentForAllNamespaces());
      expect(err).toBeInstanceOf(TypeError);
      expect((err as Error).message).toBe('terminated');
      expect(sut.requests[0]).toMatchObject({ status: 200, outcome: 'dropped-mid-body' });
      expect(sut.requests[0].bytes).toBeGreaterThan(0);
    });

    it('sends malformed JSON: the client fails to parse it', async () => {
      sut.inject({ path: '/apis/apps/v1/deployments', malformedJson: true });
      const err = await rejection(apps.listDeploymentForAllNamespaces({ limit: 2 }));
      expect(err).toBeInstanceOf(SyntaxError);
    });

    it('ignores limit (a server without chunking) when told to', async () => {
      sut.inject({ path: '/apis/apps/v1/deployments', ignoreLimit: true });
      const list = await apps.listDeploymentForAllNamespaces({ limit: 2 });
      expect(list.items).toHaveLength(7);
      expect(list.metadata?._continue).toBeUndefined();
    });

    /** Reads a response's body up to `max` bytes, then cancels it; the bytes read and the text of them. */
    async function readSome(res: Response, max: number): Promise<{ bytes: number; text: string; ended: boolean }> {
      const reader = res.body!.getReader();
      const parts: Uint8Array[] = [];
      let bytes = 0;
      let ended = false;
      while (bytes < max) {
        const { done, value } = await reader.read();
        if (done) {
          ended = true;
          break;
        }
        parts.push(value);
        bytes += value.byteLength;
      }
      if (!ended) await reader.cancel();
      return { bytes, text: Buffer.concat(parts).toString('utf8'), ended };
    }

    const settled = () => waitUntil(() => sut.requests.every((r) => r.durationMs > 0));

    it('sends a huge error body as it generates it, and stops when the client goes away', async () => {
      const total = 4 * 1024 ** 3; // 4 GiB: never held, or the test process would not survive it
      sut.inject({ path: '/apis/apps/v1/deployments', status: 500, hugeBodyBytes: total });
      const res = await raw('/apis/apps/v1/deployments');
      expect(res.status).toBe(500);
      expect(res.headers.get('content-length')).toBe(String(total));
      const start = await readSome(res, 1024 * 1024);
      expect(start.text).toMatch(
        /^\{"kind":"Status","apiVersion":"v1","metadata":\{\},"status":"Failure","message":"xxxx/,
      );
      await settled();
      expect(sut.requests[0]).toMatchObject({ status: 500, outcome: 'client-closed' });
      expect(sut.requests[0].bytes).toBeLessThan(64 * 1024 * 1024);
    });

    it('sends a huge body whole when read to the end: a valid Status, or plain text', async () => {
      sut.inject({ path: '/apis/apps/v1/deployments', status: 503, hugeBodyBytes: 300_000, times: 1 });
      const json = await raw('/apis/apps/v1/deployments');
      const text = await json.text();
      expect(Buffer.byteLength(text)).toBe(300_000);
      expect(JSON.parse(text)).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
      sut.inject({ path: '/apis/metrics.k8s.io/*', status: 503, hugeBodyBytes: 1000, contentType: 'text/plain' });
      const plain = await raw('/apis/metrics.k8s.io/v1beta1/pods');
      expect(plain.headers.get('content-type')).toBe('text/plain');
      expect(await plain.text()).toBe('x'.repeat(1000));
    });

    it('sends a list whose items never end (endlessItems), until the client goes away', async () => {
      sut.inject({ path: '/apis/apps/v1/deployments', endlessItems: true });
      const res = await raw('/apis/apps/v1/deployments?limit=2');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBeNull();
      const start = await readSome(res, 2 * 1024 * 1024);
      expect(start.ended).toBe(false);
      const names = [...start.text.matchAll(/"name":"(api-\d+)"/g)].map((m) => m[1]);
      expect(names.length).toBeGreaterThan(2);
      expect(names.slice(0, 3)).toEqual(['api-0', 'api-1', 'api-2']);
      await settled();
      expect(sut.requests[0].outcome).toBe('client-closed');
    });

    it('sends a PodMetrics list whose items never end (endlessItems): metrics-server has no limit either', async () => {
      sut.inject({ path: '/apis/metrics.k8s.io/v1beta1/pods', endlessItems: true });
      const res = await raw('/apis/metrics.k8s.io/v1beta1/pods');
      const start = await readSome(res, 1024 * 1024);
      expect(start.ended).toBe(false);
      expect(start.text).toMatch(/^\{"kind":"PodMetricsList".*"name":"m1-0".*"name":"m1-1"/s);
    });

    it('gives the first object of a page a huge label value (hugeLabelBytes), then the rest of the page', async () => {
      sut.inject({ path: '/apis/apps/v1/deployments', hugeLabelBytes: 200_000 });
      const list = (await (await raw('/apis/apps/v1/deployments?limit=3')).json()) as V1DeploymentList;
      expect(list.items.map(keyOf)).toEqual(['a/api', 'a/web', 'b/db']);
      expect(list.items[0].metadata?.labels?.huge).toBe('x'.repeat(200_000));
      expect(list.items[0].metadata?.labels?.app).toBe('api');
      expect(list.metadata?._continue ?? (list.metadata as { continue?: string }).continue).toBeDefined();
    });

    it('gives the first object of a page labels nested as deep as asked (nestedLabelDepth)', async () => {
      sut.inject({ path: '/api/v1/pods', nestedLabelDepth: 3 });
      const list = (await (await raw('/api/v1/pods')).json()) as { items: { metadata: { labels: unknown } }[] };
      expect(list.items[0].metadata.labels).toEqual({ app: 'web', nested: { a: { a: { a: 'deep' } } } });
      expect(list.items).toHaveLength(3);
    });

    it.each([
      ['repeat', 1],
      ['endless', 3],
    ] as const)('answers every page with the first page again (continueTokens: %s)', async (mode, distinct) => {
      sut.inject({ path: '/apis/apps/v1/deployments', continueTokens: mode });
      const tokens: string[] = [];
      let token: string | undefined;
      for (let i = 0; i < 3; i++) {
        const list = await apps.listDeploymentForAllNamespaces({ limit: 2, _continue: token });
        expect(list.items.map(keyOf)).toEqual(['a/api', 'a/web']);
        token = list.metadata?._continue;
        tokens.push(token!);
      }
      expect(new Set(tokens).size).toBe(distinct);
      // Still valid tokens once the fault is gone.
      sut.clearFaults();
      const after = await apps.listDeploymentForAllNamespaces({ limit: 2, _continue: token });
      expect(after.items.length).toBeGreaterThan(0);
    });

    it('removes faults with clearFaults and removeFault', async () => {
      const id = sut.inject({ path: '*', status: 500 });
      expect((await raw('/api')).status).toBe(500);
      expect(sut.removeFault(id)).toBe(true);
      expect((await raw('/api')).status).toBe(200);
    });
  });

  describe('metrics.k8s.io', () => {
    it('serves loaded PodMetrics, ignoring limit and continue', async () => {
      const res = await raw('/apis/metrics.k8s.io/v1beta1/pods?limit=1');
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {} });
      expect((body.items as unknown[]).length).toBe(3);
      expect((body.metadata as Record<string, unknown>).continue).toBeUndefined();

      const viaClient = await new Metrics(kc).getPodMetrics('a');
      expect(viaClient.items.map((i) => i.metadata.name)).toEqual(['m1', 'm2', 'm3']);
      expect(viaClient.items[0].containers[0].usage).toEqual({ cpu: '12345678n', memory: '81920Ki' });
      expect((await new Metrics(kc).getNodeMetrics()).items).toEqual([]);
    });

    it('answers 404 page not found and leaves discovery when metrics are unavailable', async () => {
      sut.setMetricsAvailable(false);
      const res = await raw('/apis/metrics.k8s.io/v1beta1/pods');
      expect(res.status).toBe(404);
      expect(await res.text()).toBe('404 page not found\n');
      const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
      expect(groups.groups.map((g) => g.name)).not.toContain('metrics.k8s.io');

      // client-node's Metrics helper JSON-parses every body, so a missing metrics-server surfaces as a 500.
      const err = await rejection(new Metrics(kc).getPodMetrics());
      expect((err as ApiException<unknown>).code).toBe(500);
      expect((err as Error).message).toContain('Error occurred in metrics request');
    });

    it('can answer 503 like an unavailable aggregated API', async () => {
      sut.inject({
        path: '/apis/metrics.k8s.io/*',
        status: 503,
        body: 'service unavailable\n',
        contentType: 'text/plain; charset=utf-8',
      });
      const res = await raw('/apis/metrics.k8s.io/v1beta1/pods');
      expect(res.status).toBe(503);
      expect(await res.text()).toBe('service unavailable\n');
    });

    it('generates PodMetrics per request from a metricsProvider, varying per poll', async () => {
      const polls: number[] = [];
      const sim = await startSimulator({
        objects: [
          pod('a', 'web-1', { app: 'web' }),
          pod('a', 'web-2', { app: 'web' }),
          pod('b', 'api-1', { app: 'api' }),
          pod('b', 'done', { app: 'job' }, 'Succeeded'),
        ],
        metricsProvider: (p, poll) => {
          polls.push(poll);
          return [{ name: 'main', usage: { cpu: `${(poll + 1) * 1_000_000}n`, memory: `${1024 * (poll + 1)}Ki` } }];
        },
      });
      try {
        const get = async (p: string) => (await fetch(`${sim.url}${p}`)).json() as Promise<Record<string, unknown>>;
        const first = await get('/apis/metrics.k8s.io/v1beta1/pods?limit=1');
        const items = first.items as Record<string, Record<string, unknown>>[];
        expect(items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`)).toEqual([
          'a/web-1',
          'a/web-2',
          'b/api-1',
        ]);
        expect(items[0]).toEqual({
          metadata: { name: 'web-1', namespace: 'a', creationTimestamp: expect.any(String), labels: { app: 'web' } },
          timestamp: expect.any(String),
          window: '30s',
          containers: [{ name: 'main', usage: { cpu: '1000000n', memory: '1024Ki' } }],
        });
        const second = await get('/apis/metrics.k8s.io/v1beta1/namespaces/a/pods?labelSelector=app%3Dweb');
        const usage = (second.items as { containers: { usage: { cpu: string } }[] }[]).map(
          (i) => i.containers[0].usage.cpu,
        );
        expect(usage).toEqual(['2000000n', '2000000n']);
        const one = await get('/apis/metrics.k8s.io/v1beta1/namespaces/b/pods/api-1');
        expect(one).toMatchObject({
          kind: 'PodMetrics',
          apiVersion: 'metrics.k8s.io/v1beta1',
          metadata: { name: 'api-1' },
        });
        const missing = await fetch(`${sim.url}/apis/metrics.k8s.io/v1beta1/namespaces/b/pods/done`);
        expect(missing.status).toBe(404);
        expect(await missing.json()).toMatchObject({ message: 'podmetrics.metrics.k8s.io "b/done" not found' });
        expect(sim.metricsPolls).toBe(4);
        expect(new Set(polls)).toEqual(new Set([0, 1, 2]));
      } finally {
        await sim.close();
      }
    });
  });

  describe('discovery', () => {
    it('answers /version, /api, /api/v1, /apis and /apis/{group}/{version}', async () => {
      expect(await kc.makeApiClient(VersionApi).getCode()).toMatchObject({
        major: '1',
        gitVersion: expect.any(String),
      });
      expect((await kc.makeApiClient(CoreApi).getAPIVersions()).versions).toEqual(['v1']);

      const coreResources = await core.getAPIResources();
      expect(coreResources.groupVersion).toBe('v1');
      expect(coreResources.resources.find((r) => r.name === 'pods')).toMatchObject({
        kind: 'Pod',
        namespaced: true,
        verbs: expect.arrayContaining(['get', 'list']),
      });
      expect(coreResources.resources.find((r) => r.name === 'nodes')).toMatchObject({ namespaced: false });

      const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
      expect(groups.groups.map((g) => g.name)).toEqual([
        'apps',
        'autoscaling',
        'batch',
        'metrics.k8s.io',
        'coordination.k8s.io',
        'wgpolicyk8s.io',
        'openreports.io',
        'authorization.k8s.io',
        'authentication.k8s.io',
      ]);
      expect(groups.groups[0].preferredVersion).toEqual({ groupVersion: 'apps/v1', version: 'v1' });

      const appsResources = await apps.getAPIResources();
      expect(appsResources.resources.map((r) => r.name)).toEqual([
        'daemonsets',
        'deployments',
        'replicasets',
        'statefulsets',
      ]);
      const metrics = (await (await raw('/apis/metrics.k8s.io/v1beta1')).json()) as {
        resources: { name: string; kind: string }[];
      };
      expect(metrics.resources.map((r) => [r.name, r.kind])).toEqual([
        ['nodes', 'NodeMetrics'],
        ['pods', 'PodMetrics'],
      ]);
      for (const gv of [
        '/apis/batch/v1',
        '/apis/authorization.k8s.io/v1',
        '/apis/authentication.k8s.io/v1',
        '/apis/apps',
      ]) {
        expect((await raw(gv)).status).toBe(200);
      }
    });
  });
});

describe('store', () => {
  it('fills in server-owned metadata and bumps the resourceVersion per change', async () => {
    const sim = await startSimulator({ now: () => Date.parse('2026-11-20T08:00:00.123Z') });
    try {
      expect(sim.resourceVersion).toBe('0');
      const stored = sim.upsert(deployment('shop', 'web'));
      // The Namespace is created first (rv 1), then the Deployment (rv 2).
      expect(stored.metadata).toMatchObject({
        name: 'web',
        namespace: 'shop',
        uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        resourceVersion: '2',
        creationTimestamp: '2026-11-20T08:00:00Z',
      });
      const updated = sim.upsert(deployment('shop', 'web', { v: '2' }));
      expect((updated.metadata as Record<string, unknown>).uid).toBe((stored.metadata as Record<string, unknown>).uid);
      expect(sim.resourceVersion).toBe('3');
      expect(sim.objects().map((o) => o.kind)).toEqual(['Namespace', 'Deployment']);
      expect(sim.remove('apps/v1/Deployment', 'shop', 'web')).toBe(true);
      expect(sim.remove('apps/v1/Deployment', 'shop', 'web')).toBe(false);
      expect(sim.resourceVersion).toBe('4');
      expect(() => sim.upsert({ kind: 'Pod', metadata: { name: 'x' } })).toThrow('object has no apiVersion');
    } finally {
      await sim.close();
    }
  });

  it('closes with keep-alive connections open', async () => {
    const sim = await startSimulator({ objects: DEPLOYMENTS });
    await fetch(`${sim.url}/apis/apps/v1/deployments`).then((r) => r.text());
    await sim.close();
    await expect(fetch(`${sim.url}/apis/apps/v1/deployments`)).rejects.toThrow('fetch failed');
  });
});
