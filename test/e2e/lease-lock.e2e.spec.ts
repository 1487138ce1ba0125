/**
 * The Lease port's client-node implementation and the LeaderElector on it, against the Kubernetes API simulator
 * over HTTP (real @kubernetes/client-node, real wire format: MicroTime fields, 409 Conflict / AlreadyExists).
 */
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { KubernetesLeaseLock } from '../../apps/opsagent/src/leader-election/kubernetes-lease-lock';
import { LeaderElector } from '../../apps/opsagent/src/leader-election/leader-elector';
import { LeaseConflictError, type LeaseRecord } from '../../apps/opsagent/src/leader-election/lease-lock';
import { tempDir, waitFor } from './harness';

let sim: Simulator;
let kubeConfig: KubeConfig;
const signal = () => AbortSignal.timeout(10_000);

beforeAll(async () => {
  sim = await startSimulator({
    token: 'lease-e2e',
    objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ops-system' } }],
  });
  const file = path.join(tempDir('opsagent-lease-'), 'config');
  sim.writeKubeconfig(file);
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(file);
});

afterAll(async () => {
  await sim?.close();
});

const record = (holderIdentity: string, at = new Date('2026-12-01T10:00:00.123Z')): LeaseRecord => ({
  holderIdentity,
  leaseDurationSeconds: 15,
  acquireTime: at,
  renewTime: at,
  leaseTransitions: 0,
});

describe('KubernetesLeaseLock', () => {
  it('creates, reads and updates a Lease with its resourceVersion; MicroTimes go out with six fraction digits', async () => {
    const sut = new KubernetesLeaseLock(kubeConfig, 'ops-system', 'lock-a');
    expect(await sut.get(signal())).toBeUndefined();
    const created = await sut.create(record('a'), signal());
    expect(created.record).toEqual(record('a'));
    const leases = sim.objects() as { kind: string; metadata?: { name?: string } }[];
    const stored = leases.find((o) => o.kind === 'Lease' && o.metadata?.name === 'lock-a') as unknown as {
      metadata: { labels: Record<string, string> };
      spec: Record<string, unknown>;
    };
    expect(stored.spec).toMatchObject({ holderIdentity: 'a', renewTime: '2026-12-01T10:00:00.123000Z' });
    expect(stored.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'opsagent' });
    const read = await sut.get(signal());
    expect(read).toEqual(created);
    const later = new Date('2026-12-01T10:00:02.5Z');
    const updated = await sut.update({ ...record('a'), renewTime: later }, created.resourceVersion, signal());
    expect(updated.record.renewTime).toEqual(later);
    expect(updated.resourceVersion).not.toBe(created.resourceVersion);
  });

  it('answers a stale resourceVersion and a second create with LeaseConflictError (409)', async () => {
    const sut = new KubernetesLeaseLock(kubeConfig, 'ops-system', 'lock-b');
    const first = await sut.create(record('a'), signal());
    await expect(sut.create(record('b'), signal())).rejects.toThrow(LeaseConflictError);
    await sut.update(record('a', new Date()), first.resourceVersion, signal());
    await expect(sut.update(record('b'), first.resourceVersion, signal())).rejects.toThrow(LeaseConflictError);
    const lease = await sut.get(signal());
    expect(lease?.record.holderIdentity).toBe('a');
  });
});

describe('LeaderElector on the simulator', () => {
  it('two electors: one leads, the other takes over within leaseDuration + retryPeriod once the first stops renewing', async () => {
    const timings = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 };
    const events: string[] = [];
    const elector = (id: string) =>
      new LeaderElector(new KubernetesLeaseLock(kubeConfig, 'ops-system', 'lock-c'), id, timings, {
        startedLeading: () => events.push(`${id} started`),
        stoppedLeading: (reason) => events.push(`${id} stopped: ${reason}`),
      });
    const a = elector('a');
    const b = elector('b');
    const stopA = new AbortController();
    const stopB = new AbortController();
    const runA = a.run(stopA.signal);
    await waitFor(async () => (a.isLeader() ? true : undefined), 10_000, 'a leading');
    const runB = b.run(stopB.signal);
    await waitFor(async () => (b.leader() === 'a' ? true : undefined), 10_000, 'b seeing a');
    expect(b.isLeader()).toBe(false);
    // a's renewals fail from now on (the API server refuses them); b's writes still succeed.
    const fault = sim.inject({
      path: '/apis/coordination.k8s.io/v1/namespaces/ops-system/leases/lock-c',
      method: 'PUT',
      holderIdentity: 'a',
      status: 500,
    });
    const since = Date.now();
    await waitFor(async () => (b.isLeader() ? true : undefined), 20_000, 'b leading');
    const took = Date.now() - since;
    expect(a.isLeader()).toBe(false);
    expect(events).toEqual([
      'a started',
      'a stopped: the Lease was not renewed for 2000 ms (renewDeadline)',
      'b started',
    ]);
    expect(took).toBeLessThan(timings.leaseDurationMs + timings.retryPeriodMs + 2_000);
    sim.removeFault(fault);
    stopA.abort();
    stopB.abort();
    await Promise.all([runA, runB]);
    const lease = await new KubernetesLeaseLock(kubeConfig, 'ops-system', 'lock-c').get(signal());
    expect(lease?.record).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 1 });
  }, 60_000);
});
