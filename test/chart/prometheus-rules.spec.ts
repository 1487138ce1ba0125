/**
 * The chart's alerts as Prometheus itself evaluates them: the rendered PrometheusRule's groups go through the real
 * `promtool check rules` and `promtool test rules` (Debian's prometheus package, installed when missing), with input
 * series shaped as a scrape of the agent gives them.
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

/** The rule groups of the PrometheusRule the chart renders with these values, as a Prometheus rule file holds them. */
function ruleGroups(values: Record<string, unknown> = {}) {
  const rule = only<IPrometheusRule>(
    render({ values: { prometheusRule: { enabled: true, ...values } } }),
    'PrometheusRule',
  );
  return rule.spec.groups!;
}

/** Labels every series of this release carries once scraped (the ServiceMonitor's job and namespace, a target). */
const TARGET = { job: 'opsagent', namespace: NAMESPACE, instance: '10.1.2.3:9090', pod: 'opsagent-5d9c7-x2x4q' };

function series(name: string, labels: Record<string, string>, values: string): { series: string; values: string } {
  const all = Object.entries({ ...labels, ...TARGET }).map(([k, v]) => `${k}="${v}"`);
  return { series: `${name}{${all.join(', ')}}`, values };
}

/** A counter sampled each minute for `minutes` minutes, stepping by 1 at each minute listed in `steps`. */
function counter(minutes: number, steps: number[]): string {
  const values: number[] = [];
  for (let m = 0, total = 0; m <= minutes; m++) values.push((total += steps.filter((s) => s === m).length));
  return values.join(' ');
}

const RUNBOOK = 'https://github.com/opsagent/opsagent/blob/main/charts/opsagent/README.md';
const ALERT_LABELS = { severity: 'warning', namespace: NAMESPACE, job: 'opsagent' };
const FAILING = {
  summary: 'OpsAgent scans are failing',
  description:
    'OpsAgent scans in ops-system have kept failing for 900s (one failed within every 600s); see the agent logs and GET /api/v1/scans/latest.',
  runbook_url: `${RUNBOOK}#opsagentscansfailing`,
};
const highSeverity = (severity: string, count: number) => ({
  exp_labels: { ...ALERT_LABELS, issue_severity: severity },
  exp_annotations: {
    summary: `OpsAgent reports ${severity} issues`,
    description: `OpsAgent found ${count} ${severity}-severity resource issues; list them with GET /api/v1/issues?severity=${severity}.`,
    runbook_url: `${RUNBOOK}#opsagenthighseverityissues`,
  },
});

/** Unit tests of the alerts at the default schedule (every 5 minutes), evaluated every minute. */
const UNIT_TESTS = [
  {
    name: 'critical and high issues at once: one alert per issue severity, after prometheusRule.issuesFor',
    interval: '1m',
    input_series: [
      series('opsagent_issues_by_severity', { severity: 'critical' }, '2x60'),
      series('opsagent_issues_by_severity', { severity: 'high' }, '5x60'),
      series('opsagent_issues_by_severity', { severity: 'medium' }, '7x60'),
    ],
    alert_rule_test: [
      { eval_time: '20m', alertname: 'OpsAgentHighSeverityIssues', exp_alerts: [] },
      {
        eval_time: '40m',
        alertname: 'OpsAgentHighSeverityIssues',
        exp_alerts: [highSeverity('critical', 2), highSeverity('high', 5)],
      },
    ],
  },
  {
    name: 'one failed scan among successful ones does not fire OpsAgentScansFailing',
    interval: '1m',
    input_series: [
      series('opsagent_detection_runs_total', { status: 'failed' }, counter(90, [10])),
      series('opsagent_detection_runs_total', { status: 'succeeded' }, counter(90, [5, 15, 20, 25, 30, 35, 40])),
    ],
    alert_rule_test: ['11m', '15m', '20m', '25m', '30m', '60m'].map((eval_time) => ({
      eval_time,
      alertname: 'OpsAgentScansFailing',
      exp_alerts: [],
    })),
  },
  {
    name: 'scans failing every 5 minutes fire OpsAgentScansFailing after 3 intervals, and it clears when they stop',
    interval: '1m',
    input_series: [
      series('opsagent_detection_runs_total', { status: 'failed' }, counter(90, [10, 15, 20, 25, 30, 35, 40])),
    ],
    alert_rule_test: [
      { eval_time: '20m', alertname: 'OpsAgentScansFailing', exp_alerts: [] },
      {
        eval_time: '30m',
        alertname: 'OpsAgentScansFailing',
        exp_alerts: [{ exp_labels: ALERT_LABELS, exp_annotations: FAILING }],
      },
      {
        eval_time: '45m',
        alertname: 'OpsAgentScansFailing',
        exp_alerts: [{ exp_labels: ALERT_LABELS, exp_annotations: FAILING }],
      },
      { eval_time: '60m', alertname: 'OpsAgentScansFailing', exp_alerts: [] },
    ],
  },
  {
    name: 'no successful scan for 3 intervals in an agent running for longer fires OpsAgentNoSuccessfulScan',
    interval: '1m',
    input_series: [
      series('opsagent_last_successful_scan_timestamp_seconds', {}, '60x40'),
      series('process_start_time_seconds', {}, '0x40'),
    ],
    alert_rule_test: [
      { eval_time: '10m', alertname: 'OpsAgentNoSuccessfulScan', exp_alerts: [] },
      {
        eval_time: '20m',
        alertname: 'OpsAgentNoSuccessfulScan',
        exp_alerts: [
          {
            exp_labels: ALERT_LABELS,
            exp_annotations: {
              summary: 'OpsAgent has not completed a scan for 3 intervals',
              description:
                'No OpsAgent scan in ops-system succeeded for more than 900s (3 scan intervals): issues and metrics are stale.',
              runbook_url: `${RUNBOOK}#opsagentnosuccessfulscan`,
            },
          },
        ],
      },
    ],
  },
];

describe('the PrometheusRule under promtool', () => {
  let dir: string;

  beforeAll(() => {
    dir = tempDir('opsagent-promtool-');
    fs.writeFileSync(path.join(dir, 'rules.yml'), stringify({ groups: ruleGroups() }));
  });

  it('passes `promtool check rules`', () => {
    const result = promtool(['check', 'rules', path.join(dir, 'rules.yml')]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('SUCCESS: 3 rules found');
    expect(result.code).toBe(0);
  });

  it('passes `promtool test rules`: one alert per issue severity, no alert for one failed scan, one for sustained failures', () => {
    const tests = path.join(dir, 'tests.yml');
    fs.writeFileSync(tests, stringify({ rule_files: ['rules.yml'], evaluation_interval: '1m', tests: UNIT_TESTS }));
    const result = promtool(['test', 'rules', tests], undefined, dir);
    expect(`${result.stdout}${result.stderr}`).toContain('SUCCESS');
    expect(result.code).toBe(0);
  });

  it('gives every alert a runbook_url that points at a section of the chart README', () => {
    const readme = fs.readFileSync(path.join(CHART_DIR, 'README.md'), 'utf8');
    // GitHub's heading anchors: lower case, punctuation but `-` dropped, spaces as `-`.
    const anchors = new Set(
      [...readme.matchAll(/^#{1,6} +(.+)$/gm)].map((m) =>
        m[1]
          .trim()
          .toLowerCase()
          .replace(/[^\p{L}\p{N} _-]/gu, '')
          .replace(/ /g, '-'),
      ),
    );
    const rules = ruleGroups({ runbookBaseUrl: 'https://wiki.example.com/opsagent/' }).flatMap((g) => g.rules ?? []);
    expect(rules).toHaveLength(3);
    for (const rule of rules) {
      const url = rule.annotations?.runbook_url ?? '';
      expect(url).toBe(`https://wiki.example.com/opsagent#${rule.alert!.toLowerCase()}`);
      expect(anchors).toContain(url.slice(url.indexOf('#') + 1));
    }
  });
});
