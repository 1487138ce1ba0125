import type { RuleSettings } from '../rules/rule';
import type { UsageSample } from '../usage';
import type { ContainerSpec, Workload } from '../workload';
import { audit, compareIssues, issueId, type AuditOptions } from './audit';
import type { FailureSource, OomKill } from './failure-history';
import { OwnerIndex, UsageAttribution } from './usage-attribution';
import { NO_USAGE, SampleUsage, percentile } from './usage-stats';
import { WorkloadContext } from './workload-context';

const MI = 2 ** 20;
const settings: RuleSettings = {
  minSamples: 3,
  cpu: { ratio: 2, minWaste: 100 },
  memory: { ratio: 2, minWaste: 128 * MI },
  underProvisioning: { memoryRatio: 1.2, cpuThrottledRatio: 0.1 },
  cost: { cpuCoreHourly: 0.031611, memoryGiBHourly: 0.004237, currency: 'USD' },
};
const options = (overrides: Partial<AuditOptions> = {}): AuditOptions => ({
  rules: new Map(),
  settings,
  isNamespaceAudited: (ns) => ns !== 'kube-system',
  ...overrides,
});

function container(name: string, resources: Partial<Pick<ContainerSpec, 'requests' | 'limits'>> = {}): ContainerSpec {
  return { name, role: 'container', path: 'spec.template.spec.containers[0]', requests: {}, limits: {}, ...resources };
}

function workload(containers: ContainerSpec[], overrides: Partial<Workload> = {}): Workload {
  return {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    namespace: 'shop',
    name: 'web',
    annotations: {},
    templateAnnotations: {},
    selector: { matchLabels: { app: 'web' } },
    replicas: 3,
    containers,
    ...overrides,
  };
}

const full = { requests: { cpu: 100, memory: 128 * MI }, limits: { cpu: 200, memory: 128 * MI } };
const rulesOf = (w: Workload, o = options()) => audit([w], NO_USAGE, o).issues.map((i) => `${i.container}:${i.rule}`);

describe('missing requests and limits', () => {
  it('flags every missing resource of a bare container', () => {
    expect(rulesOf(workload([container('app')])).sort()).toEqual([
      'app:cpu-limit-missing',
      'app:cpu-request-missing',
      'app:memory-limit-missing',
      'app:memory-request-missing',
    ]);
  });

  it('treats a limit as the request (Kubernetes defaults the request to the limit)', () => {
    const c = container('app', { limits: { cpu: 500, memory: 256 * MI } });
    expect(rulesOf(workload([c]))).toEqual([]);
  });

  it('does not treat a request as a limit', () => {
    const c = container('app', { requests: { cpu: 500, memory: 256 * MI } });
    expect(rulesOf(workload([c])).sort()).toEqual(['app:cpu-limit-missing', 'app:memory-limit-missing']);
  });

  it('checks init containers and sidecars like any other container', () => {
    const init = { ...container('init'), role: 'init' as const };
    const sidecar = { ...container('proxy', { limits: { cpu: 100, memory: 64 * MI } }), role: 'sidecar' as const };
    const found = rulesOf(workload([container('app', full), init, sidecar]));
    expect(found.filter((r) => r.startsWith('init:'))).toHaveLength(4);
    expect(found.filter((r) => r.startsWith('proxy:') || r.startsWith('app:'))).toEqual([]);
  });

  it('applies configured severity and enablement', () => {
    const rules = new Map([
      ['cpu-limit-missing', { enabled: false, severity: 'low' as const }],
      ['memory-limit-missing', { enabled: true, severity: 'critical' as const }],
    ]);
    const { issues } = audit([workload([container('app', { requests: full.requests })])], NO_USAGE, options({ rules }));
    expect(issues.map((i) => [i.rule, i.severity])).toEqual([['memory-limit-missing', 'critical']]);
  });

  it('skips and counts workloads in namespaces that are not audited', () => {
    const result = audit([workload([container('app')], { namespace: 'kube-system' })], NO_USAGE, options());
    expect(result.issues).toEqual([]);
    expect(result.stats.workloadsExcluded).toBe(1);
    expect(result.stats.workloads).toBe(0);
  });
});

describe('exemption annotations', () => {
  it('exempts the whole workload from the listed rules (workload metadata)', () => {
    const w = workload([container('app')], {
      annotations: { 'opsagent.io/ignore': 'cpu-limit-missing, memory-limit-missing' },
    });
    expect(rulesOf(w).sort()).toEqual(['app:cpu-request-missing', 'app:memory-request-missing']);
  });

  it('exempts from every rule with * on the Pod template metadata', () => {
    const w = workload([container('app')], { templateAnnotations: { 'opsagent.io/ignore': '*' } });
    const result = audit([w], NO_USAGE, options());
    expect(result.issues).toEqual([]);
    expect(result.stats.exemptions).toBe(9); // every rule of the registry
  });

  it('exempts one container by name', () => {
    const w = workload([container('app', full), container('istio-proxy')], {
      templateAnnotations: { 'ignore.opsagent.io/istio-proxy': '*' },
    });
    expect(rulesOf(w)).toEqual([]);
  });

  it('reports unknown rule ids and unknown containers as warnings', () => {
    const w = workload([container('app', full)], {
      annotations: { 'opsagent.io/ignore': 'cpu-limit-mising', 'ignore.opsagent.io/sidecar': 'memory-limit-missing' },
    });
    const { warnings } = audit([w], NO_USAGE, options());
    expect(warnings.map((x) => x.code).sort()).toEqual([
      'unknown-container-in-annotation',
      'unknown-rule-in-annotation',
    ]);
    expect(warnings.find((x) => x.code === 'unknown-rule-in-annotation')?.message).toContain('"cpu-limit-mising"');
  });
});

describe('over-provisioning', () => {
  const sample = (pod: string, cpu: number, memory: number, labels = { app: 'web' }): UsageSample => ({
    namespace: 'shop',
    pod,
    labels,
    containers: [{ name: 'app', cpu, memory }],
  });
  const samples = (cpu: number[], memory: number) => cpu.map((c, i) => sample(`web-${i % 2}`, c, memory));
  const big = { requests: { cpu: 1000, memory: 1024 * MI }, limits: { cpu: 1000, memory: 1024 * MI } };

  it('recommends p95 CPU and max memory × 1.15 rounded up to a Mi, with waste per Pod and in total', () => {
    const w = workload([container('app', big)]);
    const usage = new SampleUsage([w], samples([100, 120, 110, 300], 200 * MI));
    const { issues } = audit([w], usage, options());
    const cpu = issues.find((i) => i.rule === 'cpu-overprovisioned');
    const mem = issues.find((i) => i.rule === 'memory-overprovisioned');
    expect(cpu?.overProvisioning).toEqual({
      resource: 'cpu',
      unit: 'millicores',
      samples: 4,
      usage: 300,
      request: 1000,
      recommended: 300,
      wastePerPod: 700,
      replicas: 3,
      wasteTotal: 2100,
      // 2.1 cores × 0.031611 × 730 h
      wasteMonthlyCost: 48.46,
      currency: 'USD',
    });
    // 200Mi × 1.15 = 230Mi exactly
    expect(mem?.overProvisioning).toMatchObject({
      usage: 200 * MI,
      recommended: 230 * MI,
      wastePerPod: 794 * MI,
      wasteTotal: 3 * 794 * MI,
    });
    expect(cpu?.message).toContain('recommend 300m');
  });

  it("prices a DaemonSet's waste by the Pods the read found of it (observedPods), through their controller", () => {
    const ds = workload([container('app', big)], { kind: 'DaemonSet', name: 'agent', replicas: undefined });
    const owners = new OwnerIndex();
    owners.addObject('DaemonSet', 'shop', 'agent', { uid: 'u-agent' });
    for (const pod of ['web-0', 'web-1', 'web-2', 'web-3']) {
      owners.addPod('shop', pod, { controller: { kind: 'DaemonSet', name: 'agent', uid: 'u-agent' } }, {});
    }
    owners.addPod('shop', 'stray', {}, { app: 'other' });
    const attribution = new UsageAttribution([ds], owners);
    const usage = new SampleUsage([ds], samples([100, 120, 110, 300], 200 * MI), attribution);
    const observed = attribution.observedPods();
    expect([...observed.values()]).toEqual([4]);
    const cpu = audit([ds], usage, options(), observed).issues.find((i) => i.rule === 'cpu-overprovisioned');
    // 700m per Pod × 4 Pods = 2.8 cores × 0.031611 × 730 h = 64.61
    expect(cpu?.overProvisioning).toMatchObject({ observedPods: 4, wasteTotal: 2800, wasteMonthlyCost: 64.61 });
    expect(cpu?.message).toContain('(2.8 over 4 Pods observed), worth USD 64.61 a month');
    // Without the counts, one Pod's waste.
    const alone = audit([ds], usage, options()).issues.find((i) => i.rule === 'cpu-overprovisioned');
    expect(alone?.overProvisioning).toMatchObject({ wastePerPod: 700, wasteMonthlyCost: 16.15 });
    expect(alone?.overProvisioning).not.toHaveProperty('wasteTotal');
  });
  it('takes the Pods per DaemonSet, the LimitRanges and HPAs, and the OOM kills together (its last three arguments)', () => {
    const ds = workload([container('app', { requests: { memory: 1024 * MI }, limits: { memory: 1024 * MI } })], {
      kind: 'DaemonSet',
      name: 'agent',
      replicas: undefined,
    });
    const usage = new SampleUsage([ds], samples([100, 100, 100], 100 * MI));
    const context = new WorkloadContext([
      { namespace: 'shop', name: 'defaults', default: { cpu: 1000 }, defaultRequest: { cpu: 1000 }, max: {} },
    ]);
    const kill: OomKill = { pod: 'agent-x', container: 'app', at: Date.parse('2026-11-25T09:00:00Z'), restartCount: 2 };
    const failures: FailureSource = { oomKillsFor: (w) => new Map(w === ds ? [['app', kill]] : []) };
    const { issues } = audit([ds], usage, options(), new Map([[ds, 4]]), context, failures);
    expect(issues.map((i) => `${i.rule} ${i.severity}`).sort()).toEqual([
      'cpu-limit-missing info',
      'cpu-overprovisioned medium',
      'cpu-request-missing info',
      'memory-oom-killed high',
    ]);
    // The CPU request LimitRange "defaults" sets, priced over the 4 Pods; memory is not cut after an OOM kill.
    expect(issues.find((i) => i.rule === 'cpu-overprovisioned')?.overProvisioning).toMatchObject({
      request: 1000,
      requestDefaultedBy: 'defaults',
      observedPods: 4,
      wasteTotal: 4 * 900,
    });
    expect(issues.find((i) => i.rule === 'memory-oom-killed')?.message).toContain('in Pod shop/agent-x');
  });

  it('floors recommendations at 10m CPU and 32Mi memory', () => {
    const w = workload([container('app', big)]);
    const usage = new SampleUsage([w], samples([1, 2, 3], 1 * MI));
    const { issues } = audit([w], usage, options());
    expect(issues.find((i) => i.rule === 'cpu-overprovisioned')?.overProvisioning?.recommended).toBe(10);
    expect(issues.find((i) => i.rule === 'memory-overprovisioned')?.overProvisioning?.recommended).toBe(32 * MI);
  });

  it('needs minSamples, the ratio and the minimum waste all at once', () => {
    const w = workload([container('app', big)]);
    const few = new SampleUsage([w], samples([100, 100], 100 * MI));
    expect(audit([w], few, options()).issues.filter((i) => i.overProvisioning)).toEqual([]);
    const close = workload([
      container('app', { requests: { cpu: 190, memory: 190 * MI }, limits: { cpu: 190, memory: 190 * MI } }),
    ]);
    const usage = new SampleUsage([close], samples([100, 100, 100], 100 * MI));
    expect(audit([close], usage, options()).issues).toEqual([]);
    const smallWaste = workload([
      container('app', { requests: { cpu: 150, memory: 200 * MI }, limits: { cpu: 150, memory: 200 * MI } }),
    ]);
    const low = new SampleUsage([smallWaste], samples([60, 60, 60], 80 * MI));
    // 150m ≥ 2 × 60m but only 90m over; 200Mi ≥ 2 × 80Mi but only 120Mi over.
    expect(audit([smallWaste], low, options()).issues).toEqual([]);
  });

  it('omits the total when replicas are unknown (DaemonSet)', () => {
    const ds = workload([container('app', big)], { kind: 'DaemonSet', replicas: undefined });
    const usage = new SampleUsage([ds], samples([100, 100, 100], 100 * MI));
    const cpu = audit([ds], usage, options()).issues.find((i) => i.rule === 'cpu-overprovisioned');
    expect(cpu?.overProvisioning?.wasteTotal).toBeUndefined();
    expect(cpu?.overProvisioning?.wastePerPod).toBe(900);
  });

  it('counts containers without usage and only matches Pods of the same namespace and selector', () => {
    const w = workload([container('app', big), container('sidecar', big)]);
    const usage = new SampleUsage(
      [w],
      [
        ...samples([10, 10, 10], MI),
        { ...sample('other', 10, MI), namespace: 'elsewhere' },
        sample('canary', 10, MI, { app: 'other' }),
      ],
    );
    const result = audit([w], usage, options());
    expect(result.stats.containersWithoutUsage).toBe(1);
    const cpu = result.issues.find((i) => i.rule === 'cpu-overprovisioned');
    expect(cpu?.overProvisioning?.samples).toBe(3);
  });

  it('matches a bare Pod by its own name', () => {
    const pod = workload([container('app', big)], { kind: 'Pod', name: 'toolbox', selector: undefined, replicas: 1 });
    const usage = new SampleUsage(
      [pod],
      [sample('toolbox', 10, MI), sample('toolbox', 10, MI), sample('toolbox', 10, MI)],
    );
    expect(
      audit([pod], usage, options())
        .issues.map((i) => i.rule)
        .sort(),
    ).toEqual(['cpu-overprovisioned', 'memory-overprovisioned']);
  });

  it('uses the nearest-rank percentile', () => {
    const values = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(values, 95)).toBe(19);
    expect(percentile([5], 95)).toBe(5);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        95,
      ),
    ).toBe(95);
  });
});

describe('issue identity and order', () => {
  it('gives the same id for the same object, container and rule, and different ids otherwise', () => {
    expect(issueId('Deployment', 'shop', 'web', 'app', 'cpu-limit-missing')).toBe(
      issueId('Deployment', 'shop', 'web', 'app', 'cpu-limit-missing'),
    );
    const ids = new Set([
      issueId('Deployment', 'shop', 'web', 'app', 'cpu-limit-missing'),
      issueId('StatefulSet', 'shop', 'web', 'app', 'cpu-limit-missing'),
      issueId('Deployment', 'shop2', 'web', 'app', 'cpu-limit-missing'),
      issueId('Deployment', 'shop', 'web', 'app2', 'cpu-limit-missing'),
      issueId('Deployment', 'shop', 'web', 'app', 'memory-limit-missing'),
    ]);
    expect(ids.size).toBe(5);
  });

  it('sorts by severity, then namespace/kind/name/container/rule', () => {
    const { issues } = audit(
      [workload([container('b'), container('a')], { namespace: 'z' }), workload([container('c')], { namespace: 'a' })],
      NO_USAGE,
      options(),
    );
    expect([...issues].sort(compareIssues)).toEqual(issues);
    expect(issues[0].severity).toBe('high');
    expect(issues.at(-1)?.severity).toBe('low');
    expect(issues.slice(0, 4).map((i) => `${i.namespace}/${i.container}`)).toEqual(['a/c', 'a/c', 'z/a', 'z/a']);
  });
});

describe('SampleUsage sample times', () => {
  const at = (pod: string, timestamp?: string, windowMs?: number): UsageSample => ({
    namespace: 'shop',
    pod,
    labels: { app: 'web' },
    ...(timestamp ? { timestamp } : {}),
    ...(windowMs ? { windowMs } : {}),
    containers: [{ name: 'app', cpu: 10, memory: MI }],
  });
  const web = workload([container('app', {})]);

  it('covers from the earliest timestamp − window to the latest timestamp', () => {
    const usage = new SampleUsage(
      [web],
      [
        at('web-0', '2026-11-20T10:05:00Z', 30_000),
        at('web-1', '2026-11-20T10:00:00Z', 60_000),
        at('web-0', '2026-11-21T12:00:00Z', 30_000),
      ],
    );
    const stats = usage.statsFor(web).get('app')!;
    expect(stats.firstSampleAt).toBe(Date.parse('2026-11-20T09:59:00Z'));
    expect(stats.lastSampleAt).toBe(Date.parse('2026-11-21T12:00:00Z'));
  });

  it('gives no times when a sample has none', () => {
    const stats = new SampleUsage([web], [at('web-0', '2026-11-20T10:05:00Z'), at('web-1')]).statsFor(web).get('app')!;
    expect(stats.firstSampleAt).toBeUndefined();
    expect(stats.lastSampleAt).toBeUndefined();
  });
});
