import type { Workload } from '../workload';
import { PrometheusUsage, type PodContainerUsage, type PrometheusUsageInput } from './prometheus-usage';

function workload(kind: string, name: string, app = name, namespace = 'shop'): Workload {
  return {
    kind,
    apiVersion: 'apps/v1',
    namespace,
    name,
    annotations: {},
    templateAnnotations: {},
    selector: kind === 'Pod' ? undefined : { matchLabels: { app } },
    containers: [{ name: 'app', role: 'container', path: 'spec.containers[0]', requests: {}, limits: {} }],
  };
}

function row(pod: string, over: Partial<PodContainerUsage> = {}): PodContainerUsage {
  return {
    namespace: 'shop',
    pod,
    container: 'app',
    cpuP95: 100,
    memoryMax: 1000,
    samples: 10,
    firstSampleAt: 1_000,
    lastSampleAt: 2_000,
    ...over,
  };
}

function input(over: Partial<PrometheusUsageInput>): PrometheusUsageInput {
  return { workloads: [], usage: [], podOwners: [], replicaSetOwners: [], jobOwners: [], livePods: [], ...over };
}

describe('PrometheusUsage', () => {
  const web = workload('Deployment', 'web');

  it('follows Pod → ReplicaSet → Deployment and combines Pods: max of p95s, max of peaks, sum of samples', () => {
    const sut = new PrometheusUsage(
      input({
        workloads: [web],
        usage: [
          row('web-old-1', { cpuP95: 400, memoryMax: 500, samples: 7, firstSampleAt: 100, lastSampleAt: 900 }),
          row('web-new-1', { cpuP95: 150, memoryMax: 2000, samples: 5, firstSampleAt: 950, lastSampleAt: 3000 }),
        ],
        podOwners: [
          { namespace: 'shop', pod: 'web-old-1', kind: 'ReplicaSet', name: 'web-old' },
          { namespace: 'shop', pod: 'web-new-1', kind: 'ReplicaSet', name: 'web-new' },
        ],
        replicaSetOwners: [
          { namespace: 'shop', name: 'web-old', kind: 'Deployment', owner: 'web' },
          { namespace: 'shop', name: 'web-new', kind: 'Deployment', owner: 'web' },
        ],
      }),
    );
    expect(sut.statsFor(web).get('app')).toEqual({
      cpuP95: 400,
      memoryMax: 2000,
      samples: 12,
      firstSampleAt: 100,
      lastSampleAt: 3000,
    });
    expect(sut.counts).toEqual({ pods: 2, byOwner: 2, byLivePod: 0, unattributed: 0 });
    expect(sut.sampleCount).toBe(12);
  });

  it('follows Pod → Job → CronJob, a StatefulSet directly, and a Pod without controller to itself', () => {
    const cron = workload('CronJob', 'nightly');
    const sts = workload('StatefulSet', 'db');
    const bare = workload('Pod', 'debug');
    const sut = new PrometheusUsage(
      input({
        workloads: [cron, sts, bare],
        usage: [row('nightly-29-abc', { cpuP95: 1 }), row('db-0', { cpuP95: 2 }), row('debug', { cpuP95: 3 })],
        podOwners: [
          { namespace: 'shop', pod: 'nightly-29-abc', kind: 'Job', name: 'nightly-29' },
          { namespace: 'shop', pod: 'db-0', kind: 'StatefulSet', name: 'db' },
          { namespace: 'shop', pod: 'debug', kind: '<none>', name: '<none>' },
        ],
        jobOwners: [{ namespace: 'shop', name: 'nightly-29', kind: 'CronJob', owner: 'nightly' }],
      }),
    );
    expect(sut.statsFor(cron).get('app')?.cpuP95).toBe(1);
    expect(sut.statsFor(sts).get('app')?.cpuP95).toBe(2);
    expect(sut.statsFor(bare).get('app')?.cpuP95).toBe(3);
  });

  it('a ReplicaSet without an owner series is the workload itself', () => {
    const rs = workload('ReplicaSet', 'legacy-rs');
    const sut = new PrometheusUsage(
      input({
        workloads: [rs],
        usage: [row('legacy-rs-x')],
        podOwners: [{ namespace: 'shop', pod: 'legacy-rs-x', kind: 'ReplicaSet', name: 'legacy-rs' }],
      }),
    );
    expect(sut.statsFor(rs).get('app')?.samples).toBe(10);
  });

  it('without owner series, attributes through the live Pod of that name and its labels', () => {
    const api = workload('Deployment', 'api');
    const sut = new PrometheusUsage(
      input({
        workloads: [web, api],
        usage: [row('api-1', { cpuP95: 50 }), row('gone-1', { cpuP95: 999 })],
        livePods: [{ namespace: 'shop', name: 'api-1', labels: { app: 'api' } }],
      }),
    );
    expect(sut.statsFor(api).get('app')?.cpuP95).toBe(50);
    expect(sut.statsFor(web).size).toBe(0);
    expect(sut.counts).toEqual({ pods: 2, byOwner: 0, byLivePod: 1, unattributed: 1 });
  });

  it('does not attribute a live Pod to a workload of another namespace', () => {
    const other = workload('Deployment', 'api', 'api', 'other');
    const sut = new PrometheusUsage(
      input({
        workloads: [other],
        usage: [row('api-1')],
        livePods: [{ namespace: 'shop', name: 'api-1', labels: { app: 'api' } }],
      }),
    );
    expect(sut.statsFor(other).size).toBe(0);
  });

  it('gives no figure to a container missing its CPU or its memory, and counts unknown owners as unattributed', () => {
    const sut = new PrometheusUsage(
      input({
        workloads: [web],
        usage: [
          row('web-1', { cpuP95: undefined }),
          row('web-1', { container: 'sidecar', memoryMax: undefined }),
          row('gone-1'),
        ],
        podOwners: [
          { namespace: 'shop', pod: 'web-1', kind: 'ReplicaSet', name: 'web-abc' },
          { namespace: 'shop', pod: 'gone-1', kind: 'ReplicaSet', name: 'deleted-rs' },
        ],
        replicaSetOwners: [{ namespace: 'shop', name: 'web-abc', kind: 'Deployment', owner: 'web' }],
      }),
    );
    expect(sut.statsFor(web).size).toBe(0);
    expect(sut.counts).toEqual({ pods: 2, byOwner: 1, byLivePod: 0, unattributed: 1 });
  });
});
