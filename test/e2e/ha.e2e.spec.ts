/**
 * Two real agent processes (leader election on, PolicyReports on) against the Kubernetes API simulator over HTTP:
 * one scanner; the same issues, ids and firstSeen on both replicas; SIGTERM handover within 2 × retryPeriod; kill -9
 * failover within leaseDuration + retryPeriod; a leader whose Lease updates the API server refuses steps down after
 * renewDeadline, before the other replica takes the Lease, and never writes after it. Most steps run at short
 * timings (4 s / 3 s / 1 s); the last describe runs the failover and the handover at the defaults (15 s / 10 s / 2 s).
 * The measured times are printed.
 */
import path from 'node:path';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { workloadObjects } from './fixtures';
import { getJson, startAgent, tempDir, waitFor, type AgentProcess } from './harness';

const NS = 'ops-system';
const LEASE_PATH = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/opsagent`;

interface Timings {
  leaseDuration: string;
  renewDeadline: string;
  retryPeriod: string;
}
const ms = (duration: string) => Number(/^(\d+)s$/.exec(duration)![1]) * 1000;

interface IssueJson {
  id: string;
  firstSeen: string;
}

type LogLine = Record<string, unknown> & { event?: string; time: string };

function report(figure: string): void {
  process.stdout.write(`  ha.e2e: ${figure}\n`);
}

class Replica {
  agent!: AgentProcess;
  constructor(
    readonly identity: string,
    private readonly kubeconfig: string,
    private readonly timings: Timings,
  ) {}

  async start(): Promise<this> {
    this.agent = await startAgent({
      kubeconfig: this.kubeconfig,
      config: {
        schedule: '*/2 * * * * *',
        reports: { policyReports: true },
        leaderElection: { enabled: true, namespace: NS, identity: this.identity, ...this.timings },
      },
    });
    await waitFor(
      async () => ((await fetch(`${this.agent.api}/health/ready`)).status === 200 ? true : undefined),
      60_000,
      `${this.identity} ready`,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${this.agent.stdout()}\n${this.agent.stderr()}`);
    });
    return this;
  }

  /** opsagent_leader from /metrics: 1 or 0. */
  async leading(): Promise<boolean> {
    const text = await (await fetch(`${this.agent.metrics}/metrics`)).text();
    const value = /^opsagent_leader (\d)$/m.exec(text)?.[1];
    if (value === undefined) throw new Error(`no opsagent_leader in the metrics of ${this.identity}`);
    return value === '1';
  }

  /** Resolves with Date.now() at the first poll that sees `leading`; polls every 20 ms. */
  async until(leading: boolean, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = Date.now();
      if ((await this.leading().catch(() => !leading)) === leading) return now;
      if (now > deadline) throw new Error(`${this.identity} did not become ${leading ? 'leader' : 'follower'}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  logs(): LogLine[] {
    return this.agent
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);
  }

  events(name: string): LogLine[] {
    return this.logs().filter((l) => l.event === name);
  }

  async issues(): Promise<IssueJson[]> {
    const { body } = await getJson<{ items: IssueJson[] }>(`${this.agent.api}/api/v1/issues?limit=1000`);
    return body.items.map(({ id, firstSeen }) => ({ id, firstSeen })).sort((a, b) => a.id.localeCompare(b.id));
  }

  async stop(signal: NodeJS.Signals): Promise<void> {
    if (this.agent.child.exitCode !== null || this.agent.child.signalCode !== null) return;
    this.agent.child.kill(signal);
    await this.agent.exited;
  }
}

async function cluster(): Promise<{ sim: Simulator; kubeconfig: string }> {
  const sim = await startSimulator({
    token: 'ha-e2e',
    objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, ...workloadObjects(2)],
  });
  const kubeconfig = path.join(tempDir('opsagent-ha-'), 'config');
  sim.writeKubeconfig(kubeconfig);
  return { sim, kubeconfig };
}

const reportWrites = (sim: Simulator) =>
  sim.requests.filter((r) => r.method !== 'GET' && r.path.includes('/policyreports') && r.status < 300);

describe('two replicas at short timings (leaseDuration 4s, renewDeadline 3s, retryPeriod 1s)', () => {
  const timings = { leaseDuration: '4s', renewDeadline: '3s', retryPeriod: '1s' };
  let sim: Simulator;
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    const c = await cluster();
    sim = c.sim;
    a = await new Replica('replica-a', c.kubeconfig, timings).start();
    await a.until(true, 20_000);
    // a's first scan wrote the reports before b starts: b then reads them.
    await waitFor(async () => (reportWrites(sim).length > 0 ? true : undefined), 30_000, 'the first reports');
    b = await new Replica('replica-b', c.kubeconfig, timings).start();
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    await sim?.close();
  });

  it('one scanner: the leader scans on its schedule, the follower never scans and refuses POST /api/v1/scans naming the leader', async () => {
    await waitFor(async () => (a.events('scan').length >= 3 ? true : undefined), 30_000, 'three scans of a');
    expect(await a.leading()).toBe(true);
    expect(await b.leading()).toBe(false);
    expect(b.events('scan')).toEqual([]);
    expect(b.events('issue-new')).toEqual([]);
    // Every Deployment list the simulator served was one of a's scans (a scan lists them once).
    const scansOfA = a.events('scan').length;
    const lists = sim.requests.filter((r) => r.path === '/apis/apps/v1/deployments').length;
    expect(lists).toBeGreaterThanOrEqual(scansOfA);
    expect(lists).toBeLessThanOrEqual(scansOfA + 1); // one may be under way
    const refused = await getJson<{ message: string }>(`${b.agent.api}/api/v1/scans`, { method: 'POST' });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain('replica-a');
    expect((await getJson(`${b.agent.api}/api/v1/scans/latest`)).status).toBe(404);
  });

  it('serves the same issues on both replicas: same ids, same firstSeen', async () => {
    const onA = await a.issues();
    expect(onA.length).toBeGreaterThan(10);
    await waitFor(
      async () => (JSON.stringify(await b.issues()) === JSON.stringify(onA) ? true : undefined),
      20_000,
      'b to serve what a serves',
    );
  });

  it('SIGTERM: the leader releases the Lease and the follower takes over within 2 × retryPeriod, keeping every issue and its firstSeen', async () => {
    const before = await a.issues();
    const sent = Date.now();
    const stopped = a.stop('SIGTERM');
    const tookOver = await b.until(true, 20_000);
    await stopped;
    const handover = tookOver - sent;
    report(`SIGTERM handover at retryPeriod 1s: ${handover} ms (bound 2 × retryPeriod = 2000 ms)`);
    expect(handover).toBeLessThan(2 * ms(timings.retryPeriod));
    expect(a.agent.child.exitCode).toBe(0);
    const scan = await waitFor(async () => b.events('scan')[0], 20_000, 'the first scan of b');
    expect(scan.status).toBe('succeeded');
    expect(scan.counts).toMatchObject({ new: 0, resolved: 0 });
    expect(b.events('issue-new')).toEqual([]);
    expect(await b.issues()).toEqual(before);
  });

  it('kill -9: the follower takes over within leaseDuration + retryPeriod', async () => {
    a = await new Replica('replica-a', a['kubeconfig'] as string, timings).start();
    expect(await a.leading()).toBe(false);
    await waitFor(
      async () => (a.events('leader-changed').some((l) => l.leader === 'replica-b') ? true : undefined),
      10_000,
      'a to see b lead',
    );
    const killed = Date.now();
    await b.stop('SIGKILL');
    const tookOver = await a.until(true, 30_000);
    const failover = tookOver - killed;
    report(`kill -9 failover at leaseDuration 4s, retryPeriod 1s: ${failover} ms (bound 5000 ms)`);
    expect(failover).toBeLessThanOrEqual(ms(timings.leaseDuration) + ms(timings.retryPeriod));
    expect(failover).toBeGreaterThanOrEqual(ms(timings.leaseDuration) - ms(timings.retryPeriod));
  }, 60_000);

  it('a leader whose Lease updates fail stops scanning and writing after renewDeadline, before the other replica acquires', async () => {
    b = await new Replica('replica-b', b['kubeconfig'] as string, timings).start();
    expect(await a.leading()).toBe(true);
    // The API server refuses a's writes to the Lease from now on (b's, naming b as holder, still succeed).
    const fault = sim.inject({ path: LEASE_PATH, method: 'PUT', holderIdentity: 'replica-a', status: 500 });
    const injected = Date.now();
    const steppedDown = await a.until(false, 20_000);
    // A new workload: whoever scans next writes a changed report for team-9.
    sim.upsert({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'late', namespace: 'team-9' },
      spec: {
        selector: { matchLabels: { app: 'late' } },
        template: { metadata: { labels: { app: 'late' } }, spec: { containers: [{ name: 'app', image: 'late:1' }] } },
      },
    });
    const tookOver = await b.until(true, 30_000);
    sim.removeFault(fault);
    report(
      `renewals refused: a stopped leading ${steppedDown - injected} ms after the first refusal could come (renewDeadline 3000 ms), b led ${tookOver - steppedDown} ms later`,
    );
    // a renewed last at most one retryPeriod before the fault: it stops renewDeadline after that renewal.
    expect(steppedDown - injected).toBeGreaterThanOrEqual(ms(timings.renewDeadline) - ms(timings.retryPeriod) - 500);
    expect(steppedDown - injected).toBeLessThanOrEqual(ms(timings.renewDeadline) + 500);
    const lost = a.events('leader-lost').at(-1)!;
    expect(String(lost.reason)).toContain('renewDeadline');
    const elected = b.events('leader-elected').at(-1)!;
    expect(Date.parse(lost.time)).toBeLessThan(Date.parse(elected.time));
    // Never two writers: no report was written between a stopping and b starting to lead, and b wrote team-9's.
    const writes = reportWrites(sim).map((w) => ({ at: Date.parse(w.time), path: w.path }));
    expect(writes.filter((w) => w.at > Date.parse(lost.time) && w.at < Date.parse(elected.time))).toEqual([]);
    await waitFor(
      async () => (reportWrites(sim).some((w) => w.path.includes('/namespaces/team-9/')) ? true : undefined),
      20_000,
      'the team-9 report',
    );
    const team9 = reportWrites(sim).find((w) => w.path.includes('/namespaces/team-9/'))!;
    expect(Date.parse(team9.time)).toBeGreaterThan(Date.parse(elected.time));
    // a scanned nothing after it stopped leading.
    expect(a.events('scan').filter((l) => Date.parse(l.time) > Date.parse(lost.time))).toEqual([]);
  }, 90_000);
});

describe('two replicas at the default timings (leaseDuration 15s, renewDeadline 10s, retryPeriod 2s)', () => {
  const timings = { leaseDuration: '15s', renewDeadline: '10s', retryPeriod: '2s' };
  let sim: Simulator;
  let kubeconfig: string;
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    ({ sim, kubeconfig } = await cluster());
    a = await new Replica('replica-a', kubeconfig, timings).start();
    await a.until(true, 30_000);
    b = await new Replica('replica-b', kubeconfig, timings).start();
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    await sim?.close();
  });

  it('SIGTERM handover within 2 × retryPeriod (4 s), then kill -9 failover within leaseDuration + retryPeriod (17 s)', async () => {
    await waitFor(
      async () => (b.events('leader-changed').some((l) => l.leader === 'replica-a') ? true : undefined),
      10_000,
      'b to see a lead',
    );
    const sent = Date.now();
    const stopped = a.stop('SIGTERM');
    const handover = (await b.until(true, 30_000)) - sent;
    await stopped;
    report(`SIGTERM handover at the defaults: ${handover} ms (bound 4000 ms)`);
    expect(handover).toBeLessThan(4_000);

    a = await new Replica('replica-a', kubeconfig, timings).start();
    await waitFor(
      async () => (a.events('leader-changed').some((l) => l.leader === 'replica-b') ? true : undefined),
      10_000,
      'a to see b lead',
    );
    const killed = Date.now();
    await b.stop('SIGKILL');
    const failover = (await a.until(true, 60_000)) - killed;
    report(`kill -9 failover at the defaults: ${failover} ms (bound 17000 ms)`);
    expect(failover).toBeLessThanOrEqual(17_000);
    expect(failover).toBeGreaterThanOrEqual(13_000);
  }, 120_000);
});
