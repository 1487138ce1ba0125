/**
 * With two replicas (leader election), every replica exports the issue gauges of what it serves (the same numbers)
 * and opsagent_leader; only the leader counts scans and new issues. The chart's alerts and the dashboard's panels,
 * evaluated by the real promtool over the series two replicas give, must not count anything twice.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { stringify } from 'yaml';
import { tempDir } from '../e2e/harness';
import { CHART_DIR, ensureHelm, NAMESPACE, only, render, SETUP_TIMEOUT_MS } from './helm';
import { ensurePromtool, promtool, PROMTOOL_SETUP_TIMEOUT_MS } from './promtool';

beforeAll(() => {
  ensureHelm();
  ensurePromtool();
}, SETUP_TIMEOUT_MS + PROMTOOL_SETUP_TIMEOUT_MS);

const LEADER = { job: 'opsagent', namespace: NAMESPACE, instance: '10.1.2.3:9090', pod: 'opsagent-5d9c7-x2x4q' };
const FOLLOWER = { job: 'opsagent', namespace: NAMESPACE, instance: '10.1.2.4:9090', pod: 'opsagent-5d9c7-k8p2m' };

function series(name: string, labels: Record<string, string>, target: Record<string, string>, values: string) {
  const all = Object.entries({ ...labels, ...target }).map(([k, v]) => `${k}="${v}"`);
  return { series: `${name}{${all.join(', ')}}`, values };
}

/** Both replicas serve 2 critical and 5 high issues; only the leader scans (every 5 minutes, all failing). */
const TWO_REPLICAS = [
  ...[LEADER, FOLLOWER].flatMap((target) => [
    series('opsagent_issues_by_severity', { severity: 'critical' }, target, '2x60'),
    series('opsagent_issues_by_severity', { severity: 'high' }, target, '5x60'),
    series('opsagent_issues_by_severity', { severity: 'medium' }, target, '0x60'),
  ]),
  series('opsagent_leader', {}, LEADER, '1x60'),
  series('opsagent_leader', {}, FOLLOWER, '0x60'),
  // 12 failed scans of the leader, one every 5 minutes; the follower's counter stays at 0.
  series('opsagent_detection_runs_total', { status: 'failed' }, LEADER, '0+0.2x60'),
  series('opsagent_detection_runs_total', { status: 'failed' }, FOLLOWER, '0x60'),
  // The leader's last success at 60 s; the follower never scanned (0).
  series('opsagent_last_successful_scan_timestamp_seconds', {}, LEADER, '60x60'),
  series('opsagent_last_successful_scan_timestamp_seconds', {}, FOLLOWER, '0x60'),
];

/** The dashboard's expressions, with its variables as Grafana would fill them for this release. */
function dashboardExpressions(): Map<string, string> {
  const dashboard = JSON.parse(fs.readFileSync(path.join(CHART_DIR, 'dashboards/opsagent.json'), 'utf8')) as {
    panels: { title: string; targets?: { expr: string }[] }[];
  };
  return new Map(
    dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).map((t, i): [string, string] => [
        `${panel.title}#${i}`,
        t.expr.replaceAll('$namespace', NAMESPACE).replaceAll('$__rate_interval', '5m'),
      ]),
    ),
  );
}

describe('two replicas under promtool', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('opsagent-ha-promtool-');
    const rule = only<IPrometheusRule>(render({ values: { prometheusRule: { enabled: true } } }), 'PrometheusRule');
    fs.writeFileSync(path.join(dir, 'rules.yml'), stringify({ groups: rule.spec.groups }));
  });

  const run = (tests: unknown[]) => {
    const file = path.join(dir, 'tests.yml');
    fs.writeFileSync(file, stringify({ rule_files: ['rules.yml'], evaluation_interval: '1m', tests }));
    const result = promtool(['test', 'rules', file], undefined, dir);
    return { code: result.code, output: `${result.stdout}${result.stderr}` };
  };

  it('fires each alert once, with the numbers of one replica', () => {
    const alertLabels = { severity: 'warning', namespace: NAMESPACE, job: 'opsagent' };
    const result = run([
      {
        interval: '1m',
        input_series: TWO_REPLICAS,
        alert_rule_test: [
          {
            eval_time: '40m',
            alertname: 'OpsAgentHighSeverityIssues',
            exp_alerts: ['critical', 'high'].map((severity) => ({
              exp_labels: { ...alertLabels, issue_severity: severity },
              exp_annotations: {
                summary: `OpsAgent reports ${severity} issues`,
                description: `OpsAgent found ${severity === 'critical' ? 2 : 5} ${severity}-severity resource issues; list them with GET /api/v1/issues?severity=${severity}.`,
                runbook_url: `https://github.com/opsagent/opsagent/blob/main/charts/opsagent/README.md#opsagenthighseverityissues`,
              },
            })),
          },
          {
            eval_time: '40m',
            alertname: 'OpsAgentScansFailing',
            exp_alerts: [
              {
                exp_labels: alertLabels,
                exp_annotations: {
                  summary: 'OpsAgent scans are failing',
                  description:
                    'OpsAgent scans in ops-system have kept failing for 900s (one failed within every 600s); see the agent logs and GET /api/v1/scans/latest.',
                  runbook_url:
                    'https://github.com/opsagent/opsagent/blob/main/charts/opsagent/README.md#opsagentscansfailing',
                },
              },
            ],
          },
        ],
      },
    ]);
    expect(result.output).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });

  it('with leader election, alerts once when no replica has led for 5 minutes, and not while one leads', () => {
    const rule = only<IPrometheusRule>(
      render({
        values: {
          prometheusRule: { enabled: true },
          config: { reports: { policyReports: true }, leaderElection: { enabled: true } },
        },
      }),
      'PrometheusRule',
    );
    fs.writeFileSync(path.join(dir, 'rules.yml'), stringify({ groups: rule.spec.groups }));
    const noLeader = {
      exp_labels: { severity: 'warning', namespace: NAMESPACE, job: 'opsagent' },
      exp_annotations: {
        summary: 'No OpsAgent replica leads',
        description:
          'No OpsAgent replica in ops-system has held the leader election Lease for 5 minutes: nothing scans, and the replicas serve the last PolicyReports.',
        runbook_url: 'https://github.com/opsagent/opsagent/blob/main/charts/opsagent/README.md#opsagentnoleader',
      },
    };
    const result = run([
      {
        interval: '1m',
        // The leader leads for 10 minutes, then neither replica does (its renewals fail) until minute 30.
        input_series: [
          series('opsagent_leader', {}, LEADER, '1x10 0x20 1x10'),
          series('opsagent_leader', {}, FOLLOWER, '0x40'),
        ],
        alert_rule_test: [
          { eval_time: '9m', alertname: 'OpsAgentNoLeader', exp_alerts: [] },
          { eval_time: '13m', alertname: 'OpsAgentNoLeader', exp_alerts: [] },
          { eval_time: '20m', alertname: 'OpsAgentNoLeader', exp_alerts: [noLeader] },
          { eval_time: '35m', alertname: 'OpsAgentNoLeader', exp_alerts: [] },
        ],
      },
    ]);
    expect(result.output).toContain('SUCCESS');
    expect(result.code).toBe(0);
    const readme = fs.readFileSync(path.join(CHART_DIR, 'README.md'), 'utf8');
    expect(readme).toMatch(/^### OpsAgentNoLeader$/m);
  });

  it('renders OpsAgentNoLeader only with leader election', () => {
    const alerts = (values: Record<string, unknown>) =>
      only<IPrometheusRule>(
        render({ values: { prometheusRule: { enabled: true }, ...values } }),
        'PrometheusRule',
      ).spec.groups!.flatMap((g) => g.rules!.map((r) => r.alert));
    expect(alerts({})).not.toContain('OpsAgentNoLeader');
    expect(alerts({ config: { reports: { policyReports: true }, leaderElection: { enabled: true } } })).toContain(
      'OpsAgentNoLeader',
    );
  });

  it('shows the issue panels of the dashboard with the numbers of one replica, not their sum', () => {
    const exprs = dashboardExpressions();
    const at = (title: string) => exprs.get(`${title}#0`)!;
    const result = run([
      {
        interval: '1m',
        input_series: TWO_REPLICAS,
        promql_expr_test: [
          { expr: at('Critical issues'), eval_time: '30m', exp_samples: [{ labels: '{}', value: 2 }] },
          { expr: at('High issues'), eval_time: '30m', exp_samples: [{ labels: '{}', value: 5 }] },
          {
            expr: at('Issues by severity'),
            eval_time: '30m',
            exp_samples: [
              { labels: '{severity="critical"}', value: 2 },
              { labels: '{severity="high"}', value: 5 },
              { labels: '{severity="medium"}', value: 0 },
            ],
          },
          { expr: at('Since last successful scan'), eval_time: '30m', exp_samples: [{ labels: '{}', value: 1740 }] },
        ],
      },
    ]);
    expect(result.output).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });

  it("shows the waste panels with one replica's numbers per audited namespace, whichever replicas export them", () => {
    const exprs = dashboardExpressions();
    const at = (title: string) => exprs.get(`${title}#0`)!;
    // Prometheus keeps the scrape target's `namespace` (the agent's) and renames the gauge's own one (the audited
    // namespace) to exported_namespace. Both replicas serve the same issues, so both export the same waste.
    const waste = (name: string, shop: number, batch: number) =>
      [LEADER, FOLLOWER].flatMap((target) => [
        series(name, { exported_namespace: 'shop' }, target, `${shop}x60`),
        series(name, { exported_namespace: 'batch' }, target, `${batch}x60`),
      ]);
    const result = run([
      {
        interval: '1m',
        input_series: [
          ...waste('opsagent_waste_monthly_cost', 65.5, 46.25),
          ...waste('opsagent_waste_cpu_cores', 1.8, 1.44),
          ...waste('opsagent_waste_memory_bytes', 3676307456, 1377828864),
        ],
        promql_expr_test: [
          {
            expr: at('Over-provisioning cost a month'),
            eval_time: '30m',
            exp_samples: [{ labels: '{}', value: 111.75 }],
          },
          {
            expr: at('Over-provisioning cost a month, by namespace'),
            eval_time: '30m',
            exp_samples: [
              { labels: '{exported_namespace="batch"}', value: 46.25 },
              { labels: '{exported_namespace="shop"}', value: 65.5 },
            ],
          },
          {
            expr: at('Over-provisioned CPU, by namespace'),
            eval_time: '30m',
            exp_samples: [
              { labels: '{exported_namespace="batch"}', value: 1.44 },
              { labels: '{exported_namespace="shop"}', value: 1.8 },
            ],
          },
          {
            expr: at('Over-provisioned memory, by namespace'),
            eval_time: '30m',
            exp_samples: [
              { labels: '{exported_namespace="batch"}', value: 1377828864 },
              { labels: '{exported_namespace="shop"}', value: 3676307456 },
            ],
          },
        ],
      },
    ]);
    expect(result.output).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });

  it('aggregates every gauge of the dashboard and the alerts with max, never sum, so no panel doubles', () => {
    const gauges = [
      'opsagent_issues_by_severity',
      'opsagent_last_successful_scan_timestamp_seconds',
      'opsagent_leader',
    ];
    const rule = only<IPrometheusRule>(render({ values: { prometheusRule: { enabled: true } } }), 'PrometheusRule');
    const exprs = [
      ...dashboardExpressions().values(),
      ...rule.spec.groups!.flatMap((g) => g.rules!.map((r) => String(r.expr))),
    ];
    for (const expr of exprs.filter((e) => gauges.some((g) => e.includes(g)))) {
      expect([expr, /\b(sum|avg|count)\b/.test(expr)]).toEqual([expr, false]);
    }
  });
});
