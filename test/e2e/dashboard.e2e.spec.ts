import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { UsageAttribution } from '@opsagent/core/audit/usage-attribution';
import { UsageHistory } from '@opsagent/core/audit/usage-history';
import { UsagePeaks } from '@opsagent/core/audit/usage-peaks';
import { extractWorkloads } from '@opsagent/core/manifests/workload-extractor';
import { parseQuantity } from '@opsagent/core/quantity';
import type { UsageSample } from '@opsagent/core/usage';
import { buildDemoCluster } from '../../tools/k8s-simulator/demo-cluster';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { ROOT, getJson, startAgent, tempDir, waitFor, type AgentProcess } from './harness';

/**
 * The dashboard (issue 15 §1) in a real headless Chromium (Debian's `chromium`, installed by
 * scripts/setup-chromium.sh when missing) driven by playwright-core, against the real agent and the simulator's
 * demo cluster (cost, an HPA, a LimitRange, an OOM-killed Pod) with 14 days of usage history in its history file.
 * Every page load collects console messages, page errors, failed requests and CSP violations: none may occur.
 * It writes docs/screenshots/*.png, which the README shows.
 */
const CHROMIUM = process.env.OPSAGENT_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(ROOT, 'docs', 'screenshots');
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const READER = 'dashboard-reader-token-5e2b';
const NOBODY = 'dashboard-nobody-token-91c4';
/** issue 15 §1: everything the page loads. */
const BUDGET_GZIP_BYTES = 250 * 1000;

interface IssueJson {
  id: string;
  rule: string;
  severity: string;
  namespace: string;
  kind: string;
  name: string;
  fix?: { command: string };
}
interface Page_<T> {
  items: T[];
  total: number;
  continue?: string;
}
interface SummaryJson {
  total: number;
  bySeverity: Record<string, number>;
  byNamespace: Record<string, number>;
  waste: { byNamespace: Record<string, unknown> };
  lastScan: { status: string } | null;
}

let sim: Simulator;
let agent: AgentProcess;
let secured: AgentProcess | undefined;
let leader: AgentProcess | undefined;
let browser: Browser;
const started = Date.now();

/** 14 days of hourly PodMetrics of every demo Pod, as the agent would have sampled them, in its history file. */
function writeHistory(file: string, objects: Record<string, unknown>[], cluster: string, now: number): void {
  const demo = buildDemoCluster();
  const { workloads, owners } = extractWorkloads(
    objects.map((object) => ({ object })),
    { defaultNamespace: 'default' },
  );
  const attribution = new UsageAttribution(workloads, owners);
  const pods = objects.filter((o) => o.kind === 'Pod');
  const history = new UsageHistory(14 * DAY_MS);
  for (let t = now - 14 * DAY_MS + HOUR_MS, poll = 0; t < now - HOUR_MS; t += HOUR_MS, poll++) {
    const peaks = new UsagePeaks(workloads, attribution);
    for (const pod of pods) {
      const meta = pod.metadata as { name: string; namespace: string; labels?: Record<string, string> };
      const usage = demo.metricsProvider(pod, poll);
      if (!usage) continue;
      const sample: UsageSample = {
        namespace: meta.namespace,
        pod: meta.name,
        labels: meta.labels ?? {},
        containers: usage.map((c) => ({
          name: c.name,
          cpu: parseQuantity(c.usage.cpu, 'cpu'),
          memory: parseQuantity(c.usage.memory, 'memory'),
        })),
      };
      peaks.add(sample);
    }
    history.recordPeaks(workloads, peaks, t);
  }
  fs.writeFileSync(file, history.encode(cluster, now));
}

beforeAll(async () => {
  // Installs Debian's chromium with apt when it is missing (minutes on a fresh machine; a no-op after).
  execFileSync('bash', [path.join(ROOT, 'scripts', 'setup-chromium.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const demo = buildDemoCluster();
  sim = await startSimulator({
    objects: demo.objects,
    metricsProvider: demo.metricsProvider,
    reviews: {
      users: {
        [READER]: { username: 'system:serviceaccount:ops:dashboard', groups: ['system:serviceaccounts'] },
        [NOBODY]: { username: 'nobody' },
      },
      allowed: (user, p, verb) => user.username.endsWith(':dashboard') && p.startsWith('/api/v1/') && verb === 'get',
    },
  });
  const dir = tempDir('opsagent-dashboard-');
  const kubeconfig = path.join(dir, 'config');
  sim.writeKubeconfig(kubeconfig);
  const historyFile = path.join(dir, 'usage-history');
  writeHistory(historyFile, sim.objects(), sim.url, Date.now());
  agent = await startAgent({
    kubeconfig,
    config: { schedule: '0 0 1 1 *', usage: { historyFile, sampleInterval: '1h' } },
  });
  await waitFor(
    async () => ((await fetch(`${agent.api}/health/ready`)).status === 200 ? true : undefined),
    60_000,
    'ready',
  );
  // The history file was loaded (same cluster): the first scan has 14 days of usage. The log line may reach this
  // process after the readiness answer does (another pipe), so wait for it.
  await waitFor(
    async () => (agent.stdout().includes('usage history loaded') ? true : undefined),
    30_000,
    'the usage history loaded from its file',
  );
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
}, 900_000);

afterAll(async () => {
  await browser?.close();
  for (const a of [agent, secured, leader]) if (a && a.child.exitCode === null) a.child.kill('SIGKILL');
  await sim?.close();
  console.log(`dashboard browser spec: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

interface Watched {
  page: Page;
  context: BrowserContext;
  /** Console errors and warnings, page errors, failed requests, CSP violations, requests to other origins. */
  problems: string[];
  /** Bytes on the wire of each page (non-API) response. */
  pageBytes: Map<string, number>;
  authorization: Map<string, string | undefined>;
}

async function open(base: string): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const problems: string[] = [];
  const pageBytes = new Map<string, number>();
  const authorization = new Map<string, string | undefined>();
  const origin = new URL(base).origin;
  // Runs before the page's own script; the CSP does not apply to what the browser's driver adds.
  await page.addInitScript({
    content:
      "document.addEventListener('securitypolicyviolation', (e) => " +
      'console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));',
  });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('request', (r) => {
    if (new URL(r.url()).origin !== origin) problems.push(`request to another origin: ${r.url()}`);
    authorization.set(new URL(r.url()).pathname, r.headers().authorization);
  });
  page.on('response', async (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/health')) return;
    // A response still arriving when a test closes its context has no sizes any more: not a failure of its own.
    const sizes = await r
      .request()
      .sizes()
      .catch(() => undefined);
    if (sizes) pageBytes.set(url.pathname, sizes.responseBodySize);
  });
  return { page, context, problems, pageBytes, authorization };
}

const api = <T>(p: string) => getJson<T>(`${agent.api}${p}`).then((r) => r.body);

describe('GET /api/v1/workloads/{namespace}/{kind}/{name}', () => {
  it('answers the workload view: per container requests, limits, history, context, recommendation and issues', async () => {
    const { status, body } = await getJson<{
      kind: string;
      replicas: number;
      hpa: { name: string };
      containers: {
        name: string;
        requests: { cpu: number };
        history: { cpuP95: number; memoryMax: number }[];
        recommendation: { cpu: { recommended: number; confidence: string; rule: string } };
        issues: IssueJson[];
      }[];
    }>(`${agent.api}/api/v1/workloads/shop/Deployment/catalog`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ kind: 'Deployment', hpa: { name: 'catalog' } });
    const [c] = body.containers;
    expect(c.requests.cpu).toBe(2000);
    // 14 days of hourly samples in daily slots: 14 or 15 slots, each with figures.
    expect(c.history.length).toBeGreaterThanOrEqual(14);
    expect(c.history.every((s) => s.cpuP95 > 0 && s.memoryMax > 0)).toBe(true);
    expect(c.recommendation.cpu).toMatchObject({ rule: 'cpu-overprovisioned', confidence: 'high' });
    const issues = await api<Page_<IssueJson>>('/api/v1/issues?namespace=shop&kind=Deployment&name=catalog');
    expect(c.issues.map((i) => i.id).sort()).toEqual(issues.items.map((i) => i.id).sort());
  });

  it('400 names the parameter (a bad kind or name); 404 for a workload the last scan did not find', async () => {
    const bad = await getJson<{ statusCode: number; details: { parameter: string; reason: string }[] }>(
      `${agent.api}/api/v1/workloads/shop/Service/catalog`,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.details).toEqual([
      { parameter: 'kind', reason: expect.stringContaining('must be one of Deployment') },
    ]);
    const badName = await getJson<{ details: { parameter: string }[] }>(
      `${agent.api}/api/v1/workloads/Shop/Deployment/catalog`,
    );
    expect(badName.status).toBe(400);
    expect(badName.body.details.map((d) => d.parameter)).toEqual(['namespace']);
    const missing = await getJson<{ statusCode: number; message: string }>(
      `${agent.api}/api/v1/workloads/shop/StatefulSet/catalog`,
    );
    expect(missing).toEqual({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'the last scan found no StatefulSet shop/catalog' },
    });
  });

  it('is in the OpenAPI document: path parameters, the 2xx schema and the error schema of 400 and 404', async () => {
    type Op = {
      summary: string;
      parameters: { name: string; in: string; required: boolean; schema: { enum?: string[] } }[];
      responses: Record<string, { content: { 'application/json': { schema: { $ref: string } } } }>;
    };
    const doc = await api<{ paths: Record<string, { get: Op }>; components: { schemas: Record<string, unknown> } }>(
      '/api/docs-json',
    );
    const op = doc.paths['/api/v1/workloads/{namespace}/{kind}/{name}'].get;
    expect(op.summary).toBe('One workload as the last scan saw it');
    expect(op.parameters.map((p) => [p.name, p.in, p.required])).toEqual([
      ['namespace', 'path', true],
      ['kind', 'path', true],
      ['name', 'path', true],
    ]);
    expect(op.parameters[1].schema.enum).toContain('CronJob');
    const ref = (code: string) => op.responses[code].content['application/json'].schema.$ref;
    expect(ref('200')).toBe('#/components/schemas/WorkloadResponse');
    expect(ref('400')).toBe('#/components/schemas/ErrorResponse');
    expect(ref('404')).toBe('#/components/schemas/ErrorResponse');
    for (const name of ['WorkloadResponse', 'ContainerViewResponse', 'HistorySlotResponse', 'RecommendationResponse']) {
      expect(doc.components.schemas[name]).toBeDefined();
    }
  });
});

describe('the dashboard in headless Chromium', () => {
  it('serves the page and its assets with a strict CSP, their content types and caching headers', async () => {
    const index = await fetch(`${agent.api}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await index.text();
    // No inline script or style: every script and sheet is a file of the agent's.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|style=/);
    const assets = [...html.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      const res = await fetch(`${agent.api}/${asset}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toBe(csp);
      const type = asset.endsWith('.js')
        ? 'text/javascript; charset=utf-8'
        : asset.endsWith('.css')
          ? 'text/css; charset=utf-8'
          : 'image/svg+xml';
      expect(res.headers.get('content-type')).toBe(type);
      if (/\.(js|css)$/.test(asset))
        expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const etag = res.headers.get('etag')!;
      expect((await fetch(`${agent.api}/${asset}`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    }
    // The page's data is not served here: an unknown file below /assets/ is a 404, the API keeps its routes.
    expect((await fetch(`${agent.api}/assets/nope.js`)).status).toBe(404);
    // The build's own figure of the page's weight (printed by `npm run build`), within the budget.
    const manifest = JSON.parse(
      fs.readFileSync(path.join(ROOT, 'dist', 'apps', 'dashboard', 'manifest.json'), 'utf8'),
    ) as {
      gzipBytes: number;
    };
    expect(manifest.gzipBytes).toBeLessThanOrEqual(BUDGET_GZIP_BYTES);
  });

  it('overview: issues by severity, the last scan, and waste by namespace as a chart; nothing loaded from elsewhere', async () => {
    const summary = await api<SummaryJson>('/api/v1/summary');
    expect(summary.total).toBeGreaterThan(0);
    const w = await open(agent.api);
    await w.page.goto(`${agent.api}/`);
    const tiles = w.page.locator('.tiles .tile');
    await tiles.first().waitFor();
    for (const severity of ['critical', 'high', 'medium', 'low', 'info']) {
      await expect(w.page.locator(`.tile.sev-${severity} .count`).textContent()).resolves.toBe(
        String(summary.bySeverity[severity]),
      );
    }
    await expect(w.page.getByTestId('last-scan').textContent()).resolves.toContain(summary.lastScan!.status);
    // The waste chart is drawn (a canvas with pixels), with one table row per namespace.
    const canvas = w.page.locator('section[aria-labelledby="waste-h"] canvas');
    await canvas.waitFor();
    expect(await canvas.evaluate((c: { width: number; height: number }) => c.width * c.height)).toBeGreaterThan(0);
    const namespaces = Object.keys(summary.waste.byNamespace);
    expect(namespaces.length).toBeGreaterThan(1);
    expect(await w.page.locator('section[aria-labelledby="waste-h"] tbody tr').count()).toBe(namespaces.length);
    await w.page.screenshot({ path: path.join(SCREENSHOTS, 'overview.png'), fullPage: true });
    // Everything the page loaded, as it came over the wire (gzip), is within the budget.
    const total = [...w.pageBytes.values()].reduce((a, b) => a + b, 0);
    expect(w.pageBytes.size).toBeGreaterThanOrEqual(3);
    expect(total).toBeLessThanOrEqual(BUDGET_GZIP_BYTES);
    expect(w.problems).toEqual([]);
    await w.context.close();
  });

  it('issues table: the REST filters, search by workload name and paging', async () => {
    const w = await open(agent.api);
    const { page } = w;
    await page.goto(`${agent.api}/#/issues`);
    const count = page.getByTestId('issue-count');
    const all = await api<Page_<IssueJson>>('/api/v1/issues?limit=1000');
    await waitForText(count, `${all.total} issues`);
    const rows = page.locator('table.issues tbody tr');
    expect(await rows.count()).toBe(20);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'issues.png'), fullPage: true });

    // Paging: the next page holds the API's next 20, and Previous comes back.
    const firstIds = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
    expect(firstIds).toEqual(all.items.slice(0, 20).map((i) => i.id));
    // The page number changes at the click, the rows when the page has loaded: wait for the rows.
    const idsShown = () => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
    const waitForIds = async (expected: string[]) => {
      await waitFor(
        async () => (JSON.stringify(await idsShown()) === JSON.stringify(expected) ? true : undefined),
        60_000,
        'the rows of the page',
      ).catch(async (error: Error) => {
        throw new Error(
          `${error.message}: shown ${JSON.stringify(await idsShown())}, expected ${JSON.stringify(expected)}`,
        );
      });
    };
    await page.getByRole('button', { name: 'Next' }).click();
    await waitForText(count, 'page 2 of');
    await waitForIds(all.items.slice(20, 40).map((i) => i.id));
    await page.getByRole('button', { name: 'Previous' }).click();
    await waitForText(count, 'page 1 of');
    await waitForIds(firstIds as string[]);

    // Filters, by their labels: each gives what the REST filter gives.
    const check = async (query: string) => {
      const expected = await api<Page_<IssueJson>>(`/api/v1/issues?limit=1000&${query}`);
      expect(expected.total).toBeGreaterThan(0);
      // The whole count, not a part of it: "12 issues" holds "2 issues", which let a check pass on the previous
      // filter's rows. Then the rows themselves, which the page fills after the count.
      await waitFor(
        async () =>
          (await count.textContent())?.startsWith(`${expected.total} issue${expected.total === 1 ? '' : 's'} `)
            ? true
            : undefined,
        60_000,
        `the count of ${query}`,
      );
      await waitForIds(expected.items.slice(0, 20).map((i) => i.id));
    };
    await page.getByLabel('Namespace').selectOption('shop');
    await check('namespace=shop');
    await page.getByLabel('Kind').selectOption('Deployment');
    await check('namespace=shop&kind=Deployment');
    await page.getByLabel('Minimum severity').selectOption('high');
    await check('namespace=shop&kind=Deployment&minSeverity=high');
    await page.getByLabel('Minimum severity').selectOption('');
    await page.getByLabel('Rule').selectOption('cpu-overprovisioned');
    await check('namespace=shop&kind=Deployment&rule=cpu-overprovisioned');
    await page.getByLabel('Rule').selectOption('');
    await page.getByLabel('Severity', { exact: true }).selectOption('medium');
    await check('namespace=shop&kind=Deployment&severity=medium');
    await page.getByLabel('Severity', { exact: true }).selectOption('');
    // Search by a part of the workload's name.
    await page.getByLabel('Workload name').fill('catal');
    await page.getByRole('button', { name: 'Search' }).click();
    await check('namespace=shop&kind=Deployment&nameContains=catal');
    const names = await rows.evaluateAll((trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(name).toContain('catal');
    expect(w.problems).toEqual([]);
    await w.context.close();
  }, 150_000); // its waits (60 s each) must be able to fail with their own message, inside the test's time

  it('keyboard: rows are focusable, arrows move between them, Enter opens the workload', async () => {
    const w = await open(agent.api);
    const { page } = w;
    await page.goto(`${agent.api}/#/issues?namespace=shop`);
    const rows = page.locator('table.issues tbody tr');
    await rows.first().waitFor();
    // Tab from the last filter control reaches the first row.
    await page.getByRole('button', { name: 'Search' }).focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string | null>('document.activeElement?.getAttribute("data-id") ?? null')).toBe(
      await rows.nth(0).getAttribute('data-id'),
    );
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowUp');
    const id = await rows.nth(1).getAttribute('data-id');
    expect(await page.evaluate<string | null>('document.activeElement?.getAttribute("data-id") ?? null')).toBe(id);
    const issue = await api<IssueJson>(`/api/v1/issues/${id}`);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: `${issue.kind} ${issue.namespace}/${issue.name}` }).waitFor();
    expect(page.url()).toContain(`#/workloads/${issue.namespace}/${issue.kind}/${issue.name}`);
    expect(w.problems).toEqual([]);
    await w.context.close();
  });

  it('workload view: requests and limits against 14 days of usage, the recommendation, its confidence and the context', async () => {
    const w = await open(agent.api);
    const { page } = w;
    // shop/catalog: scaled by an HPA on CPU; over-provisioned with 14 days of history.
    const view = await api<{
      containers: { name: string; history: unknown[]; recommendation: Record<string, { confidence: string }> }[];
    }>('/api/v1/workloads/shop/Deployment/catalog');
    expect(view.containers[0].history.length).toBeGreaterThanOrEqual(14);
    expect(view.containers[0].recommendation.cpu?.confidence).toBe('high');
    await page.goto(`${agent.api}/#/workloads/shop/Deployment/catalog`);
    const card = page.locator(`article[data-container="${view.containers[0].name}"]`);
    await card.waitFor();
    const charts = card.locator('canvas');
    expect(await charts.count()).toBe(2);
    await expect(card.locator('.confidence').first().textContent()).resolves.toBe('high');
    await expect(card.getByTestId('context-hpa').textContent()).resolves.toContain('catalog');
    await expect(page.getByTestId('hpa').textContent()).resolves.toContain('cpu Utilization 60 %');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'workload.png'), fullPage: true });

    // team-a/notebook: requests and limits from the namespace's LimitRange.
    await page.goto(`${agent.api}/#/workloads/team-a/Deployment/notebook`);
    await expect(page.getByTestId('context-limitrange').first().textContent()).resolves.toContain('team-a-defaults');
    // shop/image-resizer: OOM-killed within the window.
    await page.goto(`${agent.api}/#/workloads/shop/Deployment/image-resizer`);
    await expect(page.getByTestId('context-oom').textContent()).resolves.toMatch(
      /OOM-killed in Pod image-resizer-\S+ .* \(restarts: 4, exit code 137\)/,
    );

    // Every issue that carries a fix (issue 15 §2) shows its command with a copy button that copies it.
    const withFix = (
      await api<Page_<IssueJson>>('/api/v1/issues?limit=1000&namespace=shop&name=image-resizer')
    ).items.filter((i) => i.fix);
    for (const issue of withFix) {
      const item = page.locator(`.issue-list li[data-id="${issue.id}"]`);
      await expect(item.getByTestId('fix-command').textContent()).resolves.toBe(issue.fix!.command);
      await w.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: agent.api });
      await item.getByRole('button', { name: 'Copy command' }).click();
      await waitForText(item.getByRole('status'), 'Copied');
      expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(issue.fix!.command);
    }

    // An unknown workload: the API's 404 message, shown.
    await page.goto(`${agent.api}/#/workloads/shop/Deployment/nope`);
    await waitForText(page.getByRole('alert'), 'the last scan found no Deployment shop/nope');
    expect(w.problems.filter((p) => !p.includes('404'))).toEqual([]);
    await w.context.close();
  });

  it('server.auth.mode kubernetes: asks for a bearer token, keeps it in sessionStorage and sends it; 401/403 are clear', async () => {
    const kubeconfig = path.join(tempDir('opsagent-dashboard-auth-'), 'config');
    sim.writeKubeconfig(kubeconfig);
    secured = await startAgent({ kubeconfig, config: { schedule: '0 0 1 1 *' }, authMode: 'kubernetes' });
    await waitFor(
      async () => ((await fetch(`${secured!.api}/health/ready`)).status === 200 ? true : undefined),
      60_000,
    );
    // The page is served without a token; its data is not.
    expect((await fetch(`${secured.api}/`)).status).toBe(200);
    expect((await fetch(`${secured.api}/api/v1/summary`)).status).toBe(401);
    expect((await fetch(`${secured.api}/api/v1/workloads/shop/Deployment/catalog`)).status).toBe(401);
    const asReader = await fetch(`${secured.api}/api/v1/workloads/shop/Deployment/catalog`, {
      headers: { authorization: `Bearer ${READER}` },
    });
    expect(asReader.status).toBe(200);

    const w = await open(secured.api);
    const { page } = w;
    await page.goto(`${secured.api}/`);
    const field = page.getByLabel('Bearer token');
    await field.waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'token.png') });
    // A token the TokenReview rejects: asked again, saying so.
    await field.fill('not-a-token');
    await page.getByRole('button', { name: 'Use token' }).click();
    await waitForText(page.getByRole('alert'), 'did not accept the token');
    // A valid token without RBAC for the API: a 403 message.
    await page.getByLabel('Bearer token').fill(NOBODY);
    await page.getByRole('button', { name: 'Use token' }).click();
    await waitForText(page.getByRole('alert'), 'Access denied (403)');
    // The reader's token: the overview renders, the token is in sessionStorage and sent with every API request.
    await page.getByRole('button', { name: 'Forget token' }).click();
    await page.getByLabel('Bearer token').fill(READER);
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.locator('.tiles .tile').first().waitFor();
    expect(await page.evaluate<string | null>("sessionStorage.getItem('opsagent.token')")).toBe(READER);
    expect(w.authorization.get('/api/v1/summary')).toBe(`Bearer ${READER}`);
    // A reload keeps it (same tab).
    await page.reload();
    await page.locator('.tiles .tile').first().waitFor();
    // The 401s and 403 above are the browser's "Failed to load resource" lines, and nothing else.
    expect(w.problems.filter((p) => !/status of 40[13]/.test(p))).toEqual([]);
    await w.context.close();
  });

  it('overview with leader election: the leader identity and this replica role', async () => {
    const kubeconfig = path.join(tempDir('opsagent-dashboard-leader-'), 'config');
    sim.writeKubeconfig(kubeconfig);
    leader = await startAgent({
      kubeconfig,
      config: {
        schedule: '0 0 1 1 *',
        reports: { policyReports: true },
        leaderElection: { enabled: true, namespace: 'shop', identity: 'dashboard-replica-a' },
      },
    });
    await waitFor(
      async () => ((await fetch(`${leader!.api}/health/ready`)).status === 200 ? true : undefined),
      90_000,
      'the leader ready',
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${leader!.stdout().slice(-3000)}\n${leader!.stderr().slice(-2000)}`);
    });
    // Ready does not mean leading yet: the page reads the role once, so wait until this replica holds the Lease.
    await waitFor(
      async () => {
        const health = (await (await fetch(`${leader!.api}/health`)).json()) as {
          info?: { scanner?: { role?: string } };
        };
        return health.info?.scanner?.role === 'leader' ? true : undefined;
      },
      60_000,
      'the replica to lead',
    );
    const w = await open(leader.api);
    await w.page.goto(`${leader.api}/`);
    // The page reads the role when it loads: on a loaded machine the Lease can change hands between the check above
    // and the page's request, so reload until the page shows what /health says.
    const leaderText = w.page.getByTestId('leader');
    await waitFor(
      async () => {
        if (
          (await leaderText.textContent({ timeout: 5_000 }))?.includes(
            'dashboard-replica-a (this replica is the leader)',
          )
        )
          return true;
        await w.page.reload();
        return undefined;
      },
      90_000,
      'the leader on the overview',
    ).catch(async (error: Error) => {
      const health = await (await fetch(`${leader!.api}/health`)).text();
      const page = await w.page
        .locator('body')
        .textContent({ timeout: 5_000 })
        .catch(() => '?');
      throw new Error(
        `${error.message}: shown ${await leaderText.textContent({ timeout: 1_000 }).catch(() => '?')}; page ${page}; ` +
          `problems ${JSON.stringify(w.problems)}; /health ${health}`,
      );
    });
    expect(w.problems).toEqual([]);
    await w.context.close();
  }, 150_000);
});

async function waitForText(locator: ReturnType<Page['locator']>, text: string): Promise<void> {
  await waitFor(
    async () => ((await locator.textContent())?.includes(text) ? true : undefined),
    60_000,
    `text "${text}"`,
  );
}
