import type { Issue } from '../issue';
import type { Workload } from '../workload';
import type { FailureSource } from './failure-history';
import { UsageHistory } from './usage-history';
import { UsagePeaks } from './usage-peaks';
import { WorkloadContext } from './workload-context';
import { workloadView } from './workload-view';

/** The workload view (issue 15 §1) from in-memory sources: what GET /api/v1/workloads/… returns. */
const DAY = 86_400_000;
const MI = 2 ** 20;
const NOW = Date.parse('2026-12-01T12:00:00Z');

const workload: Workload = {
  kind: 'Deployment',
  apiVersion: 'apps/v1',
  namespace: 'shop',
  name: 'web',
  annotations: {},
  templateAnnotations: {},
  selector: { matchLabels: { app: 'web' } },
  replicas: 3,
  containers: [
    { name: 'app', role: 'container', path: 'c[0]', requests: { cpu: 1000 }, limits: { cpu: 2000 } },
    { name: 'proxy', role: 'sidecar', path: 'i[0]', requests: {}, limits: {} },
  ],
};

function history(): UsageHistory {
  const h = new UsageHistory(14 * DAY);
  for (let day = 3; day >= 1; day--) {
    for (const cpu of [100, 200, 300]) {
      const peaks = new UsagePeaks([workload]);
      peaks.add({
        namespace: 'shop',
        pod: 'web-1',
        labels: { app: 'web' },
        containers: [{ name: 'app', cpu: cpu * day, memory: 100 * MI * day }],
      });
      h.recordPeaks([workload], peaks, NOW - day * DAY + cpu * 1000);
    }
  }
  return h;
}

const issue = (rule: string, container: string, extra: Partial<Issue> = {}): Issue => ({
  id: `${rule}-${container}`,
  rule,
  severity: 'medium',
  namespace: 'shop',
  kind: 'Deployment',
  name: 'web',
  container,
  message: rule,
  remediation: 'fix it',
  ...extra,
});

const context = new WorkloadContext(
  [
    {
      namespace: 'shop',
      name: 'defaults',
      defaultRequest: { memory: 256 * MI },
      default: { memory: 512 * MI },
      max: { cpu: 4000 },
    },
  ],
  [
    {
      namespace: 'shop',
      name: 'web-hpa',
      scaleTargetRef: { kind: 'Deployment', name: 'web' },
      metrics: [{ type: 'Resource', resource: 'cpu', target: 'Utilization', averageUtilization: 60 }],
    },
  ],
);

const failures: FailureSource = {
  oomKillsFor: () =>
    new Map([['proxy', { pod: 'web-1', container: 'proxy', at: NOW - DAY, restartCount: 2, exitCode: 137 }]]),
};

describe('workloadView', () => {
  const h = history();
  const over = issue('cpu-overprovisioned', 'app', {
    overProvisioning: {
      resource: 'cpu',
      unit: 'millicores',
      samples: 9,
      usage: 900,
      request: 1000,
      recommended: 500,
      wastePerPod: 500,
      confidence: 'medium',
    },
  });
  const sut = workloadView(workload, { context, failures, usage: h, timeline: (w) => h.timeline(w) }, [
    over,
    issue('memory-limit-missing', 'proxy'),
    issue('cpu-limit-missing', 'gone'),
  ]);

  it('gives each container its spec, usage figures and the history slots, oldest first', () => {
    expect(sut).toMatchObject({ kind: 'Deployment', namespace: 'shop', name: 'web', replicas: 3 });
    const [app, proxy] = sut.containers;
    expect(app).toMatchObject({ name: 'app', role: 'container', requests: { cpu: 1000 }, limits: { cpu: 2000 } });
    expect(app.usage).toMatchObject({ samples: 9, memoryMax: 300 * MI });
    expect(app.history.map((s) => s.samples)).toEqual([3, 3, 3]);
    expect(app.history.map((s) => s.memoryMax)).toEqual([300 * MI, 200 * MI, 100 * MI]);
    // Peaks per slot: the slot's own highest CPU (within the histogram's 2.5 %).
    const within = (actual: number, exact: number) => expect(Math.abs(actual / exact - 1)).toBeLessThan(0.025);
    within(app.history[0].cpuMax, 900);
    within(app.history[2].cpuMax, 300);
    within(app.history[1].cpuP50, 400);
    expect(Date.parse(app.history[0].from)).toBeLessThan(Date.parse(app.history[1].from));
    expect(Date.parse(app.history[0].to) - Date.parse(app.history[0].from)).toBe(DAY);
    // No samples: no usage and an empty chart, never made-up numbers.
    expect(proxy.usage).toBeUndefined();
    expect(proxy.history).toEqual([]);
  });

  it('carries the LimitRange and HPA context, the OOM kill, the recommendation and the issues of each container', () => {
    const [app, proxy] = sut.containers;
    expect(sut.hpa?.name).toBe('web-hpa');
    expect(app.context.hpa.cpu).toMatchObject({ hpa: 'web-hpa', averageUtilization: 60 });
    expect(app.context.max.cpu).toEqual({ limitRange: 'defaults', field: 'max', value: 4000 });
    expect(proxy.context.requestDefault.memory).toEqual({
      limitRange: 'defaults',
      field: 'defaultRequest',
      value: 256 * MI,
    });
    expect(proxy.context.limitDefault.memory).toEqual({ limitRange: 'defaults', field: 'default', value: 512 * MI });
    expect(proxy.oomKill).toEqual({
      pod: 'web-1',
      at: new Date(NOW - DAY).toISOString(),
      restartCount: 2,
      exitCode: 137,
    });
    expect(app.oomKill).toBeUndefined();
    expect(app.recommendation).toEqual({ cpu: { ...over.overProvisioning, rule: 'cpu-overprovisioned' } });
    expect(proxy.recommendation).toEqual({});
    expect(app.issues.map((i) => i.rule)).toEqual(['cpu-overprovisioned']);
    expect(proxy.issues.map((i) => i.rule)).toEqual(['memory-limit-missing']);
    // An issue naming no container of the spec is not dropped.
    expect(sut.otherIssues.map((i) => i.container)).toEqual(['gone']);
  });

  it('without a timeline (the Prometheus source) has the figures but no slots', () => {
    const view = workloadView(workload, { context: new WorkloadContext(), failures, usage: h }, []);
    expect(view.containers[0].usage?.samples).toBe(9);
    expect(view.containers[0].history).toEqual([]);
    expect(view.hpa).toBeUndefined();
  });
});
