import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import fc from 'fast-check';
import { RULE_IDS } from '@opsagent/core/rules/registry';
import { SEVERITIES } from '@opsagent/core/severity';
import { WORKLOAD_KINDS } from '@opsagent/core/workload';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { workloadObjects } from '../e2e/fixtures';
import { ROOT, getJson, startAgent, tempDir, waitFor, waitForScan, type AgentProcess } from '../e2e/harness';

/**
 * Property-based fuzz of every endpoint of the running agent (the built service as a process, reading the
 * in-repo simulator): whatever a client sends, the answer is a documented status with the one JSON error body,
 * never a 5xx, never a stack trace or a file path of the agent. Fixed seed and bounded runs, so a failure
 * replays; fast-check prints the shrunk counterexample.
 */
const SEED = 0x6f707361; // "opsa"
const RUNS = 300;
const REQUEST_TIMEOUT_MS = 10_000;

let sim: Simulator;
let agent: AgentProcess;
let api: URL;
/** Ids of current issues, and a `continue` token the API itself handed out. */
let knownIds: string[];
let realToken: string;

beforeAll(async () => {
  sim = await startSimulator({ objects: workloadObjects(6) });
  const kubeconfig = path.join(tempDir('opsagent-fuzz-kube-'), 'config');
  sim.writeKubeconfig(kubeconfig);
  agent = await startAgent({
    kubeconfig,
    config: { schedule: '0 0 1 1 *', kubernetes: { requestTimeout: '2s', retries: 0 } },
  });
  api = new URL(agent.api);
  await waitFor(async () => ((await fetch(`${agent.api}/health/ready`)).status === 200 ? true : undefined), 20_000);
  await waitForScan(agent.api, {});
  const page = await getJson<{ items: { id: string }[]; continue?: string }>(`${agent.api}/api/v1/issues?limit=5`);
  knownIds = page.body.items.map((i) => i.id);
  realToken = page.body.continue!;
  expect(knownIds).toHaveLength(5);
  expect(realToken).toBeDefined();
}, 40_000);

afterAll(async () => {
  if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
  await sim?.close();
});

// ---- the client: raw node:http, so methods, paths and bodies go out exactly as generated ----

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

interface Sent {
  method: string;
  /** Already percent-encoded where it must be; sent as is. */
  path: string;
  headers?: Record<string, string>;
  /** A buffer, or chunks sent with `Transfer-Encoding: chunked`. */
  body?: Buffer | Buffer[];
}

function send(req: Sent, base: URL = api): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let settled = false;
    // node:http frames a GET body only when told its length.
    const headers = Buffer.isBuffer(req.body)
      ? { 'content-length': String(req.body.length), ...req.headers }
      : req.headers;
    const out = http.request(
      { host: base.hostname, port: base.port, method: req.method, path: req.path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          settled = true;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (e) => !settled && reject(e));
      },
    );
    out.setTimeout(REQUEST_TIMEOUT_MS, () => out.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms (hang)`)));
    out.on('error', (e) => !settled && reject(e));
    if (Array.isArray(req.body)) {
      for (const chunk of req.body) out.write(chunk);
      out.end();
    } else {
      out.end(req.body);
    }
  });
}

/** For requests node:http refuses to build (raw bytes, broken request lines): writes them on a socket. */
function sendRaw(bytes: Buffer): Promise<{ status: number; headers: string; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(api.port), api.hostname);
    const chunks: Buffer[] = [];
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy(new Error('no answer (hang)')));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? socket.end() : reject(e)));
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = raw.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, headers: head, text: rest.join('\r\n\r\n') });
    });
    socket.end(bytes);
  });
}

// ---- what every answer must look like ----

/** A stack frame, or a path of the agent's own files, anywhere in an answer. */
const LEAKS = [
  /^\s*at .+:\d+:\d+\)?$/m,
  /\bat (?:async )?[\w$.<>[\]]+ \(/,
  /\/work\//,
  /\bdist\//,
  /node_modules/,
  /\.(?:ts|js):\d+/,
  /Error: .*\n/,
  new RegExp(ROOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
];

/** Inputs never contain what LEAKS looks for, so an echo of the request cannot be mistaken for a leak. */
const clean = (s: string): boolean => !LEAKS.some((re) => re.test(s)) && !s.includes('at ');

function expectNoLeak(reply: { text: string; headers: unknown }): void {
  const all = `${reply.text}\n${JSON.stringify(reply.headers)}`;
  for (const re of LEAKS) expect(all).not.toMatch(re);
}

interface ErrorBodyJson {
  statusCode: number;
  error: string;
  message: string;
  details?: { parameter: string; reason: string }[];
}

/** Checks the common contract and returns the parsed body. */
function expectContract(reply: Reply, allowed: readonly number[], what: string): unknown {
  if (!allowed.includes(reply.status)) {
    throw new Error(`${what}: status ${reply.status} not in [${allowed.join(', ')}]: ${reply.text.slice(0, 300)}`);
  }
  expect(reply.status).toBeLessThan(500);
  expectNoLeak(reply);
  expect(reply.headers['content-type']).toMatch(/^application\/json/);
  const body: unknown = JSON.parse(reply.text);
  if (reply.status >= 400) expectErrorBody(body, reply.status);
  return body;
}

function expectErrorBody(body: unknown, status: number): void {
  const b = body as ErrorBodyJson;
  expect(b).toEqual(expect.objectContaining({ statusCode: status, error: expect.any(String) }));
  expect(typeof b.message).toBe('string');
  expect(b.message.length).toBeGreaterThan(0);
  if (b.details !== undefined) {
    for (const d of b.details) expect(d).toEqual({ parameter: expect.any(String), reason: expect.any(String) });
  }
}

// ---- generators ----

const KNOWN_PARAMS = ['namespace', 'kind', 'name', 'rule', 'severity', 'minSeverity', 'limit', 'continue'];
/** Keys that are also members of Object.prototype: a parser or validator that uses plain objects trips on them. */
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];

/** Percent-encodes every byte outside RFC 3986's unreserved set (lone surrogates go out as U+FFFD). */
function pct(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const encode = (pairs: readonly (readonly [string, string])[]): string =>
  pairs.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&');

/** Any string, unicode included, that is not an accidental "leak" pattern. */
const anyText = (maxLength: number) =>
  fc
    .oneof(
      fc.string({ maxLength }),
      fc.string({ unit: 'grapheme', maxLength }),
      fc.string({ unit: 'binary', maxLength }),
      fc.constantFrom('', ' ', '-1', '0', '1e3', '0x10', '1.5', '+5', '007', 'NaN', 'Infinity', 'null', '[]', '{}'),
      fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
      fc.constantFrom(...WORKLOAD_KINDS, ...RULE_IDS, ...SEVERITIES, 'team-0', 'deploy-1', 'default'),
    )
    .filter(clean);

const longText = fc
  .record({ char: fc.constantFrom('a', '-', '%', 'é', '\u{1F600}', '0'), n: fc.integer({ min: 254, max: 1500 }) })
  .map(({ char, n }) => char.repeat(n));

const paramName = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...KNOWN_PARAMS) },
  { weight: 2, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
  { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 12 }).filter(clean) },
  { weight: 1, arbitrary: fc.constantFrom('limit[]', 'namespace[x]', 'a.b', 'LIMIT', 'Namespace') },
);

const paramValue = fc.oneof({ weight: 6, arbitrary: anyText(40) }, { weight: 1, arbitrary: longText });

/**
 * A query as ordered pairs, so names repeat as often as generated. Kept under 12 KB encoded: beyond Node's
 * 16 KB header limit the answer is a 431, which has its own test below.
 */
const queryPairs = fc
  .array(fc.tuple(paramName, paramValue), { maxLength: 6 })
  .filter((pairs) => encode(pairs).length < 12_000);

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

const continueToken = fc.oneof(
  fc.base64String({ maxLength: 200 }).map((s) => s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')),
  fc.jsonValue({ maxDepth: 4 }).map((v) => base64url(JSON.stringify(v))),
  // The right shape with wrong contents: wrong length, wrong severity, non-strings.
  fc
    .array(fc.oneof(fc.constantFrom(...SEVERITIES, 'urgent'), fc.string(), fc.integer()), { maxLength: 8 })
    .map((a) => base64url(JSON.stringify(a))),
  fc.string({ maxLength: 60 }),
  fc.integer({ min: 2040, max: 8000 }).map((n) => 'A'.repeat(n)),
  fc.constant(`${'W'.repeat(10)}==`),
);

// ---- the properties ----

/** Whether a query to /api/v1/issues must be accepted: every name known, once, with a valid value. */
function isValidIssuesQuery(pairs: readonly (readonly [string, string])[]): boolean | undefined {
  const seen = new Set<string>();
  let tokenGiven = false;
  for (const [k, v] of pairs) {
    if (!KNOWN_PARAMS.includes(k) || seen.has(k)) return false;
    seen.add(k);
    switch (k) {
      case 'limit':
        if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 1000) return false;
        break;
      case 'kind':
        if (!(WORKLOAD_KINDS as readonly string[]).includes(v)) return false;
        break;
      case 'rule':
        if (!(RULE_IDS as readonly string[]).includes(v)) return false;
        break;
      case 'severity':
      case 'minSeverity':
        if (!(SEVERITIES as readonly string[]).includes(v)) return false;
        break;
      case 'namespace':
      case 'name':
        if (v.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v)) return false;
        break;
      case 'continue':
        tokenGiven = true; // a generated token may happen to be well-formed: then either answer is right
        break;
    }
  }
  return tokenGiven ? undefined : true;
}

const run = <T>(arb: fc.Arbitrary<T>, predicate: (value: T) => Promise<void>, numRuns = RUNS) =>
  fc.assert(fc.asyncProperty(arb, predicate), { seed: SEED, numRuns, endOnFailure: true });

describe('GET /api/v1/issues', () => {
  it('answers 200 for valid queries and 400 naming the parameter for anything else', async () => {
    const seen = new Set<number>();
    await run(queryPairs, async (pairs) => {
      const reply = await send({ method: 'GET', path: `/api/v1/issues?${encode(pairs)}` });
      seen.add(reply.status);
      const expected = isValidIssuesQuery(pairs);
      const body = expectContract(reply, expected === undefined ? [200, 400] : expected ? [200] : [400], 'issues');
      if (reply.status === 200) {
        const page = body as { items: unknown[]; total: number };
        expect(Array.isArray(page.items)).toBe(true);
        expect(Number.isInteger(page.total)).toBe(true);
      } else {
        const details = (body as ErrorBodyJson).details ?? [];
        expect(details.length).toBeGreaterThan(0);
        // Every parameter named is one the request carried (or the empty name of `=x`).
        const sent = new Set(pairs.map(([k]) => k));
        for (const d of details) expect(sent.has(d.parameter) || d.parameter === '').toBe(true);
      }
    });
    // The generators reach both sides: the property is not vacuous.
    expect([...seen].sort()).toEqual([200, 400]);
  });

  it('rejects unknown parameters even when they are named like Object.prototype members', async () => {
    for (const key of [...PROTOTYPE_KEYS, 'isPrototypeOf', 'toLocaleString', '__defineGetter__']) {
      const reply = await send({ method: 'GET', path: `/api/v1/issues?${pct(key)}=1` });
      const body = expectContract(reply, [400], `?${key}=1`) as ErrorBodyJson;
      expect(body.details).toEqual([{ parameter: key, reason: 'unknown parameter' }]);
    }
  });

  it('reads limit as a decimal integer only', async () => {
    for (const limit of ['1e3', '0x10', '+5', ' 5', '5 ', '1.0', '-0', '0', '1001', '99999999999999999999']) {
      const reply = await send({ method: 'GET', path: `/api/v1/issues?limit=${pct(limit)}` });
      const body = expectContract(reply, [400], `limit=${limit}`) as ErrorBodyJson;
      expect(body.details?.[0]).toEqual({ parameter: 'limit', reason: 'must be an integer from 1 to 1000' });
    }
    const ok = await send({ method: 'GET', path: '/api/v1/issues?limit=007' });
    expect((expectContract(ok, [200], 'limit=007') as { items: unknown[] }).items).toHaveLength(7);
  });

  it('answers garbage continue tokens with 400 naming continue, and pages with a real one', async () => {
    await run(continueToken, async (token) => {
      const reply = await send({ method: 'GET', path: `/api/v1/issues?continue=${pct(token)}` });
      const body = expectContract(reply, [200, 400], `continue=${token.slice(0, 40)}`);
      if (reply.status === 400) expect((body as ErrorBodyJson).details?.[0].parameter).toBe('continue');
    });
    const next = await send({ method: 'GET', path: `/api/v1/issues?limit=5&continue=${realToken}` });
    const page = expectContract(next, [200], 'real token') as { items: { id: string }[] };
    expect(page.items.map((i) => i.id).some((id) => knownIds.includes(id))).toBe(false);
  });
});

describe('GET /api/v1/issues/:id', () => {
  const traversal = fc.constantFrom(
    '..%2f..%2fetc%2fpasswd',
    '%2e%2e%2f%2e%2e%2fpackage.json',
    '..%5c..%5cwindows',
    '%252e%252e%252f',
    '%00',
    '0123456789abcdef%00',
    '%c0%af',
    '....%2f%2f',
    '%2F',
    '.',
    '..',
    '%2e',
    '0123456789ABCDEF',
    '0123456789abcdeg',
    '0123456789abcdef0',
  );
  const id = fc.oneof(
    traversal,
    fc.stringMatching(/^[0-9a-f]{16}$/),
    fc.integer({ min: 0, max: 4 }).map((i) => knownIds[i]),
    anyText(80)
      .filter((s) => s !== '')
      .map(pct),
  );

  it('answers 200 for a current id and 404 for anything else, whatever its form', async () => {
    await run(
      id,
      async (raw) => {
        const reply = await send({ method: 'GET', path: `/api/v1/issues/${raw}` });
        // Dot segments are not resolved and an encoded `/` stays in the segment: all reach the route, and name
        // no issue (an undecodable segment included).
        expectContract(reply, knownIds.includes(raw) ? [200] : [404], `/issues/${raw}`);
      },
      RUNS * 2,
    );
  });

  it('does not resolve dot segments against other routes or files', async () => {
    for (const p of ['/api/v1/issues/../../../etc/passwd', '/api/v1/issues/..%2F..%2F..%2Fpackage.json']) {
      const reply = await send({ method: 'GET', path: p });
      expectContract(reply, [404], p);
      expect(reply.text).not.toContain('"name":"opsagent"');
    }
  });
});

describe('every endpoint', () => {
  const ENDPOINTS: { method: string; path: string; ok: number[] }[] = [
    { method: 'GET', path: '/health', ok: [200] },
    { method: 'GET', path: '/health/ready', ok: [200] },
    { method: 'GET', path: '/api/v1/issues', ok: [200] },
    { method: 'GET', path: '/api/v1/summary', ok: [200] },
    { method: 'GET', path: '/api/v1/scans/latest', ok: [200] },
    { method: 'POST', path: '/api/v1/scans', ok: [202, 409] },
    { method: 'GET', path: '/api/docs-json', ok: [200] },
  ];

  it('answers random queries with the documented status or a JSON 400', async () => {
    await run(fc.tuple(fc.constantFrom(...ENDPOINTS), queryPairs), async ([endpoint, pairs]) => {
      const query = encode(pairs);
      const reply = await send({ method: endpoint.method, path: `${endpoint.path}${query ? `?${query}` : ''}` });
      // /api/v1/issues has its own property above; the others take no parameter and may ignore or reject one.
      const allowed = endpoint.path === '/api/v1/issues' ? [200, 400] : [...endpoint.ok, 400];
      expectContract(reply, allowed, `${endpoint.method} ${endpoint.path}?${query.slice(0, 80)}`);
    });
  });

  it('answers wrong methods with a JSON 405 and an Allow header naming the methods the path takes', async () => {
    const methods = ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST', 'GET', 'TRACE', 'PROPFIND', 'CONNECT'];
    for (const endpoint of [...ENDPOINTS, { method: 'GET', path: `/api/v1/issues/${'0'.repeat(16)}`, ok: [404] }]) {
      for (const method of methods.filter((m) => m !== endpoint.method)) {
        if (method === 'CONNECT') continue; // node:http does not send CONNECT as a normal request
        // GET /api/v1/scans has no route; POST to the others has none either.
        const reply = await send({ method, path: endpoint.path });
        const body = expectContract(reply, [405], `${method} ${endpoint.path}`) as ErrorBodyJson;
        expect(body.statusCode).toBe(405);
        const allow = String(reply.headers.allow).split(', ');
        expect(allow).toContain(endpoint.method);
        expect(allow).not.toContain(method);
        expect(body.message).toContain(`${method} is not allowed`);
      }
    }
  });

  it('answers unknown routes with a JSON 404', async () => {
    const KNOWN = new Set(['health', 'health/ready', 'api/v1/issues', 'api/v1/summary', 'api/v1/scans']);
    const segment = fc.oneof(
      fc.stringMatching(/^[a-zA-Z0-9._~-]{1,20}$/),
      anyText(20)
        .filter((s) => s !== '')
        .map(pct),
    );
    const route = fc
      .tuple(
        fc.constantFrom('', 'api/', 'api/v1/', 'api/v2/', 'health/', 'metrics/'),
        fc.array(segment, { minLength: 1, maxLength: 4 }),
      )
      .map(([prefix, segs]) => `/${prefix}${segs.join('/')}`)
      .filter((p) => {
        const norm = p.toLowerCase().replace(/^\/+|\/+$/g, '');
        // Real routes (matched case-insensitively, trailing slash ignored) and the Swagger UI's static files.
        return !KNOWN.has(norm) && !/^api\/v1\/(issues|scans)\/[^/]+$/.test(norm) && !norm.startsWith('api/docs');
      });
    await run(route, async (p) => {
      const reply = await send({ method: 'GET', path: p });
      expectContract(reply, [404], `GET ${p}`);
    });
  });

  it('refuses oversized bodies with a JSON 413, with and without a JSON content type', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 'a');
    const jsonish = Buffer.from(`{"x":"${'a'.repeat(5 * 1024 * 1024)}"}`);
    const cases: Sent[] = [
      { method: 'POST', path: '/api/v1/scans', body: jsonish, headers: { 'content-type': 'application/json' } },
      { method: 'POST', path: '/api/v1/scans', body: big },
      { method: 'POST', path: '/api/v1/scans', body: big, headers: { 'content-type': 'application/octet-stream' } },
      { method: 'PUT', path: '/api/v1/issues', body: big, headers: { 'content-type': 'application/json' } },
      { method: 'GET', path: '/api/v1/issues', body: big },
      { method: 'POST', path: '/health', body: big },
      // No Content-Length: the size is only known as the chunks arrive.
      { method: 'POST', path: '/api/v1/scans', body: Array.from({ length: 80 }, () => Buffer.alloc(64 * 1024, 'b')) },
    ];
    const idle = async () => {
      const health = await getJson<{ info: { scanner: { running: string | null } } }>(`${agent.api}/health`);
      return health.body.info.scanner.running === null ? true : undefined;
    };
    await waitFor(idle, 10_000, 'no scan running');
    const before = await getJson<{ id: string }>(`${agent.api}/api/v1/scans/latest`);
    for (const c of cases) {
      const reply = await send(c);
      const body = expectContract(reply, [413], `${c.method} ${c.path} with a 5 MB body`) as ErrorBodyJson;
      expect(body.error).toBe('Payload Too Large');
    }
    // No refused POST started a scan, and the agent still serves.
    expect(await idle()).toBe(true);
    expect((await getJson<{ id: string }>(`${agent.api}/api/v1/scans/latest`)).body.id).toBe(before.body.id);
  });

  it('accepts small bodies on POST /api/v1/scans whatever their content type (it reads none)', async () => {
    const small = fc.record({
      body: fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      ),
      type: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', ''),
    });
    await run(
      small,
      async ({ body, type }) => {
        const headers: Record<string, string> = type ? { 'content-type': type } : {};
        const reply = await send({ method: 'POST', path: '/api/v1/scans', body: Buffer.from(body), headers });
        expectContract(reply, [202, 409], `POST /api/v1/scans ${type} ${body.slice(0, 40)}`);
      },
      40,
    );
  });

  it('answers requests node cannot parse (huge headers, broken request lines) with a JSON 4xx', async () => {
    const huge = await send({ method: 'GET', path: `/api/v1/issues?namespace=${'a'.repeat(20_000)}` });
    expectContract(huge, [431], 'a 20 KB query');
    const hugeHeader = await send({ method: 'GET', path: '/health', headers: { 'x-padding': 'p'.repeat(20_000) } });
    expectContract(hugeHeader, [431], 'a 20 KB header');
    const raw = [
      'GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
      'GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
      'GARBAGE\r\n\r\n',
      'GET /api/v1/issues/\u00e9\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n',
      'POST /api/v1/scans HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    ];
    for (const request of raw) {
      const reply = await sendRaw(Buffer.from(request, request.includes('\u00e9') ? 'utf8' : 'latin1'));
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(reply.status).toBeLessThan(500);
      expect(reply.headers).toMatch(/content-type: application\/json/i);
      expectErrorBody(JSON.parse(reply.text), reply.status);
      expectNoLeak(reply);
    }
  });
});

describe('the metrics port', () => {
  it('answers with the same JSON errors: unknown routes and methods, queries, bodies, huge headers', async () => {
    const metrics = new URL(agent.metrics);
    const ok = await send({ method: 'GET', path: '/metrics?x=1' }, metrics);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('opsagent_detection_runs_total');
    const cases: [Sent, number][] = [
      [{ method: 'PUT', path: '/metrics' }, 405],
      [{ method: 'GET', path: '/api/v1/issues' }, 404],
      [{ method: 'POST', path: '/metrics', body: Buffer.alloc(5 * 1024 * 1024, 'a') }, 413],
      [{ method: 'GET', path: `/metrics?x=${'a'.repeat(20_000)}` }, 431],
    ];
    for (const [request, status] of cases) {
      expectContract(await send(request, metrics), [status], `metrics ${request.method} ${request.path.slice(0, 40)}`);
    }
  });
});

describe('afterwards', () => {
  it('still serves, and logged no unexpected error', async () => {
    const health = await getJson<{ status: string }>(`${agent.api}/health`);
    expect(health.status).toBe(200);
    expect(agent.child.exitCode).toBeNull();
    expect(agent.stdout()).not.toContain('unexpected error');
    expect(agent.stderr()).not.toMatch(/^\s*at /m);
  });
});
