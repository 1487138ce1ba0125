import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { ROOT, getJson, startAgent, tempDir, waitFor, waitForScan, type AgentProcess } from './harness';
import { ResponseValidator, redoclyLint, type OpenApiDocument } from './openapi';

/**
 * The REST API to the standard of the ecosystem (issue 15 §3), over HTTP against the real agent and the simulator:
 * unknown issue ids of any form are 404s with the JSON error body; the OpenAPI document, in both auth modes, passes
 * `redocly lint` (recommended ruleset) over the whole of it; every documented response is seen for real and
 * conforms to its schema (ajv).
 */
const READER = 'reader-token-5e1b';
const NOBODY = 'nobody-token-09cd';
const ADMIN = 'admin-token-a1f0';

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
        [ADMIN]: { username: 'admin' },
      },
      allowed: (user, p, verb) => user.username === 'admin' || (user.username.endsWith(':dashboard') && verb === 'get'),
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

interface Exchange {
  status: number;
  type: string | undefined;
  text: string;
}

/**
 * A request with the path sent byte for byte (fetch() would resolve `..` and `.` segments, WHATWG URL, before
 * sending), and a body on any method.
 */
function request(
  base: string,
  method: string,
  rawPath: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Exchange> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    // node:http frames a GET body only when told its length.
    const framed = body === undefined ? headers : { 'content-length': String(Buffer.byteLength(body)), ...headers };
    const req = http.request({ host: url.hostname, port: url.port, method, path: rawPath, headers: framed }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const rawGet = (base: string, rawPath: string, headers: Record<string, string> = {}) =>
  request(base, 'GET', rawPath, headers);

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

const docs: Record<'none' | 'kubernetes', OpenApiDocument> = {} as Record<'none' | 'kubernetes', OpenApiDocument>;
const validators: Record<'none' | 'kubernetes', ResponseValidator> = {} as Record<
  'none' | 'kubernetes',
  ResponseValidator
>;

/**
 * Operations that answer HTML, not JSON: the dashboard page (issue 15 §1). Their 2xx must have a `text/html` schema;
 * ajv does not read HTML, and the browser test checks the page. Everything else answers JSON and is checked here.
 */
const HTML_OPERATIONS = new Set(['GET /']);

/** The route template of a concrete path, from the document's paths (`/api/v1/issues/{id}`). */
function templateOf(document: OpenApiDocument, rawPath: string): string {
  const p = rawPath.split('?')[0];
  if (document.paths[p]) return p;
  const template = Object.keys(document.paths).find((t) =>
    new RegExp(`^${t.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]*')}$`).test(p),
  );
  if (!template) throw new Error(`no path of the document matches ${rawPath}`);
  return template;
}

/** Sends the request and checks the answer against the document of `mode`; returns the parsed body. */
async function exchange(
  mode: 'none' | 'kubernetes',
  method: string,
  rawPath: string,
  expected: number,
  opts: { headers?: Record<string, string>; body?: string } = {},
): Promise<unknown> {
  const agent = mode === 'none' ? open : secured;
  const res = await request(agent.api, method, rawPath, opts.headers, opts.body);
  const where = `${mode}: ${method} ${rawPath.slice(0, 80)}`;
  expect({ where, status: res.status }).toEqual({ where, status: expected });
  const body = JSON.parse(res.text) as unknown;
  const template = templateOf(docs[mode], rawPath);
  expect({ where, errors: validators[mode].check(method, template, res.status, res.type ?? null, body) }).toEqual({
    where,
    errors: [],
  });
  return body;
}

// The documents as each agent serves them (every describe below reads them).
beforeAll(async () => {
  docs.none = (await getJson<OpenApiDocument>(`${open.api}/api/docs-json`)).body;
  docs.kubernetes = (await getJson<OpenApiDocument>(`${secured.api}/api/docs-json`, { headers: bearer(READER) })).body;
  validators.none = new ResponseValidator(docs.none);
  validators.kubernetes = new ResponseValidator(docs.kubernetes);
});

describe('the OpenAPI document', () => {
  it.each(['none', 'kubernetes'] as const)(
    'passes redocly lint (recommended), the whole document, without error or warning: auth %s',
    (mode) => {
      const { errors, warnings } = redoclyLint(docs[mode]);
      const show = (ps: typeof errors) => ps.map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
      expect(show(errors)).toEqual([]);
      expect(show(warnings)).toEqual([]);
    },
    120_000,
  );

  it('declares the {id} path parameter, servers, a license and the tags', () => {
    for (const doc of Object.values(docs)) {
      expect(doc.paths['/api/v1/issues/{id}'].get.parameters).toEqual([
        expect.objectContaining({ name: 'id', in: 'path', required: true }),
      ]);
      expect(doc.servers?.length).toBeGreaterThan(0);
    }
  });

  it('gives every operation a summary, an operationId, and every response a JSON schema', () => {
    for (const doc of Object.values(docs)) {
      for (const [p, item] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(item)) {
          const where = `${method.toUpperCase()} ${p}`;
          expect({ where, summary: typeof op.summary, id: typeof op.operationId }).toEqual({
            where,
            summary: 'string',
            id: 'string',
          });
          for (const [status, response] of Object.entries(op.responses)) {
            const type = HTML_OPERATIONS.has(where) && status.startsWith('2') ? 'text/html' : 'application/json';
            expect({ where, status, schema: Boolean(response.content?.[type]?.schema) }).toEqual({
              where,
              status,
              schema: true,
            });
          }
        }
      }
    }
  });

  it('documents the bearer scheme, 401, 403 and 503 only when auth is on; the probes stay open', () => {
    const k = docs.kubernetes;
    expect(k.components.securitySchemes).toEqual({ kubernetes: expect.objectContaining({ scheme: 'bearer' }) });
    expect(k.security).toEqual([{ kubernetes: [] }]);
    for (const [p, item] of Object.entries(k.paths)) {
      for (const op of Object.values(item)) {
        if (p.startsWith('/health')) {
          expect(op.security).toEqual([]);
          expect(Object.keys(op.responses)).not.toContain('401');
        } else {
          expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403', '503']));
        }
      }
    }
    expect(docs.none.components.securitySchemes).toBeUndefined();
    expect(docs.none.security).toEqual([]);
    for (const item of Object.values(docs.none.paths)) {
      for (const op of Object.values(item)) expect(Object.keys(op.responses)).not.toContain('401');
    }
  });
});

describe('real responses against the document (ajv)', () => {
  const LARGE = 'x'.repeat(70 * 1024);
  const operations = () =>
    Object.entries(docs.none.paths)
      .flatMap(([p, item]) => Object.keys(item).map((method) => ({ method: method.toUpperCase(), p })))
      .filter(({ method, p }) => !HTML_OPERATIONS.has(`${method} ${p}`));
  /** A path of the template, with an id that names nothing (`0123456789abcdef`) for each parameter. */
  const concrete = (p: string) => p.replace(/\{[^}]+\}/g, '0123456789abcdef');

  it('the list, with every filter and across pages', async () => {
    const all = (await exchange('none', 'GET', '/api/v1/issues?limit=1000', 200)) as {
      items: { id: string; namespace: string; severity: string }[];
      total: number;
    };
    expect(all.items.length).toBeGreaterThan(5);
    const filtered = (await exchange(
      'none',
      'GET',
      '/api/v1/issues?namespace=shop&kind=Deployment&name=web&rule=memory-overprovisioned&severity=medium',
      200,
    )) as { items: { name: string; overProvisioning?: unknown }[] };
    expect(filtered.items.map((i) => i.name)).toEqual(['web']);
    expect(filtered.items[0].overProvisioning).toBeDefined();
    await exchange('none', 'GET', '/api/v1/issues?minSeverity=medium', 200);
    const part = (await exchange('none', 'GET', '/api/v1/issues?nameContains=e&limit=1000', 200)) as {
      items: { name: string }[];
    };
    expect(part.items.length).toBeGreaterThan(0);
    expect(part.items.every((i) => i.name.includes('e'))).toBe(true);
    expect(part.items.length).toBe(all.items.filter((i) => (i as { name?: string }).name?.includes('e')).length);
    let token: string | undefined;
    let pages = 0;
    const ids: string[] = [];
    do {
      const page = (await exchange(
        'none',
        'GET',
        `/api/v1/issues?limit=3${token ? `&continue=${encodeURIComponent(token)}` : ''}`,
        200,
      )) as { items: { id: string }[]; continue?: string };
      ids.push(...page.items.map((i) => i.id));
      token = page.continue;
      pages++;
    } while (token);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(ids).toEqual(all.items.map((i) => i.id));
  });

  it('every issue by id, with its usage, HPA and LimitRange context', async () => {
    const all = (
      await getJson<{ items: { id: string; overProvisioning?: Record<string, unknown> }[] }>(
        `${open.api}/api/v1/issues?limit=1000`,
      )
    ).body.items;
    const context = all.filter((i) => i.overProvisioning?.hpa || i.overProvisioning?.cappedBy);
    expect(context.length).toBeGreaterThan(0);
    for (const issue of all) await exchange('none', 'GET', `/api/v1/issues/${issue.id}`, 200);
  });

  it('the workload view of every workload with issues, 400 naming the parameter, 404 for an unknown workload', async () => {
    const all = (
      await getJson<{ items: { namespace: string; kind: string; name: string }[] }>(
        `${open.api}/api/v1/issues?limit=1000`,
      )
    ).body.items;
    const workloads = [...new Set(all.map((i) => `${i.namespace}/${i.kind}/${i.name}`))];
    expect(workloads.length).toBeGreaterThan(3);
    for (const key of workloads) {
      const [namespace, kind, name] = key.split('/');
      const view = (await exchange(
        'none',
        'GET',
        `/api/v1/workloads/${encodeURIComponent(namespace)}/${kind}/${encodeURIComponent(name)}`,
        200,
      )) as { name: string };
      expect(view.name).toBe(name);
    }
    const bad = (await exchange('none', 'GET', '/api/v1/workloads/shop/Gadget/web', 400)) as {
      details: { parameter: string }[];
    };
    expect(bad.details.map((d) => d.parameter)).toContain('kind');
    await exchange('none', 'GET', '/api/v1/workloads/shop/Deployment/no-such-workload', 404);
  });

  it('400 naming the parameter, 404 for unknown ids', async () => {
    for (const [query, parameter] of [
      ['limit=0', 'limit'],
      ['color=red', 'color'],
      ['continue=garbage', 'continue'],
      ['severity=urgent&kind=Service', 'severity'],
      ['nameContains=Web%20App', 'nameContains'],
    ]) {
      const body = (await exchange('none', 'GET', `/api/v1/issues?${query}`, 400)) as {
        message: string;
        details: { parameter: string }[];
      };
      expect(body.details.map((d) => d.parameter)).toContain(parameter);
      expect(body.message).toContain(`${parameter}:`);
    }
    for (const id of Object.values(UNKNOWN_IDS)) await exchange('none', 'GET', `/api/v1/issues/${id}`, 404);
  });

  it('summary, scans, probes; 202 and 409 on POST /api/v1/scans', async () => {
    await exchange('none', 'GET', '/api/v1/summary', 200);
    await exchange('none', 'GET', '/api/v1/scans/latest', 200);
    await exchange('none', 'GET', '/health', 200);
    await exchange('none', 'GET', '/health/ready', 200);
    // The next scan waits on the Deployments list: a second POST finds it running.
    const slow = sim.inject({ path: '/apis/apps/v1/deployments', latencyMs: 3_000, times: 1 });
    try {
      const started = (await exchange('none', 'POST', '/api/v1/scans', 202)) as { id: string };
      await exchange('none', 'POST', '/api/v1/scans', 409);
      await waitForScan(open.api, { id: started.id });
    } finally {
      sim.removeFault(slow);
    }
    await exchange('none', 'GET', '/api/v1/scans/latest', 200);
  });

  it('413 on every operation for a body over 64 KiB', async () => {
    for (const { method, p } of operations()) {
      await exchange('none', method, concrete(p), 413, { body: LARGE, headers: { 'content-type': 'text/plain' } });
    }
  });

  it('with auth: 401, 403, the allowed answers, 429, and 503 when the caller cannot be verified', async () => {
    for (const { method, p } of operations()) {
      if (p.startsWith('/health')) {
        await exchange('kubernetes', method, p, 200);
        continue;
      }
      await exchange('kubernetes', method, concrete(p), 401);
      await exchange('kubernetes', method, concrete(p), 401, { headers: bearer('forged') });
      await exchange('kubernetes', method, concrete(p), 403, { headers: bearer(NOBODY) });
      await exchange('kubernetes', method, concrete(p), 413, { body: LARGE, headers: bearer(READER) });
    }
    await exchange('kubernetes', 'GET', '/api/v1/issues?limit=2', 200, { headers: bearer(READER) });
    await exchange('kubernetes', 'GET', '/api/v1/issues?limit=2000', 400, { headers: bearer(READER) });
    await exchange('kubernetes', 'GET', '/api/v1/issues/%00', 404, { headers: bearer(READER) });
    const list = (await exchange('kubernetes', 'GET', '/api/v1/issues?limit=1', 200, { headers: bearer(READER) })) as {
      items: { id: string }[];
    };
    await exchange('kubernetes', 'GET', `/api/v1/issues/${list.items[0].id}`, 200, { headers: bearer(READER) });
    await exchange('kubernetes', 'GET', '/api/v1/summary', 200, { headers: bearer(READER) });
    await exchange('kubernetes', 'GET', '/api/v1/scans/latest', 200, { headers: bearer(READER) });
    // scanMinInterval 1h: the startup scan has just ended.
    await exchange('kubernetes', 'POST', '/api/v1/scans', 429, { headers: bearer(ADMIN) });
    const down = sim.inject({ path: '/apis/authentication.k8s.io/v1/tokenreviews', status: 500 });
    try {
      let n = 0;
      for (const { method, p } of operations()) {
        if (p.startsWith('/health')) continue;
        // A token never seen: no cached review answers for it.
        await exchange('kubernetes', method, concrete(p), 503, { headers: bearer(`unverified-${n++}`) });
      }
    } finally {
      sim.removeFault(down);
    }
  });

  it('before the first scan ends: readiness 503, no latest scan, a summary with lastScan null', async () => {
    const kubeconfig = path.join(tempDir('opsagent-rest-api-early-'), 'config');
    sim.writeKubeconfig(kubeconfig);
    // The startup scan of this agent waits on the Deployments list until the test ends.
    const stalled = sim.inject({ path: '/apis/apps/v1/deployments', hang: true });
    const early = await startAgent({
      kubeconfig,
      config: { schedule: '0 0 1 1 *', kubernetes: { retries: 0, requestTimeout: '60s' } },
    });
    try {
      await waitFor(async () => ((await fetch(`${early.api}/health`)).status === 200 ? true : undefined), 30_000);
      const agent = open;
      open = early; // exchange() asks the 'none' agent
      try {
        const ready = (await exchange('none', 'GET', '/health/ready', 503)) as { status: string };
        expect(ready.status).toBe('error');
        await exchange('none', 'GET', '/api/v1/scans/latest', 404);
        const summary = (await exchange('none', 'GET', '/api/v1/summary', 200)) as { lastScan: unknown };
        expect(summary.lastScan).toBeNull();
        await exchange('none', 'GET', '/health', 200);
      } finally {
        open = agent;
      }
    } finally {
      sim.removeFault(stalled);
      early.child.kill('SIGKILL');
      await early.exited;
    }
  }, 60_000);

  it('saw every documented response of every operation, in one auth mode or the other', () => {
    const documented = new Set([...validators.none.documented(), ...validators.kubernetes.documented()]);
    const seen = new Set([...validators.none.seen, ...validators.kubernetes.seen]);
    // 503 from load shedding (server.shedAfterBusy) cannot be caused on demand; in auth mode the same 503 of
    // /api/… is seen when the reviews fail.
    const json = (key: string) => !HTML_OPERATIONS.has(key.split(' ').slice(0, 2).join(' '));
    expect([...documented].filter((key) => json(key) && !seen.has(key)).sort()).toEqual([]);
  });

  it('the schemas are strict: a wrong shape fails', async () => {
    const v = validators.none;
    const issue = (
      await getJson<Record<string, unknown>>(`${open.api}/api/v1/issues?limit=1&rule=memory-overprovisioned`)
    ).body.items as Record<string, unknown>[];
    const good = issue[0];
    const check = (body: unknown) => v.check('GET', '/api/v1/issues/{id}', 200, 'application/json', body);
    expect(check(good)).toEqual([]);
    expect(check({ ...good, unexpected: 1 })).not.toEqual([]);
    const withoutSeverity: Record<string, unknown> = { ...good };
    delete withoutSeverity.severity;
    expect(check(withoutSeverity)).not.toEqual([]);
    expect(check({ ...good, severity: 'urgent' })).not.toEqual([]);
    expect(check({ ...good, firstSeen: 'yesterday' })).not.toEqual([]);
    expect(check({ ...good, overProvisioning: { ...(good.overProvisioning as object), extra: true } })).not.toEqual([]);
    const error = (d: unknown) => v.check('GET', '/api/v1/issues', 400, 'application/json', d);
    expect(
      error({ statusCode: 400, error: 'Bad Request', message: 'm', details: [{ parameter: 'p', reason: 'r' }] }),
    ).toEqual([]);
    expect(error({ statusCode: 400, error: 'Bad Request', message: 'm', details: ['limit'] })).not.toEqual([]);
    expect(error({ statusCode: 400, error: 'Bad Request', message: 'm', details: [{ parameter: 'p' }] })).not.toEqual(
      [],
    );
  });
});
