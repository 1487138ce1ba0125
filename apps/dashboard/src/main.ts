import { h, render, type ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import {
  ApiError,
  getJson,
  KINDS,
  SEVERITIES,
  setToken,
  token,
  type ContainerView,
  type Health,
  type Issue,
  type IssuePage,
  type Summary,
  type WorkloadView,
} from './api';
import { COLORS, draw } from './charts';
import { age, cpu, day, memory, money, slotLabel, value } from './format';

const html = htm.bind(h);
const PAGE_SIZE = 20;
const MI = 2 ** 20;
const GI = 2 ** 30;

// ---- routing: #/ (overview), #/issues?filters, #/workloads/<namespace>/<kind>/<name> ----------------------------

interface Route {
  view: 'overview' | 'issues' | 'workload';
  params: URLSearchParams;
  workload?: { namespace: string; kind: string; name: string };
}

function parseRoute(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'issues') return { view: 'issues', params };
  if (parts[0] === 'workloads' && parts.length === 4) {
    return { view: 'workload', params, workload: { namespace: parts[1], kind: parts[2], name: parts[3] } };
  }
  return { view: 'overview', params };
}

export function workloadHref(w: { namespace: string; kind: string; name: string }): string {
  return `#/workloads/${[w.namespace, w.kind, w.name].map(encodeURIComponent).join('/')}`;
}

// ---- data: one hook per request; a 401 asks for the token --------------------------------------------------------

type Load<T> = { data?: T; error?: ApiError | Error; loading: boolean };

/** Reports a 401 to the app, which then asks for a token. */
let onUnauthorized: () => void = () => undefined;

function useApi<T>(path: string | null, version: number): Load<T> {
  const [state, setState] = useState<Load<T>>({ loading: true });
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    getJson<T>(path).then(
      (data) => live && setState({ data, loading: false }),
      (error: Error) => {
        if (!live) return;
        if (error instanceof ApiError && error.status === 401) onUnauthorized();
        setState({ error, loading: false });
      },
    );
    return () => {
      live = false;
    };
  }, [path, version]);
  return state;
}

function Failure({ error }: { error: Error }) {
  if (error instanceof ApiError && error.status === 403) {
    return html`<p class="error" role="alert">
      ${`Access denied (403): the token is not allowed to read this (${error.message}). `}
      ${'Ask for a token whose RBAC allows get on the non-resource URLs /api/v1/*.'}
    </p>`;
  }
  if (error instanceof ApiError && error.status === 401) {
    return html`<p class="error" role="alert">Not authenticated (401): ${error.message}</p>`;
  }
  return html`<p class="error" role="alert">Could not load: ${error.message}</p>`;
}

function Loaded<T>({ load, children }: { load: Load<T>; children: (data: T) => ComponentChildren }) {
  if (load.error) return html`<${Failure} error=${load.error} />`;
  if (load.data === undefined) return html`<p class="loading">Loading…</p>`;
  return html`${children(load.data)}`;
}

// ---- the token form (server.auth.mode: kubernetes) ----------------------------------------------------------------

function TokenForm({ onSaved, rejected }: { onSaved: () => void; rejected: boolean }) {
  const [text, setText] = useState('');
  return html`<form
    class="token"
    onSubmit=${(e: Event) => {
      e.preventDefault();
      setToken(text.trim());
      onSaved();
    }}
  >
    <h2>Sign in</h2>
    <p>
      ${'This OpsAgent checks callers with Kubernetes (server.auth.mode: kubernetes). Paste a bearer token, for '}
      ${'example from `kubectl create token <service-account>`; it is kept in this tab only (sessionStorage).'}
    </p>
    ${rejected ? html`<p class="error" role="alert">The API did not accept the token (401). Try another one.</p>` : null}
    <label for="token">Bearer token</label>
    <input
      id="token"
      type="password"
      autocomplete="off"
      value=${text}
      onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)}
      required
    />
    <button type="submit">Use token</button>
  </form>`;
}

// ---- overview ------------------------------------------------------------------------------------------------------

function Chart({ config, label }: { config: Parameters<typeof draw>[1]; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => (ref.current ? draw(ref.current, config) : undefined), [JSON.stringify(config.data)]);
  return html`<div class="chart"><canvas ref=${ref} role="img" aria-label=${label}></canvas></div>`;
}

function Overview({ version }: { version: number }) {
  const summary = useApi<Summary>('/api/v1/summary', version);
  const health = useApi<Health>('/health', version);
  return html`<${Loaded} load=${summary}>
    ${(s: Summary) => html`
      <section aria-labelledby="severity-h">
        <h2 id="severity-h">Issues by severity</h2>
        <ul class="tiles">
          ${SEVERITIES.map(
            (sev) =>
              html`<li class=${`tile sev-${sev}`}>
                <a href=${`#/issues?severity=${sev}`}><span class="count">${s.bySeverity[sev] ?? 0}</span> ${sev}</a>
              </li>`,
          )}
          <li class="tile">
            <a href="#/issues"><span class="count">${s.total}</span> total</a>
          </li>
        </ul>
      </section>
      <${LastScan} scan=${s.lastScan} health=${health.data} />
      <${WasteByNamespace} waste=${s.waste} />
    `}
  <//>`;
}

function LastScan({ scan, health }: { scan: Summary['lastScan']; health?: Health }) {
  const role = health?.info?.scanner;
  return html`<section aria-labelledby="scan-h">
    <h2 id="scan-h">Last scan</h2>
    ${
      scan
        ? html`<dl class="facts" data-testid="last-scan">
              <dt>Status</dt>
              <dd><span class=${`status status-${scan.status}`}>${scan.status}</span></dd>
              <dt>Finished</dt>
              <dd>
                ${scan.finishedAt ? html`<time datetime=${scan.finishedAt}>${age(scan.finishedAt)}</time>` : 'running'}
              </dd>
              <dt>Duration</dt>
              <dd>${scan.durationMs !== undefined ? `${scan.durationMs} ms` : '—'}</dd>
              <dt>Errors</dt>
              <dd>${scan.errors.length}</dd>
              <dt>Warnings</dt>
              <dd>${scan.warnings.length}</dd>
              ${
                role?.role
                  ? html`<dt>Leader</dt>
                      <dd data-testid="leader">${role.leader ?? 'none known'} (this replica is the ${role.role})</dd>`
                  : null
              }
            </dl>
            ${
              scan.errors.length > 0
                ? html`<ul class="messages errors">
                    ${scan.errors.map((e) => html`<li>${e.kind}${e.code ? ` (${e.code})` : ''}: ${e.reason}</li>`)}
                  </ul>`
                : null
            }
            ${
              scan.warnings.length > 0
                ? html`<ul class="messages warnings">
                    ${scan.warnings.map((w) => html`<li><code>${w.code}</code> ${w.message}</li>`)}
                  </ul>`
                : null
            }`
        : html`<p>No scan has finished yet.</p>`
    }
  </section>`;
}

function WasteByNamespace({ waste }: { waste: Summary['waste'] }) {
  const rows = Object.entries(waste.byNamespace).sort((a, b) => b[1].monthlyCost - a[1].monthlyCost);
  const labels = rows.map(([ns]) => ns);
  const bar = (label: string, data: number[], color: string, axis: string) => ({
    label,
    data,
    backgroundColor: color,
    yAxisID: axis,
  });
  return html`<section aria-labelledby="waste-h">
    <h2 id="waste-h">Waste by namespace</h2>
    ${
      rows.length === 0
        ? html`<p>No over-provisioning found.</p>`
        : html`
            <${Chart}
              label="Waste by namespace: CPU cores, memory GiB and money a month"
              config=${{
                type: 'bar',
                data: {
                  labels,
                  datasets: [
                    bar(
                      `money / month (${waste.currency})`,
                      rows.map(([, w]) => w.monthlyCost),
                      COLORS.request,
                      'money',
                    ),
                    bar(
                      'CPU cores',
                      rows.map(([, w]) => w.cpuCores),
                      COLORS.p95,
                      'units',
                    ),
                    bar(
                      'memory GiB',
                      rows.map(([, w]) => +(w.memoryBytes / GI).toFixed(2)),
                      COLORS.limit,
                      'units',
                    ),
                  ],
                },
                options: {
                  maintainAspectRatio: false,
                  scales: {
                    money: { type: 'linear', position: 'left', title: { display: true, text: waste.currency } },
                    units: {
                      type: 'linear',
                      position: 'right',
                      title: { display: true, text: 'cores / GiB' },
                      grid: { drawOnChartArea: false },
                    },
                  },
                },
              }}
            />
            <table class="data">
              <caption>
                ${`Waste a month: ${money(waste.total.monthlyCost, waste.currency)} in all (${waste.total.cpuCores} cores, ${memory(waste.total.memoryBytes)})`}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Namespace</th>
                  <th scope="col">CPU</th>
                  <th scope="col">Memory</th>
                  <th scope="col">Money / month</th>
                </tr>
              </thead>
              <tbody>
                ${rows.map(
                  ([ns, w]) =>
                    html`<tr>
                      <th scope="row"><a href=${`#/issues?namespace=${encodeURIComponent(ns)}`}>${ns}</a></th>
                      <td>${w.cpuCores} cores</td>
                      <td>${memory(w.memoryBytes)}</td>
                      <td>${money(w.monthlyCost, waste.currency)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          `
    }
  </section>`;
}

// ---- issues table --------------------------------------------------------------------------------------------------

const FILTERS = ['namespace', 'kind', 'rule', 'severity', 'minSeverity', 'name', 'nameContains'] as const;

function Issues({ params, version }: { params: URLSearchParams; version: number }) {
  const summary = useApi<Summary>('/api/v1/summary', version);
  const query = new URLSearchParams();
  for (const f of FILTERS) {
    const v = params.get(f);
    if (v) query.set(f, v);
  }
  query.set('limit', String(PAGE_SIZE));
  const cont = params.get('continue');
  if (cont) query.set('continue', cont);
  const page = useApi<IssuePage>(`/api/v1/issues?${query.toString()}`, version);
  // Tokens of the pages before this one, for "Previous" (the API pages forward only).
  const back = params.getAll('back');

  const go = (next: URLSearchParams) => {
    location.hash = `#/issues?${next.toString()}`;
  };
  const setFilter = (key: string, v: string) => {
    const next = new URLSearchParams();
    for (const f of FILTERS) {
      const cur = f === key ? v : params.get(f);
      if (cur) next.set(f, cur);
    }
    go(next);
  };
  const filtersOnly = () => {
    const next = new URLSearchParams();
    for (const f of FILTERS) {
      const v = params.get(f);
      if (v) next.set(f, v);
    }
    return next;
  };
  const nextPage = (token: string) => {
    const next = filtersOnly();
    for (const b of back) next.append('back', b);
    next.append('back', cont ?? '');
    next.set('continue', token);
    go(next);
  };
  const previousPage = () => {
    const next = filtersOnly();
    const previous = back.slice(0, -1);
    for (const b of previous) next.append('back', b);
    const token = back[back.length - 1];
    if (token) next.set('continue', token);
    go(next);
  };
  const pageNumber = back.length + 1;
  const namespaces = Object.keys(summary.data?.byNamespace ?? {}).sort();
  const rules = Object.keys(summary.data?.byRule ?? {}).sort();
  const select = (key: string, label: string, options: readonly string[]) =>
    html`<div class="field">
      <label for=${`f-${key}`}>${label}</label>
      <select
        id=${`f-${key}`}
        value=${params.get(key) ?? ''}
        onChange=${(e: Event) => setFilter(key, (e.target as HTMLSelectElement).value)}
      >
        <option value="">any</option>
        ${options.map((o) => html`<option value=${o}>${o}</option>`)}
      </select>
    </div>`;

  return html`<section aria-labelledby="issues-h">
    <h2 id="issues-h">Issues</h2>
    <form
      class="filters"
      role="search"
      onSubmit=${(e: Event) => {
        e.preventDefault();
        const input = (e.target as HTMLFormElement).elements.namedItem('nameContains') as HTMLInputElement;
        setFilter('nameContains', input.value.trim().toLowerCase());
      }}
    >
      ${select('namespace', 'Namespace', namespaces)} ${select('kind', 'Kind', KINDS)} ${select('rule', 'Rule', rules)}
      ${select('severity', 'Severity', SEVERITIES)} ${select('minSeverity', 'Minimum severity', SEVERITIES)}
      <div class="field">
        <label for="f-name">Workload name</label>
        <input
          id="f-name"
          name="nameContains"
          type="search"
          placeholder="part of a name"
          value=${params.get('nameContains') ?? ''}
        />
      </div>
      <button type="submit">Search</button>
    </form>
    <${Loaded} load=${page}>
      ${(p: IssuePage) => html`
        <p class="count" data-testid="issue-count" aria-live="polite">
          ${`${p.total} issue${p.total === 1 ? '' : 's'} · page ${pageNumber} of `}
          ${Math.max(1, Math.ceil(p.total / PAGE_SIZE))}
        </p>
        <${IssueTable} issues=${p.items} />
        <nav class="pager" aria-label="Pages">
          <button type="button" disabled=${pageNumber === 1} onClick=${previousPage}>Previous</button>
          <button type="button" disabled=${!p.continue} onClick=${() => p.continue && nextPage(p.continue)}>
            Next
          </button>
        </nav>
      `}
    <//>
  </section>`;
}

/** Rows are focusable: Enter opens the workload, ↑/↓ move between rows, Home/End to the first/last. */
function IssueTable({ issues }: { issues: Issue[] }) {
  const onKey = (e: KeyboardEvent, issue: Issue) => {
    const row = e.currentTarget as HTMLTableRowElement;
    const rows = [...(row.parentElement?.children ?? [])] as HTMLElement[];
    const at = rows.indexOf(row);
    const move = (i: number) => rows[Math.max(0, Math.min(rows.length - 1, i))]?.focus();
    if (e.key === 'Enter') location.hash = workloadHref(issue);
    else if (e.key === 'ArrowDown') move(at + 1);
    else if (e.key === 'ArrowUp') move(at - 1);
    else if (e.key === 'Home') move(0);
    else if (e.key === 'End') move(rows.length - 1);
    else return;
    e.preventDefault();
  };
  if (issues.length === 0) return html`<p>No issue matches.</p>`;
  return html`<table class="data issues">
    <caption class="sr-only">
      Issues; rows open their workload with Enter
    </caption>
    <thead>
      <tr>
        <th scope="col">Severity</th>
        <th scope="col">Rule</th>
        <th scope="col">Namespace</th>
        <th scope="col">Workload</th>
        <th scope="col">Container</th>
        <th scope="col">Message</th>
      </tr>
    </thead>
    <tbody>
      ${issues.map(
        (i) =>
          html`<tr
            tabindex="0"
            data-id=${i.id}
            onKeyDown=${(e: KeyboardEvent) => onKey(e, i)}
            onClick=${() => (location.hash = workloadHref(i))}
          >
            <td><span class=${`sev sev-${i.severity}`}>${i.severity}</span></td>
            <td><code>${i.rule}</code></td>
            <td>${i.namespace}</td>
            <td><a href=${workloadHref(i)} tabindex="-1">${i.kind} ${i.name}</a></td>
            <td>${i.container}</td>
            <td>${i.message}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

// ---- workload view -------------------------------------------------------------------------------------------------

function Workload({ target, version }: { target: NonNullable<Route['workload']>; version: number }) {
  const path = `/api/v1/workloads/${[target.namespace, target.kind, target.name].map(encodeURIComponent).join('/')}`;
  const load = useApi<WorkloadView>(path, version);
  return html`<section aria-labelledby="workload-h">
    <h2 id="workload-h">${target.kind} ${target.namespace}/${target.name}</h2>
    <${Loaded} load=${load}>
      ${(w: WorkloadView) => html`
        <p class="facts-inline">
          ${w.replicas !== undefined ? html`<span>${w.replicas} replica${w.replicas === 1 ? '' : 's'}</span>` : null}
          ${
            w.hpa
              ? html`<span data-testid="hpa">${`scaled by HPA ${w.hpa.name} on ${w.hpa.metrics.map((m) => `${m.resource} ${m.target}${m.averageUtilization !== undefined ? ` ${m.averageUtilization} %` : ''}`).join(', ')}`}</span>`
              : null
          }
        </p>
        ${w.containers.map((c) => html`<${ContainerCard} container=${c} />`)}
        ${w.otherIssues.length > 0 ? html`<${IssueList} issues=${w.otherIssues} />` : null}
      `}
    <//>
  </section>`;
}

function ContainerCard({ container: c }: { container: ContainerView }) {
  const labels = c.history.map((s) => slotLabel(s.from, s.to));
  const line = (label: string, data: (number | null)[], color: string, dash = false) => ({
    label,
    data,
    borderColor: color,
    backgroundColor: color,
    borderDash: dash ? [6, 4] : [],
    pointRadius: dash ? 0 : 2,
    spanGaps: true,
  });
  const flat = (v: number | undefined, scale = 1) =>
    labels.map(() => (v === undefined ? null : +(v / scale).toFixed(2)));
  const recCpu = c.recommendation.cpu;
  const recMem = c.recommendation.memory;
  const cpuSets = [
    line(
      'CPU p50 (m)',
      c.history.map((s) => +s.cpuP50.toFixed(1)),
      COLORS.p50,
    ),
    line(
      'CPU p95 (m)',
      c.history.map((s) => +s.cpuP95.toFixed(1)),
      COLORS.p95,
    ),
    line(
      'CPU max (m)',
      c.history.map((s) => +s.cpuMax.toFixed(1)),
      COLORS.max,
    ),
    line('request', flat(c.requests.cpu ?? c.context.requestDefault.cpu?.value ?? c.limits.cpu), COLORS.request, true),
    line('limit', flat(c.limits.cpu ?? c.context.limitDefault.cpu?.value), COLORS.limit, true),
    ...(recCpu ? [line('recommended', flat(recCpu.recommended), COLORS.recommended, true)] : []),
  ];
  const memSets = [
    line(
      'memory peak (MiB)',
      c.history.map((s) => +(s.memoryMax / MI).toFixed(1)),
      COLORS.memory,
    ),
    line(
      'request',
      flat(c.requests.memory ?? c.context.requestDefault.memory?.value ?? c.limits.memory, MI),
      COLORS.request,
      true,
    ),
    line('limit', flat(c.limits.memory ?? c.context.limitDefault.memory?.value, MI), COLORS.limit, true),
    ...(recMem ? [line('recommended', flat(recMem.recommended, MI), COLORS.recommended, true)] : []),
  ];
  const options = (unit: string) => ({
    maintainAspectRatio: false,
    scales: { y: { beginAtZero: true, title: { display: true, text: unit } } },
  });
  return html`<article class="container" aria-labelledby=${`c-${c.name}`} data-container=${c.name}>
    <h3 id=${`c-${c.name}`}>Container ${c.name} ${c.role !== 'container' ? html`<small>(${c.role})</small>` : null}</h3>
    <table class="data resources">
      <thead>
        <tr>
          <th scope="col">Resource</th>
          <th scope="col">Request</th>
          <th scope="col">Limit</th>
          <th scope="col">Measured</th>
          <th scope="col">Recommended</th>
          <th scope="col">Confidence</th>
        </tr>
      </thead>
      <tbody>
        ${(['cpu', 'memory'] as const).map((r) => {
          const rec = c.recommendation[r];
          const measured = c.usage
            ? r === 'cpu'
              ? `p95 ${cpu(c.usage.cpuP95)}`
              : `peak ${memory(c.usage.memoryMax)}`
            : '—';
          const defaulted = c.context.requestDefault[r];
          return html`<tr>
            <th scope="row">${r}</th>
            <td>
              ${value(r, c.requests[r])}${defaulted ? html` <small>(${value(r, defaulted.value)} from LimitRange ${defaulted.limitRange})</small>` : null}
            </td>
            <td>${value(r, c.limits[r])}</td>
            <td>${measured}</td>
            <td>${rec ? html`<strong>${value(r, rec.recommended)}</strong> <small>(${rec.rule})</small>` : '—'}</td>
            <td>
              ${rec?.confidence ? html`<span class=${`confidence confidence-${rec.confidence}`}>${rec.confidence}</span>${rec.coverage ? html` <small>${day(rec.coverage.from)} – ${day(rec.coverage.to)}</small>` : null}` : '—'}
            </td>
          </tr>`;
        })}
      </tbody>
    </table>
    ${c.usage ? html`<p class="note">${c.usage.samples} usage samples${c.usage.from && c.usage.to ? ` from ${day(c.usage.from)} to ${day(c.usage.to)}` : ''}.</p>` : html`<p class="note">No usage measured yet.</p>`}
    ${
      c.history.length > 0
        ? html`<div class="charts">
            <figure>
              <figcaption>CPU over the window (millicores)</figcaption>
              <${Chart}
                label=${`CPU of ${c.name} over the window`}
                config=${{ type: 'line', data: { labels, datasets: cpuSets }, options: options('millicores') }}
              />
            </figure>
            <figure>
              <figcaption>Memory over the window (MiB)</figcaption>
              <${Chart}
                label=${`Memory of ${c.name} over the window`}
                config=${{ type: 'line', data: { labels, datasets: memSets }, options: options('MiB') }}
              />
            </figure>
          </div>`
        : null
    }
    <${Context} container=${c} />
    <${IssueList} issues=${c.issues} />
  </article>`;
}

function Context({ container: c }: { container: ContainerView }) {
  // Sentences as plain strings: htm drops whitespace that holds a line break.
  const items: ComponentChildren[] = [];
  for (const r of ['cpu', 'memory'] as const) {
    const hpa = c.context.hpa[r];
    if (hpa) {
      const target =
        hpa.averageUtilization !== undefined
          ? `${hpa.averageUtilization} % of the request`
          : hpa.averageValue !== undefined
            ? `${value(r, hpa.averageValue)} a Pod`
            : '';
      const text = `HPA ${hpa.hpa} scales on ${r} (${hpa.target} ${target}): the recommendation keeps its replica count.`;
      items.push(html`<li data-testid="context-hpa">${text}</li>`);
    }
    const req = c.context.requestDefault[r];
    if (req) {
      const text = `LimitRange ${req.limitRange} sets the ${r} request to ${value(r, req.value)} (${req.field}).`;
      items.push(html`<li data-testid="context-limitrange">${text}</li>`);
    }
    const lim = c.context.limitDefault[r];
    if (lim) {
      const text = `LimitRange ${lim.limitRange} sets the ${r} limit to ${value(r, lim.value)}.`;
      items.push(html`<li data-testid="context-limitrange">${text}</li>`);
    }
    const max = c.context.max[r];
    if (max) {
      const text = `LimitRange ${max.limitRange} caps ${r} at ${value(r, max.value)}.`;
      items.push(html`<li data-testid="context-limitrange">${text}</li>`);
    }
  }
  if (c.oomKill) {
    const k = c.oomKill;
    const exit = k.exitCode !== undefined ? `, exit code ${k.exitCode}` : '';
    const text = `OOM-killed in Pod ${k.pod} ${age(k.at)} (restarts: ${k.restartCount}${exit}).`;
    items.push(html`<li data-testid="context-oom" class="oom" title=${k.at}>${text}</li>`);
  }
  if (items.length === 0) return null;
  return html`<div class="context"><h4>Context</h4><ul>${items}</ul></div>`;
}

function IssueList({ issues }: { issues: Issue[] }) {
  if (issues.length === 0) return html`<p class="note">No issues.</p>`;
  return html`<div class="issue-list">
    <h4>Issues</h4>
    <ul>
      ${issues.map(
        (i) =>
          html`<li data-id=${i.id}>
            <span class=${`sev sev-${i.severity}`}>${i.severity}</span> <code>${i.rule}</code> ${i.message}
            <p class="remediation">${i.remediation}</p>
            ${i.fix ? html`<${Fix} fix=${i.fix} />` : null}
          </li>`,
      )}
    </ul>
  </div>`;
}

function Fix({ fix }: { fix: NonNullable<Issue['fix']> }) {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = () =>
    navigator.clipboard.writeText(fix.command).then(
      () => setCopied('Copied'),
      (e: Error) => setCopied(`Copy failed: ${e.message}`),
    );
  return html`<div class="fix">
    <pre><code data-testid="fix-command">${fix.command}</code></pre>
    <button type="button" onClick=${copy}>Copy command</button>
    <span role="status">${copied}</span>
  </div>`;
}

// ---- the app -------------------------------------------------------------------------------------------------------

function App() {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  const [version, setVersion] = useState(0);
  const [needToken, setNeedToken] = useState(false);
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  onUnauthorized = () => setNeedToken(true);
  const tab = (view: Route['view'], href: string, label: string) =>
    html`<a href=${href} aria-current=${route.view === view ? 'page' : undefined}>${label}</a>`;
  let body;
  if (needToken) {
    body = html`<${TokenForm}
      rejected=${token() !== null}
      onSaved=${() => {
        setNeedToken(false);
        setVersion((v) => v + 1);
      }}
    />`;
  } else if (route.view === 'issues') body = html`<${Issues} params=${route.params} version=${version} />`;
  else if (route.view === 'workload') body = html`<${Workload} target=${route.workload!} version=${version} />`;
  else body = html`<${Overview} version=${version} />`;
  return html`<header>
      <h1><a href="#/">OpsAgent</a></h1>
      <nav aria-label="Views">${tab('overview', '#/', 'Overview')} ${tab('issues', '#/issues', 'Issues')}</nav>
      ${
        token()
          ? html`<button
              type="button"
              class="signout"
              onClick=${() => {
                setToken(null);
                setNeedToken(true);
              }}
            >
              Forget token
            </button>`
          : null
      }
    </header>
    <main>${body}</main>`;
}

const root = document.getElementById('app')!;
// The static "Loading…" placeholder goes: preact renders beside what it did not render itself.
root.textContent = '';
render(html`<${App} />`, root);
