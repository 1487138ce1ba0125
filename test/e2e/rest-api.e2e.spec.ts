import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { ROOT, getJson, startAgent, tempDir, waitFor, type AgentProcess } from './harness';

/**
 * The REST API to the standard of the ecosystem (issue 15 §3), over HTTP against the real agent and the simulator:
 * unknown issue ids of any form are 404s with the JSON error body.
 */
const READER = 'reader-token-5e1b';
const NOBODY = 'nobody-token-09cd';

let sim: Simulator;
/** `server.auth.mode: none`, over the workload-context fixture (over-provisioning with HPA and LimitRange context). */
let open: AgentProcess;
/** `server.auth.mode: kubernetes`. */
let secured: AgentProcess;

beforeAll(async () => {
  const text = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'workload-context', 'cluster.yaml'), 'utf8');
  sim = await startSimulator({
    objects: parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>),
    reviews: {
      users: {
        [READER]: { username: 'system:serviceaccount:apps:dashboard' },
        [NOBODY]: { username: 'nobody' },
      },
      allowed: (user, p, verb) => user.username.endsWith(':dashboard') && verb === 'get',
    },
  });
  const kubeconfig = path.join(tempDir('opsagent-rest-api-'), 'config');
  sim.writeKubeconfig(kubeconfig);
  const config = { schedule: '0 0 1 1 *', overProvisioning: { minSamples: 1 }, kubernetes: { retries: 0 } };
  [open, secured] = await Promise.all([
    startAgent({ kubeconfig, config }),
    // scanMinInterval: POST /api/v1/scans right after the startup scan is the documented 429.
    startAgent({ kubeconfig, config: { ...config, scanMinInterval: '1h' }, authMode: 'kubernetes' }),
  ]);
  for (const agent of [open, secured]) {
    await waitFor(
      async () => ((await fetch(`${agent.api}/health/ready`)).status === 200 ? true : undefined),
      60_000,
      'ready',
    );
  }
}, 90_000);

afterAll(async () => {
  for (const agent of [open, secured]) if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
  await sim?.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * A GET with the path sent byte for byte: fetch() would resolve `..` and `.` segments (WHATWG URL) before sending.
 */
function rawGet(
  base: string,
  rawPath: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string | undefined; text: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method: 'GET', path: rawPath, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], text }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Ids that name no issue, as sent on the wire after `/api/v1/issues/`. */
const UNKNOWN_IDS: Record<string, string> = {
  'well-formed but absent': '0123456789abcdef',
  'too long': 'a'.repeat(4000),
  'unicode (✓)': '%E2%9C%93',
  'unicode, not encoded': 'caf%C3%A9',
  NUL: '%00',
  'control characters': '%01%1B%7F',
  'dot-dot': '..',
  dot: '.',
  'encoded dot-dot': '%2E%2E',
  'encoded slash': 'a%2Fb',
  'encoded slash only': '%2F',
  'encoded backslash': '%5C..%5C',
  'a query-like character': '%3Fx%3D1',
  'invalid percent-encoding': '%zz',
  'truncated UTF-8': '%E2%9C',
  'uppercase hex': '0123456789ABCDEF',
  empty: '',
};

describe('GET /api/v1/issues/{id} with an id that does not exist', () => {
  let existing: string;

  beforeAll(async () => {
    const list = await getJson<{ items: { id: string }[] }>(`${open.api}/api/v1/issues?limit=1`);
    existing = list.body.items[0].id;
  });

  it('answers a current id with the issue (the control)', async () => {
    const res = await getJson<{ id: string }>(`${open.api}/api/v1/issues/${existing}`);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(existing);
  });

  it.each(Object.entries(UNKNOWN_IDS))('is a 404 with the JSON error body: %s', async (_, id) => {
    const res = await rawGet(open.api, `/api/v1/issues/${id}`);
    expect(res.status).toBe(404);
    expect(res.type).toBe('application/json; charset=utf-8');
    const body = JSON.parse(res.text) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['error', 'message', 'statusCode']);
    expect(body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    // The message is readable and bounded, whatever the id.
    expect(String(body.message).length).toBeLessThan(200);
    expect([...String(body.message)].filter((c) => c.charCodeAt(0) < 0x20)).toEqual([]);
  });

  it('names the id it did not find, quoted and escaped', async () => {
    expect(JSON.parse((await rawGet(open.api, '/api/v1/issues/0123456789abcdef')).text)).toMatchObject({
      message: 'no current issue with id "0123456789abcdef"',
    });
    expect(JSON.parse((await rawGet(open.api, '/api/v1/issues/%00')).text)).toMatchObject({
      message: 'no current issue with id "\\u0000"',
    });
    expect(JSON.parse((await rawGet(open.api, '/api/v1/issues/')).text)).toMatchObject({
      message: 'no current issue with id ""',
    });
  });

  it('a current id with anything around it is unknown too', async () => {
    for (const id of [`${existing}x`, `x${existing}`, `${existing}%00`, `${existing}%2F`, `${existing}.`]) {
      expect({ id, status: (await rawGet(open.api, `/api/v1/issues/${id}`)).status }).toEqual({ id, status: 404 });
    }
  });

  it('with server.auth.mode kubernetes: 401 without a token, 403 when denied, 404 when allowed', async () => {
    for (const id of ['0123456789abcdef', '%00', '%E2%9C%93', '..', '']) {
      const p = `/api/v1/issues/${id}`;
      expect({ p, status: (await rawGet(secured.api, p)).status }).toEqual({ p, status: 401 });
      expect({ p, status: (await rawGet(secured.api, p, bearer(NOBODY))).status }).toEqual({ p, status: 403 });
      const allowed = await rawGet(secured.api, p, bearer(READER));
      expect({ p, status: allowed.status }).toEqual({ p, status: 404 });
      expect(JSON.parse(allowed.text)).toMatchObject({ statusCode: 404, error: 'Not Found' });
    }
  });
});
