import type { UsageSample } from '@opsagent/core/usage';
import type { Workload } from '@opsagent/core/workload';
import { UsageHistory } from './usage-history';

const MI = 2 ** 20;
const web: Workload = {
  kind: 'Deployment',
  apiVersion: 'apps/v1',
  namespace: 'shop',
  name: 'web',
  annotations: {},
  templateAnnotations: {},
  selector: { matchLabels: { app: 'web' } },
  replicas: 2,
  containers: [{ name: 'app', role: 'container', path: 'x', requests: {}, limits: {} }],
};
const sample = (pod: string, cpu: number, memory: number, labels = { app: 'web' }): UsageSample => ({
  namespace: 'shop',
  pod,
  labels,
  containers: [{ name: 'app', cpu, memory }],
});

describe('UsageHistory', () => {
  it('adds one sample per scan per container: the busiest Pod', () => {
    const sut = new UsageHistory(60 * 60_000);
    sut.record(
      [web],
      [sample('a', 100, 10 * MI), sample('b', 300, 5 * MI), sample('x', 999, MI, { app: 'other' })],
      0,
      true,
    );
    sut.record([web], [sample('a', 200, 20 * MI)], 60_000, true);
    expect(sut.statsFor(web).get('app')).toEqual({ samples: 2, cpuP95: 300, memoryMax: 20 * MI });
  });

  it('drops samples older than the window', () => {
    const sut = new UsageHistory(10 * 60_000);
    for (let minute = 0; minute <= 30; minute += 5) sut.record([web], [sample('a', minute, MI)], minute * 60_000, true);
    // minutes 20, 25, 30 are within 10 minutes of minute 30
    expect(sut.statsFor(web).get('app')?.samples).toBe(3);
    expect(sut.sampleCount).toBe(3);
  });

  it('forgets workloads that disappeared, unless told the read was incomplete', () => {
    const sut = new UsageHistory(60 * 60_000);
    sut.record([web], [sample('a', 1, MI)], 0, true);
    sut.record([], [], 1000, false);
    expect(sut.sampleCount).toBe(1);
    sut.record([], [], 2000, true);
    expect(sut.sampleCount).toBe(0);
  });
});
