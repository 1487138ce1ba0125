import { issueId } from '../audit/audit';
import { cpuOverprovisioned } from '../rules/cpu-overprovisioned';
import { cpuRequestMissing } from '../rules/cpu-request-missing';
import { memoryOverprovisioned } from '../rules/memory-overprovisioned';
import { memoryUnderprovisioned } from '../rules/memory-underprovisioned';
import {
  buildReports,
  issuesFromReport,
  issueToResult,
  keepUnchangedTimestamps,
  parseQuantityProperty,
  quantityProperty,
  REPORT_TYPES,
  sameContent,
  type SeenIssue,
} from './policy-report';

const MI = 1024 * 1024;

function missing(namespace: string, name: string, severity: SeenIssue['severity'] = 'high'): SeenIssue {
  return {
    id: issueId('Deployment', namespace, name, 'app', 'cpu-request-missing'),
    rule: 'cpu-request-missing',
    severity,
    namespace,
    kind: 'Deployment',
    name,
    container: 'app',
    message: 'container "app" has no CPU request',
    remediation: cpuRequestMissing.remediation,
    firstSeen: '2026-12-01T08:00:00.000Z',
    lastSeen: '2026-12-01T09:30:00.250Z',
  };
}

const CPU_OVER: SeenIssue = {
  id: issueId('StatefulSet', 'shop', 'db', 'postgres', 'cpu-overprovisioned'),
  rule: 'cpu-overprovisioned',
  severity: 'medium',
  namespace: 'shop',
  kind: 'StatefulSet',
  name: 'db',
  container: 'postgres',
  message: 'container "postgres" requests 2 cpu but its p95 usage is 120.5m over 40 samples; recommend 121m',
  remediation: cpuOverprovisioned.remediation,
  overProvisioning: {
    resource: 'cpu',
    unit: 'millicores',
    samples: 40,
    usage: 120.5,
    request: 2000,
    recommended: 121,
    wastePerPod: 1879,
    replicas: 3,
    wasteTotal: 5637,
    wasteMonthlyCost: 130.08,
    currency: 'USD',
  },
  firstSeen: '2026-11-30T00:00:00.000Z',
  lastSeen: '2026-12-01T09:30:00.000Z',
};

const MEMORY_OVER: SeenIssue = {
  id: issueId('Pod', 'shop', 'batch', 'worker', 'memory-overprovisioned'),
  rule: 'memory-overprovisioned',
  severity: 'low',
  namespace: 'shop',
  kind: 'Pod',
  name: 'batch',
  container: 'worker',
  message: 'container "worker" requests 4Gi memory but its peak usage is 100.1Mi',
  remediation: memoryOverprovisioned.remediation,
  overProvisioning: {
    resource: 'memory',
    unit: 'bytes',
    samples: 12,
    usage: 104_961_229,
    request: 4096 * MI,
    recommended: 116 * MI,
    wastePerPod: 3980 * MI,
    wasteMonthlyCost: 12.02,
    currency: 'USD',
  },
  firstSeen: '2026-12-01T01:00:00.000Z',
  lastSeen: '2026-12-01T09:30:00.000Z',
};

const DAEMONSET_OVER: SeenIssue = {
  id: issueId('DaemonSet', 'shop', 'node-agent', 'agent', 'cpu-overprovisioned'),
  rule: 'cpu-overprovisioned',
  severity: 'medium',
  namespace: 'shop',
  kind: 'DaemonSet',
  name: 'node-agent',
  container: 'agent',
  message: 'container "agent" requests 500m cpu but its p95 usage is 20m',
  remediation: cpuOverprovisioned.remediation,
  overProvisioning: {
    resource: 'cpu',
    unit: 'millicores',
    samples: 12,
    usage: 20,
    request: 500,
    recommended: 20,
    wastePerPod: 480,
    observedPods: 5,
    wasteTotal: 2400,
    wasteMonthlyCost: 55.38,
    currency: 'EUR',
  },
  firstSeen: '2026-12-01T01:00:00.000Z',
  lastSeen: '2026-12-01T09:30:00.000Z',
};

describe('issue → PolicyReport result', () => {
  it('maps a finding to the fields the issue lists, with the workload apiVersion and uid', () => {
    const issue = missing('web', 'api');
    expect(issueToResult(issue, { uid: '5b1f0c3e-0000-4000-8000-000000000001' })).toEqual({
      source: 'opsagent',
      policy: 'cpu-request-missing',
      rule: 'cpu-request-missing',
      category: 'Resources',
      severity: 'high',
      result: 'fail',
      message: 'container "app" has no CPU request',
      timestamp: { seconds: 1796117400, nanos: 250_000_000 },
      resources: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'api',
          namespace: 'web',
          uid: '5b1f0c3e-0000-4000-8000-000000000001',
        },
      ],
      properties: { container: 'app', id: issue.id, firstSeen: '2026-12-01T08:00:00.000Z' },
    });
  });

  it('an info issue is a warn result; anything more severe a fail', () => {
    expect(issueToResult(missing('web', 'api', 'info')).result).toBe('warn');
    expect(issueToResult(missing('web', 'api', 'low')).result).toBe('fail');
    expect(issueToResult(missing('web', 'api', 'critical')).result).toBe('fail');
  });

  it('a rightsizing finding carries request, recommended, usage, samples and replicas as exact quantities', () => {
    const cpu = issueToResult(CPU_OVER);
    expect(cpu.category).toBe('Rightsizing');
    expect(cpu.properties).toEqual({
      container: 'postgres',
      id: CPU_OVER.id,
      firstSeen: '2026-11-30T00:00:00.000Z',
      request: '2',
      recommended: '121m',
      usage: '120.5m',
      samples: '40',
      replicas: '3',
      wasteMonthlyCost: '130.08',
      currency: 'USD',
    });
    expect(issueToResult(DAEMONSET_OVER).properties).toMatchObject({
      observedPods: '5',
      wasteMonthlyCost: '55.38',
      currency: 'EUR',
    });
    expect(issueToResult(MEMORY_OVER).properties).toMatchObject({
      request: '4Gi',
      recommended: '116Mi',
      usage: '104961229',
      samples: '12',
    });
    expect(issueToResult(MEMORY_OVER).properties).not.toHaveProperty('replicas');
    expect(issueToResult(MEMORY_OVER).resources[0]).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      name: 'batch',
      namespace: 'shop',
    });
  });

  it('every property is a string, as the CRD requires', () => {
    for (const issue of [missing('a', 'b'), CPU_OVER, MEMORY_OVER, DAEMONSET_OVER]) {
      for (const value of Object.values(issueToResult(issue).properties)) expect(typeof value).toBe('string');
    }
  });

  it.each([
    [0, 'cpu', '0'],
    [1500, 'cpu', '1500m'],
    [3000, 'cpu', '3'],
    [0.25, 'cpu', '0.25m'],
    [128 * MI, 'memory', '128Mi'],
    [1000, 'memory', '1000'],
  ] as const)('quantity %d %s reads %s and back', (value, resource, text) => {
    expect(quantityProperty(value, resource)).toBe(text);
    expect(parseQuantityProperty(text, resource)).toBe(value);
  });
});

describe('buildReports', () => {
  it('one report per namespace with issues, named opsagent, labelled, results by id, summary counted', () => {
    const issues = [missing('web', 'b'), missing('web', 'a', 'info'), CPU_OVER, MEMORY_OVER];
    const reports = buildReports(issues, REPORT_TYPES.PolicyReport);
    expect([...reports.keys()]).toEqual(['shop', 'web']);
    const web = reports.get('web')!;
    expect(web.apiVersion).toBe('wgpolicyk8s.io/v1alpha2');
    expect(web.kind).toBe('PolicyReport');
    expect(web.metadata).toEqual({
      name: 'opsagent',
      namespace: 'web',
      labels: { 'app.kubernetes.io/managed-by': 'opsagent' },
    });
    expect(web.results.map((r) => r.properties.id)).toEqual([missing('web', 'a').id, missing('web', 'b').id].sort());
    expect(web.summary).toEqual({ pass: 0, fail: 1, warn: 1, error: 0, skip: 0 });
    expect(web).not.toHaveProperty('source');
    expect(reports.get('shop')!.summary).toEqual({ pass: 0, fail: 2, warn: 0, error: 0, skip: 0 });
  });

  it('an openreports Report has the same results and its own apiVersion, kind and source', () => {
    const report = buildReports([CPU_OVER], REPORT_TYPES.Report).get('shop')!;
    expect(report).toMatchObject({ apiVersion: 'openreports.io/v1alpha1', kind: 'Report', source: 'opsagent' });
    expect(report.results).toEqual(buildReports([CPU_OVER], REPORT_TYPES.PolicyReport).get('shop')!.results);
  });

  it('no issues: no report', () => {
    expect(buildReports([], REPORT_TYPES.PolicyReport).size).toBe(0);
  });
});

describe('PolicyReport → issues (what a follower serves)', () => {
  it('reads back every issue: same id, times, message, severity, remediation and figures', () => {
    // memory-underprovisioned is a usage rule without over-provisioning figures: read back without any.
    const under: SeenIssue = {
      ...missing('web', 'queue'),
      id: issueId('Deployment', 'web', 'queue', 'app', 'memory-underprovisioned'),
      rule: 'memory-underprovisioned',
      severity: 'medium',
      message: 'container "app" requests 128Mi memory but its peak usage is 200Mi',
      remediation: memoryUnderprovisioned.remediation,
    };
    const issues = [missing('web', 'a', 'info'), CPU_OVER, MEMORY_OVER, DAEMONSET_OVER, under];
    const back = [...buildReports(issues, REPORT_TYPES.PolicyReport).values()].flatMap((r) => {
      const reading = issuesFromReport(JSON.parse(JSON.stringify(r)));
      expect(reading.problems).toEqual([]);
      return reading.issues;
    });
    const byId = (a: SeenIssue, b: SeenIssue) => (a.id < b.id ? -1 : 1);
    expect(back.sort(byId)).toEqual([...issues].sort(byId));
  });

  it('reads back a fix (its patch as JSON text) with the same command, and names a fix that is not a patch', () => {
    const patch = {
      spec: { template: { spec: { containers: [{ name: 'postgres', resources: { requests: { cpu: '121m' } } }] } } },
    };
    const withFix: SeenIssue = {
      ...CPU_OVER,
      fix: { patch, command: `kubectl patch statefulset db -n shop --type strategic -p '${JSON.stringify(patch)}'` },
    };
    const [report] = [...buildReports([withFix], REPORT_TYPES.PolicyReport).values()];
    const json = JSON.parse(JSON.stringify(report)) as { results: { properties: Record<string, string> }[] };
    expect(json.results[0].properties.fix).toBe(JSON.stringify(patch));
    expect(issuesFromReport(json).issues).toEqual([withFix]);
    json.results[0].properties.fix = '{not json';
    expect(issuesFromReport(json).problems).toEqual([
      expect.stringMatching(/results\[0\]\.properties\.fix is not the JSON of a patch of a patchable kind$/),
    ]);
  });

  it('ignores the results of other tools and names each unreadable result of ours', () => {
    const report = JSON.parse(
      JSON.stringify(buildReports([missing('web', 'a'), missing('web', 'b')], REPORT_TYPES.PolicyReport).get('web')),
    );
    report.results.push({ source: 'kyverno', policy: 'require-labels', result: 'fail' });
    delete report.results[0].properties.id;
    report.results[1].severity = 'urgent';
    const reading = issuesFromReport(report);
    expect(reading.issues).toEqual([]);
    expect(reading.problems).toEqual([
      'PolicyReport web/opsagent: results[0].properties.id is missing',
      'PolicyReport web/opsagent: results[1].severity is not a severity: "urgent"',
    ]);
  });

  it('names a rightsizing result whose figures are missing', () => {
    const report = JSON.parse(JSON.stringify(buildReports([CPU_OVER], REPORT_TYPES.PolicyReport).get('shop')));
    report.results[0].properties.usage = 'lots';
    expect(issuesFromReport(report).problems).toEqual([
      'PolicyReport shop/opsagent: results[0].properties.usage is missing or not a quantity',
    ]);
  });
});

describe('sameContent and keepUnchangedTimestamps', () => {
  const desired = () => buildReports([missing('web', 'a'), missing('web', 'b')], REPORT_TYPES.PolicyReport).get('web')!;

  /** As an API server returns it: server metadata added, keys sorted. */
  function stored(report: unknown): unknown {
    const sortKeys = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sortKeys)
        : typeof v === 'object' && v !== null
          ? Object.fromEntries(
              Object.keys(v)
                .sort()
                .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
            )
          : v;
    const copy = JSON.parse(JSON.stringify(report));
    copy.metadata = {
      ...copy.metadata,
      uid: 'u',
      resourceVersion: '7',
      generation: 1,
      creationTimestamp: '2026-12-01T00:00:00Z',
    };
    return sortKeys(copy);
  }

  it('the same issues found by a later scan are the same content (timestamps and key order aside)', () => {
    const later = buildReports(
      [missing('web', 'a'), missing('web', 'b')].map((i) => ({ ...i, lastSeen: '2026-12-01T10:00:00.000Z' })),
      REPORT_TYPES.PolicyReport,
    ).get('web')!;
    expect(sameContent(stored(desired()), later)).toBe(true);
  });

  it('a changed message, severity or result set is different content; so is a report without our label', () => {
    const changed = desired();
    changed.results[0] = { ...changed.results[0], message: 'other' };
    expect(sameContent(stored(desired()), changed)).toBe(false);
    expect(
      sameContent(stored(desired()), buildReports([missing('web', 'a')], REPORT_TYPES.PolicyReport).get('web')!),
    ).toBe(false);
    const foreign = stored(desired()) as { metadata: { labels: Record<string, string> } };
    foreign.metadata.labels = {};
    expect(sameContent(foreign, desired())).toBe(false);
  });

  it('keeps the stored timestamp of a result whose content did not change, and takes the new one otherwise', () => {
    const old = stored(desired());
    const later = buildReports(
      [missing('web', 'a'), { ...missing('web', 'b'), message: 'changed' }].map((i) => ({
        ...i,
        lastSeen: '2026-12-01T10:00:00.000Z',
      })),
      REPORT_TYPES.PolicyReport,
    ).get('web')!;
    const merged = keepUnchangedTimestamps(old, later);
    const byId = new Map(merged.results.map((r) => [r.properties.id, r.timestamp]));
    expect(byId.get(missing('web', 'a').id)).toEqual({ seconds: 1796117400, nanos: 250_000_000 });
    expect(byId.get(missing('web', 'b').id)).toEqual({ seconds: 1796119200, nanos: 0 });
  });
});
