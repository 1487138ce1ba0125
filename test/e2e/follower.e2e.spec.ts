/**
 * A follower replica (leader election on, the Lease held by another replica) as a real agent process against the
 * simulator over HTTP: it scans nothing, serves the issues of the PolicyReports (listed at start, then watched)
 * with their ids and firstSeen, is ready once it has read them, refuses POST /api/v1/scans naming the leader, and
 * exports opsagent_leader 0. When the Lease is left to expire it leads, starting from the reports: its first scan
 * keeps firstSeen and announces nothing as new that the reports held.
 */
import { buildReports, REPORT_TYPES, type SeenIssue } from '@opsagent/core/reports/policy-report';
import { issueId } from '@opsagent/core/audit/audit';
import type { Simulator } from '../../tools/k8s-simulator/simulator';
import { getJson, startFollower, waitFor, type AgentProcess } from './harness';

/** A Deployment `web` in `shop` with no resources at all: four issues (the *-missing rules). */
const WEB = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', uid: 'web-uid' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'web:1' }] } },
  },
};

const RULES = ['cpu-request-missing', 'memory-request-missing', 'cpu-limit-missing', 'memory-limit-missing'] as const;
const SEVERITY = {
  'cpu-request-missing': 'medium',
  'memory-request-missing': 'high',
  'cpu-limit-missing': 'low',
  'memory-limit-missing': 'high',
} as const;

/** The issues another leader found earlier, as it would have written them (firstSeen a day ago). */
function reported(namespace: string, name: string): SeenIssue[] {
  return RULES.map((rule) => ({
    id: issueId('Deployment', namespace, name, 'app', rule),
    rule,
    severity: SEVERITY[rule],
    namespace,
    kind: 'Deployment',
    name,
    container: 'app',
    message: `reported by the leader: ${rule}`,
    remediation: '',
    firstSeen: '2026-11-30T08:00:00.000Z',
    lastSeen: '2026-12-01T08:00:00.000Z',
  }));
}

interface IssueJson {
  id: string;
  rule: string;
  namespace: string;
  firstSeen: string;
  lastSeen: string;
}

let sim: Simulator;
let agent: AgentProcess;
let stopRenewing: () => void;
let close: (() => Promise<void>) | undefined;
const shop = reported('shop', 'web');
const payments = reported('payments', 'api');

beforeAll(async () => {
  ({ sim, agent, stopRenewing, close } = await startFollower({
    token: 'follower-e2e',
    objects: [WEB, ...buildReports([...shop, ...payments], REPORT_TYPES.PolicyReport).values()] as unknown as Record<
      string,
      unknown
    >[],
    config: { includeNamespaces: ['shop', 'payments'] },
  }));
}, 90_000);

afterAll(() => close?.());

const issues = async () => (await getJson<{ items: IssueJson[] }>(`${agent.api}/api/v1/issues?limit=1000`)).body.items;
const ids = (list: { id: string }[]) => list.map((i) => i.id).sort();
const logLines = () =>
  agent
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('a follower', () => {
  it('serves the issues of the PolicyReports with their ids, firstSeen and lastSeen, and has scanned nothing', async () => {
    const served = await issues();
    expect(ids(served)).toEqual(ids([...shop, ...payments]));
    for (const issue of served) {
      expect(issue).toMatchObject({ firstSeen: '2026-11-30T08:00:00.000Z', lastSeen: '2026-12-01T08:00:00.000Z' });
    }
    expect(sim.requests.filter((r) => r.path.includes('/deployments'))).toEqual([]);
    expect(logLines().filter((l) => l.event === 'scan' || l.event === 'issue-new')).toEqual([]);
  });

  it('is live and ready, and says it follows and who leads', async () => {
    const live = await getJson<{ info: { scanner: Record<string, unknown> } }>(`${agent.api}/health`);
    expect(live.status).toBe(200);
    expect(live.body.info.scanner).toMatchObject({ role: 'follower', leader: 'opsagent-other' });
  });

  it('answers POST /api/v1/scans with 409 naming the leader', async () => {
    const { status, body } = await getJson<{ message: string }>(`${agent.api}/api/v1/scans`, { method: 'POST' });
    expect(status).toBe(409);
    expect(body.message).toContain('opsagent-other');
  });

  it('exports opsagent_leader 0 and the gauges of the issues it serves', async () => {
    const text = await (await fetch(`${agent.metrics}/metrics`)).text();
    expect(text).toMatch(/^opsagent_leader 0$/m);
    expect(text).toMatch(/^opsagent_issues_by_severity\{severity="high"\} 4$/m);
  });

  it('follows the reports as they change: a result removed, a report deleted', async () => {
    sim.upsert(buildReports([...shop.slice(1), ...payments], REPORT_TYPES.PolicyReport).get('shop') as never);
    await waitFor(async () => ((await issues()).length === 7 ? true : undefined), 20_000, 'the changed report');
    sim.remove({ apiVersion: 'wgpolicyk8s.io/v1alpha2', kind: 'PolicyReport' }, 'payments', 'opsagent');
    await waitFor(async () => ((await issues()).length === 3 ? true : undefined), 20_000, 'the deleted report');
    expect(ids(await issues())).toEqual(ids(shop.slice(1)));
  });

  it('leads once the Lease has expired, and its first scan keeps firstSeen and announces nothing the reports held', async () => {
    stopRenewing();
    const since = Date.now();
    await waitFor(
      async () =>
        /^opsagent_leader 1$/m.test(await (await fetch(`${agent.metrics}/metrics`)).text()) ? true : undefined,
      30_000,
      'the follower to lead',
    );
    // The other replica last renewed at most 1 s before `since`; 4 s unchanged, plus one retry.
    expect(Date.now() - since).toBeLessThan(4_000 + 1_000 + 3_000);
    const scan = await waitFor(
      async () => {
        const latest = await getJson<{ status: string; counts: { new: number; issues: number } }>(
          `${agent.api}/api/v1/scans/latest`,
        );
        return latest.status === 200 ? latest.body : undefined;
      },
      30_000,
      'the new leader scan',
    );
    expect(scan.status).toBe('succeeded');
    // web still has its four issues: three the reports held (firstSeen kept), one (cpu-request-missing) new again.
    expect(scan.counts).toMatchObject({ issues: 4, new: 1 });
    const served = await issues();
    const kept = served.filter((i) => i.rule !== 'cpu-request-missing');
    expect(kept.map((i) => i.firstSeen)).toEqual([
      '2026-11-30T08:00:00.000Z',
      '2026-11-30T08:00:00.000Z',
      '2026-11-30T08:00:00.000Z',
    ]);
    const announced = logLines()
      .filter((l) => l.event === 'issue-new')
      .map((l) => (l.issue as { rule: string }).rule);
    expect(announced).toEqual(['cpu-request-missing']);
    const lease = sim.objects().find((o) => (o as { kind?: string }).kind === 'Lease') as {
      spec: { holderIdentity: string };
    };
    expect(lease.spec.holderIdentity).toBe('opsagent-follower');
  }, 60_000);
});
