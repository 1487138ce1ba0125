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
        'saving 13.3Gi per Pod (40Gi over 3 replicas)',
    );
    expect(message).not.toMatch(/\d{4,}Ki|\d{5,}Mi/);
  });

  it('give CPU in cores above one core and in millicores below', () => {
    const message = sut({ cpu: 16_000 }, { cpuP95: 2_340, memoryMax: 0, samples: 12 }, 2)('cpu');
    expect(message).toBe(
      'container "app" requests 16 cpu but its p95 usage is 2.34 over 12 samples; recommend 2.34 (2340m), ' +
        'saving 13.7 per Pod (27.3 over 2 replicas)',
    );
    expect(sut({ cpu: 500 }, { cpuP95: 40, memoryMax: 0, samples: 12 }, undefined)('cpu')).toBe(
      'container "app" requests 500m cpu but its p95 usage is 40m over 12 samples; recommend 40m, saving 460m per Pod',
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
