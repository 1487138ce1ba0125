import type { UsageSample } from '../usage';
import type { Workload } from '../workload';
import { UsagePeaks } from './usage-peaks';

function workload(kind: Workload['kind'], namespace: string, name: string, app?: string): Workload {
  return {
    kind,
    apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1',
    namespace,
    name,
    labels: {},
    annotations: {},
    templateAnnotations: {},
    containers: [],
    ...(app ? { selector: { matchLabels: { app } } } : {}),
  } as unknown as Workload;
}

const sample = (namespace: string, pod: string, app: string, containers: [string, number, number][]): UsageSample => ({
  namespace,
  pod,
  labels: { app },
  containers: containers.map(([name, cpu, memory]) => ({ name, cpu, memory })),
});

describe('UsagePeaks', () => {
  const web = workload('Deployment', 'shop', 'web', 'web');
  const otherNs = workload('Deployment', 'other', 'web', 'web');
  const bare = workload('Pod', 'shop', 'debug');

  it('keeps, per workload container, the highest CPU and the highest memory of its Pods, each on its own', () => {
    const sut = new UsagePeaks([web, otherNs, bare]);
    sut.add(
      sample('shop', 'web-1', 'web', [
        ['app', 100, 5_000_000_000],
        ['proxy', 10, 20],
      ]),
    );
    sut.add(sample('shop', 'web-2', 'web', [['app', 300, 1_000]]));
    sut.add(sample('shop', 'debug', 'none', [['sh', 1, 2]]));
    expect(sut.samples).toBe(3);
    expect(sut.of(web)).toEqual(
      new Map([
        ['app', { cpu: 300, memory: 5_000_000_000 }],
        ['proxy', { cpu: 10, memory: 20 }],
      ]),
    );
    expect(sut.of(bare)).toEqual(new Map([['sh', { cpu: 1, memory: 2 }]]));
    expect(sut.of(otherNs)).toBeUndefined(); // same selector, other namespace
  });

  it('absorbs the peaks of another list (another namespace, or nothing twice)', () => {
    const a = new UsagePeaks([web, otherNs]);
    a.add(sample('shop', 'web-1', 'web', [['app', 100, 50]]));
    const b = new UsagePeaks([web, otherNs]);
    b.add(sample('other', 'web-1', 'web', [['app', 7, 8]]));
    b.add(sample('shop', 'web-2', 'web', [['app', 40, 90]]));
    a.absorb(b);
    expect(a.samples).toBe(3);
    expect(a.of(web)).toEqual(new Map([['app', { cpu: 100, memory: 90 }]]));
    expect(a.of(otherNs)).toEqual(new Map([['app', { cpu: 7, memory: 8 }]]));
  });
});
