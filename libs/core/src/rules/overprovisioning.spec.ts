import type { ContainerSpec, Workload } from '../workload';
import { evaluateOverProvisioning } from './overprovisioning';
import type { RuleSettings } from './rule';

const KI = 1024;
const MI = 1024 * KI;
const GI = 1024 * MI;

const settings: RuleSettings = {
  minSamples: 1,
  cpu: { ratio: 2, minWaste: 100 },
  memory: { ratio: 2, minWaste: 128 * MI },
  underProvisioning: { memoryRatio: 1.2, cpuThrottledRatio: 0.1 },
  cost: { cpuCoreHourly: 0.031611, memoryGiBHourly: 0.004237, currency: 'USD' },
};

function sut(
  requests: ContainerSpec['requests'],
  usage: { cpuP95: number; memoryMax: number; samples: number },
  replicas: number | undefined,
) {
  const container: ContainerSpec = { name: 'app', role: 'container', path: 'spec.containers[0]', requests, limits: {} };
  const workload: Workload = {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    namespace: 'shop',
    name: 'web',
    annotations: {},
    templateAnnotations: {},
    containers: [container],
    ...(replicas === undefined ? {} : { replicas }),
  };
  return (resource: 'cpu' | 'memory') =>
    evaluateOverProvisioning({ workload, container, usage, settings }, resource)?.message;
}

describe('over-provisioning messages', () => {
  it('give memory in readable units (2418398Ki reads 2.3Gi), the recommendation also exactly', () => {
    const message = sut({ memory: 16 * GI }, { cpuP95: 0, memoryMax: 2418398 * KI, samples: 24 }, 3)('memory');
    // 2418398Ki × 1.15 rounded up to a Mi is 2716Mi; 16Gi − 2716Mi = 13668Mi per Pod, ×3 in total.
    expect(message).toBe(
      'container "app" requests 16Gi memory but its peak usage is 2.3Gi over 24 samples; recommend 2.7Gi (2716Mi), ' +
        'saving 13.3Gi per Pod (40Gi over 3 replicas), worth USD 123.85 a month',
    );
    expect(message).not.toMatch(/\d{4,}Ki|\d{5,}Mi/);
  });

  it('give CPU in cores above one core and in millicores below', () => {
    const message = sut({ cpu: 16_000 }, { cpuP95: 2_340, memoryMax: 0, samples: 12 }, 2)('cpu');
    expect(message).toBe(
      'container "app" requests 16 cpu but its p95 usage is 2.34 over 12 samples; recommend 2.34 (2340m), ' +
        'saving 13.7 per Pod (27.3 over 2 replicas), worth USD 630.44 a month',
    );
    expect(sut({ cpu: 500 }, { cpuP95: 40, memoryMax: 0, samples: 12 }, undefined)('cpu')).toBe(
      'container "app" requests 500m cpu but its p95 usage is 40m over 12 samples; recommend 40m, saving 460m per Pod, ' +
        'worth USD 10.61 a month',
    );
  });

  it('use the singular for one replica and one sample', () => {
    const message = sut({ cpu: 1000 }, { cpuP95: 100, memoryMax: 0, samples: 1 }, 1)('cpu');
    expect(message).toContain('over 1 sample;');
    expect(message).toContain('(900m over 1 replica)');
    expect(sut({ cpu: 1000 }, { cpuP95: 100, memoryMax: 0, samples: 2 }, 0)('cpu')).toContain('(0m over 0 replicas)');
  });
});

describe('over-provisioning trust figures', () => {
  const DAY = 86_400_000;
  const t0 = Date.parse('2026-11-20T00:00:00Z');
  const figures = (firstSampleAt: number | undefined, lastSampleAt: number | undefined) => {
    const container: ContainerSpec = { name: 'app', role: 'container', path: 'x', requests: { cpu: 1000 }, limits: {} };
    const workload: Workload = {
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      namespace: 'shop',
      name: 'web',
      annotations: {},
      templateAnnotations: {},
      containers: [container],
    };
    const usage = { cpuP95: 100, memoryMax: 0, samples: 30, firstSampleAt, lastSampleAt };
    return evaluateOverProvisioning({ workload, container, usage, settings }, 'cpu');
  };

  it.each([
    [0, 'low'],
    [DAY - 1, 'low'],
    [DAY, 'medium'],
    [7 * DAY - 1, 'medium'],
    [7 * DAY, 'high'],
    [30 * DAY, 'high'],
  ])('a span of %d ms between first and last sample is confidence %s', (span, confidence) => {
    const finding = figures(t0, t0 + span)!;
    expect(finding.overProvisioning?.confidence).toBe(confidence);
    expect(finding.overProvisioning?.coverage).toEqual({
      from: '2026-11-20T00:00:00.000Z',
      to: new Date(t0 + span).toISOString(),
    });
    expect(finding.message).toContain(`, confidence ${confidence})`);
  });

  it('says how much data in the message', () => {
    expect(figures(t0, t0 + 20 * 3_600_000)!.message).toContain('over 30 samples (20h of data, confidence low);');
    expect(figures(t0, t0 + 6.5 * DAY)!.message).toContain('(6.5d of data, confidence medium)');
  });

  it('claims no coverage or confidence when the source gives no times', () => {
    const finding = figures(undefined, undefined)!;
    expect(finding.overProvisioning).not.toHaveProperty('coverage');
    expect(finding.overProvisioning).not.toHaveProperty('confidence');
  });
});

describe('over-provisioning cost (cost.*)', () => {
  const evaluate = (
    kind: Workload['kind'],
    replicas: number | undefined,
    observedPods: number | undefined,
    resource: 'cpu' | 'memory',
    cost: RuleSettings['cost'] = settings.cost,
  ) => {
    const container: ContainerSpec = {
      name: 'app',
      role: 'container',
      path: 'x',
      requests: { cpu: 1000, memory: 4 * GI },
      limits: {},
    };
    const workload: Workload = {
      kind,
      apiVersion: 'apps/v1',
      namespace: 'shop',
      name: 'web',
      annotations: {},
      templateAnnotations: {},
      containers: [container],
      ...(replicas === undefined ? {} : { replicas }),
    };
    // CPU: 1000m − 200m = 800m per Pod. Memory: 4Gi − 1Gi (≈ 890Mi × 1.15 rounded up) = 3Gi per Pod.
    const usage = { cpuP95: 200, memoryMax: 890.4 * MI, samples: 12 };
    return evaluateOverProvisioning(
      { workload, container, usage, settings: { ...settings, cost }, ...(observedPods ? { observedPods } : {}) },
      resource,
    )!;
  };

  it('prices the waste of every replica: wasteTotal × price × 730 h, in the currency, in figures and message', () => {
    const cpu = evaluate('Deployment', 3, undefined, 'cpu');
    // 2.4 cores × 0.031611 × 730 = 55.381…
    expect(cpu.overProvisioning).toMatchObject({ wasteTotal: 2400, wasteMonthlyCost: 55.38, currency: 'USD' });
    expect(cpu.message).toMatch(/, worth USD 55\.38 a month$/);
    const memory = evaluate('StatefulSet', 2, undefined, 'memory');
    // 6 GiB × 0.004237 × 730 = 18.558…
    expect(memory.overProvisioning).toMatchObject({ wasteTotal: 6 * GI, wasteMonthlyCost: 18.56, currency: 'USD' });
  });

  it('prices a DaemonSet by the Pods observed, and says so', () => {
    const finding = evaluate('DaemonSet', undefined, 4, 'cpu');
    expect(finding.overProvisioning).toMatchObject({ observedPods: 4, wasteTotal: 3200, wasteMonthlyCost: 73.84 });
    expect(finding.overProvisioning).not.toHaveProperty('replicas');
    expect(finding.message).toContain('saving 800m per Pod (3.2 over 4 Pods observed), worth USD 73.84 a month');
  });

  it('prices one Pod where no count is known (a DaemonSet no Pod was read of, a CronJob)', () => {
    for (const finding of [
      evaluate('DaemonSet', undefined, undefined, 'cpu'),
      evaluate('CronJob', undefined, 9, 'cpu'),
    ]) {
      expect(finding.overProvisioning).not.toHaveProperty('wasteTotal');
      expect(finding.overProvisioning).not.toHaveProperty('observedPods');
      // 0.8 cores × 0.031611 × 730 = 18.46…
      expect(finding.overProvisioning?.wasteMonthlyCost).toBe(18.46);
    }
  });

  it('uses the configured prices and rounds to the minor unit of the currency', () => {
    const yen = evaluate('Deployment', 3, undefined, 'cpu', { cpuCoreHourly: 5, memoryGiBHourly: 1, currency: 'JPY' });
    // 2.4 cores × 5 × 730 = 8760 yen, no decimals.
    expect(yen.overProvisioning).toMatchObject({ wasteMonthlyCost: 8760, currency: 'JPY' });
    expect(yen.message).toMatch(/, worth JPY 8,760 a month$/);
    const free = evaluate('Deployment', 3, undefined, 'memory', {
      cpuCoreHourly: 0,
      memoryGiBHourly: 0,
      currency: 'EUR',
    });
    expect(free.overProvisioning).toMatchObject({ wasteMonthlyCost: 0, currency: 'EUR' });
    expect(free.message).toMatch(/, worth EUR 0\.00 a month$/);
  });
});
