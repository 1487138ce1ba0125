import { LeaderElector, type ElectorClock, type LeadershipListener } from './leader-elector';
import { LeaseAccessError, LeaseConflictError, LeaseLock, type LeaseRecord, type ObservedLease } from './lease-lock';

/** A clock whose time moves only when the test advances it; sleepers wake in order of their deadline. */
class FakeClock implements ElectorClock {
  private t = 0;
  private readonly sleepers: { at: number; wake: () => void }[] = [];
  readonly wallStart = Date.parse('2026-12-01T00:00:00Z');
  now(): number {
    return this.t;
  }
  wallTime(): Date {
    return new Date(this.wallStart + this.t);
  }
  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const sleeper = { at: this.t + ms, wake: () => resolve() };
      this.sleepers.push(sleeper);
      signal.addEventListener(
        'abort',
        () => {
          const index = this.sleepers.indexOf(sleeper);
          if (index >= 0) this.sleepers.splice(index, 1);
          resolve();
        },
        { once: true },
      );
    });
  }
  /** Moves time forward by `ms`, waking each sleeper at its deadline and letting the code it runs settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      const due = this.sleepers.filter((s) => s.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.sleepers.splice(this.sleepers.indexOf(due), 1);
      this.t = Math.max(this.t, due.at);
      due.wake();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** The API server's side of one Lease: resourceVersion bumps on every write, a stale one is a 409. */
class LeaseServer {
  lease?: { record: LeaseRecord; resourceVersion: string };
  private version = 100;
  writes: { by: string; record: LeaseRecord; resourceVersion: string }[] = [];

  snapshot(): ObservedLease | undefined {
    return this.lease && { record: { ...this.lease.record }, resourceVersion: this.lease.resourceVersion };
  }
  create(by: string, record: LeaseRecord): ObservedLease {
    if (this.lease) throw new LeaseConflictError('leases.coordination.k8s.io "opsagent" already exists');
    return this.store(by, record);
  }
  update(by: string, record: LeaseRecord, resourceVersion: string): ObservedLease {
    if (!this.lease || this.lease.resourceVersion !== resourceVersion) {
      throw new LeaseConflictError('the object has been modified; please apply your changes to the latest version');
    }
    return this.store(by, record);
  }
  private store(by: string, record: LeaseRecord): ObservedLease {
    this.lease = { record: { ...record }, resourceVersion: String(++this.version) };
    this.writes.push({ by, record: { ...record }, resourceVersion: this.lease.resourceVersion });
    return this.snapshot()!;
  }
}

/** One replica's view of the server; its writes can be made to fail or to hang. */
class FakeLeaseLock extends LeaseLock {
  writes: 'ok' | 'fail' | 'hang' = 'ok';
  calls: string[] = [];
  constructor(
    private readonly server: LeaseServer,
    private readonly who: string,
  ) {
    super();
  }
  describe(): string {
    return 'ops-system/opsagent';
  }
  get(): Promise<ObservedLease | undefined> {
    this.calls.push('get');
    return Promise.resolve(this.server.snapshot());
  }
  create(record: LeaseRecord, signal: AbortSignal): Promise<ObservedLease> {
    this.calls.push('create');
    return this.write(signal, () => this.server.create(this.who, record));
  }
  update(record: LeaseRecord, resourceVersion: string, signal: AbortSignal): Promise<ObservedLease> {
    this.calls.push(`update@${resourceVersion}`);
    return this.write(signal, () => this.server.update(this.who, record, resourceVersion));
  }
  private write(signal: AbortSignal, apply: () => ObservedLease): Promise<ObservedLease> {
    if (this.writes === 'fail') return Promise.reject(new LeaseAccessError('HTTP 500'));
    if (this.writes === 'hang') {
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    }
    try {
      return Promise.resolve(apply());
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
}

const TIMINGS = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

interface Replica {
  sut: LeaderElector;
  lock: FakeLeaseLock;
  events: string[];
  stop: AbortController;
  done: Promise<void>;
}

function replica(server: LeaseServer, clock: FakeClock, identity: string, timings = TIMINGS): Replica {
  const lock = new FakeLeaseLock(server, identity);
  const events: string[] = [];
  const listener: LeadershipListener = {
    startedLeading: () => events.push(`started@${clock.now()}`),
    stoppedLeading: (reason) => events.push(`stopped@${clock.now()}: ${reason}`),
    leaderChanged: (who) => events.push(`leader=${who ?? 'none'}@${clock.now()}`),
  };
  const sut = new LeaderElector(lock, identity, timings, listener, clock);
  const stop = new AbortController();
  return { sut, lock, events, stop, done: sut.run(stop.signal) };
}

/** A Lease held by `holder`, last renewed long ago by the wall clock of the machine that wrote it. */
function heldBy(server: LeaseServer, holder: string): void {
  server.create(holder, {
    holderIdentity: holder,
    leaseDurationSeconds: 15,
    acquireTime: new Date('2020-01-01T00:00:00Z'),
    renewTime: new Date('2020-01-01T00:00:00Z'),
    leaseTransitions: 3,
  });
}

describe('LeaderElector', () => {
  let clock: FakeClock;
  let server: LeaseServer;
  const running: Replica[] = [];
  const start = (identity: string, timings = TIMINGS) => {
    const r = replica(server, clock, identity, timings);
    running.push(r);
    return r;
  };

  beforeEach(() => {
    clock = new FakeClock();
    server = new LeaseServer();
  });
  afterEach(async () => {
    for (const r of running.splice(0)) r.stop.abort();
    await clock.advance(20_000);
  });

  it('creates a missing Lease and leads at once: holder, leaseDurationSeconds 15, 0 transitions', async () => {
    const a = start('a');
    await clock.advance(0);
    expect(a.sut.isLeader()).toBe(true);
    expect(a.sut.leader()).toBe('a');
    expect(a.events).toEqual(['started@0', 'leader=a@0']);
    expect(server.lease?.record).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(server.lease?.record.renewTime).toEqual(clock.wallTime());
  });

  it('renews every retryPeriod with the resourceVersion it last wrote, without reading the Lease first', async () => {
    const a = start('a');
    await clock.advance(0);
    const created = server.lease!.resourceVersion;
    await clock.advance(2_000);
    await clock.advance(2_000);
    expect(a.lock.calls).toEqual(['get', 'create', `update@${created}`, `update@${Number(created) + 1}`]);
    expect(server.lease?.record.renewTime).toEqual(clock.wallTime());
    expect(server.lease?.record.acquireTime).toEqual(new Date(clock.wallStart));
  });

  it('takes a Lease held by another replica only after it went unchanged for leaseDuration on its own clock', async () => {
    // The renewTime in the Lease is years old by this machine's clock: that alone never makes it expired.
    heldBy(server, 'b');
    const a = start('a');
    await clock.advance(14_999);
    expect(a.sut.isLeader()).toBe(false);
    expect(a.sut.leader()).toBe('b');
    expect(server.lease?.record.holderIdentity).toBe('b');
    await clock.advance(1);
    expect(a.sut.isLeader()).toBe(true);
    expect(server.lease?.record).toMatchObject({ holderIdentity: 'a', leaseTransitions: 4 });
    expect(a.events).toEqual(['leader=b@0', 'started@15000', 'leader=a@15000']);
  });

  it('never takes a Lease whose holder keeps renewing it', async () => {
    const b = start('b');
    await clock.advance(0);
    const a = start('a');
    for (let i = 0; i < 30; i++) await clock.advance(1_000);
    expect(b.sut.isLeader()).toBe(true);
    expect(a.sut.isLeader()).toBe(false);
    expect(a.sut.leader()).toBe('b');
    expect(server.writes.every((w) => w.by === 'b')).toBe(true);
  });

  it('loses the race when the Lease changed between its read and its write (409): it stays a follower', async () => {
    heldBy(server, 'b');
    const a = start('a');
    await clock.advance(0);
    // Another replica takes the expired Lease while `a` has read it but before its update arrives.
    const realUpdate = a.lock.update.bind(a.lock);
    a.lock.update = (record, resourceVersion, signal) => {
      const current = server.snapshot()!;
      server.update('c', { ...current.record, holderIdentity: 'c' }, current.resourceVersion);
      return realUpdate(record, resourceVersion, signal);
    };
    await clock.advance(15_000);
    expect(a.lock.calls.filter((c) => c.startsWith('update'))).toHaveLength(1);
    expect(a.sut.isLeader()).toBe(false);
    expect(a.events.some((e) => e.startsWith('started'))).toBe(false);
    expect(server.lease?.record.holderIdentity).toBe('c');
  });

  it('a leader whose updates fail stops leading once renewDeadline has passed, before another can take over', async () => {
    const a = start('a'); // renews at 0 s, 2 s, 4 s, …
    await clock.advance(1_500);
    const b = start('b'); // reads every half retryPeriod: at 1.5 s, 2.5 s, 3.5 s, 4.5 s, …
    await clock.advance(3_500);
    a.lock.writes = 'fail'; // from 5 s on
    await clock.advance(8_999);
    expect(a.sut.isLeader()).toBe(true); // last renewal at 4 s: the deadline is 14 s
    await clock.advance(1);
    expect(a.sut.isLeader()).toBe(false);
    expect(a.events).toContain('stopped@14000: the Lease was not renewed for 10000 ms (renewDeadline)');
    expect(b.sut.isLeader()).toBe(false);
    // b saw the 4 s renewal at 4.5 s: it may take the Lease 15 s later, at 19.5 s, 5.5 s after a stopped leading.
    await clock.advance(5_499);
    expect(b.sut.isLeader()).toBe(false);
    await clock.advance(1);
    expect(b.sut.isLeader()).toBe(true);
    expect(server.lease?.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('a renewal that hangs does not keep a leader leading past renewDeadline', async () => {
    const a = start('a');
    await clock.advance(2_000);
    a.lock.writes = 'hang';
    await clock.advance(9_999);
    expect(a.sut.isLeader()).toBe(true);
    await clock.advance(1);
    expect(a.sut.isLeader()).toBe(false);
    expect(a.events.at(-2)).toBe('stopped@12000: the Lease was not renewed for 10000 ms (renewDeadline)');
  });

  it('a leader that stepped down takes its own Lease back when writes succeed again and no one took it', async () => {
    const a = start('a');
    await clock.advance(0);
    a.lock.writes = 'fail';
    await clock.advance(10_000);
    expect(a.sut.isLeader()).toBe(false);
    a.lock.writes = 'ok';
    await clock.advance(2_000);
    expect(a.sut.isLeader()).toBe(true);
    expect(a.events.filter((e) => e.startsWith('started'))).toHaveLength(2);
  });

  it('steps down at once when it reads that another replica holds the Lease', async () => {
    const a = start('a');
    await clock.advance(0);
    const current = server.snapshot()!;
    server.update('b', { ...current.record, holderIdentity: 'b' }, current.resourceVersion);
    await clock.advance(2_000);
    expect(a.sut.isLeader()).toBe(false);
    expect(a.events).toContain('stopped@2000: the Lease is held by b');
    expect(a.sut.leader()).toBe('b');
  });

  it('on stop, releases the Lease (holder cleared, leaseDurationSeconds 1); a follower takes it at its next attempt', async () => {
    const a = start('a');
    await clock.advance(0);
    const b = start('b');
    await clock.advance(1_000);
    a.stop.abort();
    await clock.advance(0);
    await a.done;
    expect(a.events.at(-2)).toBe('stopped@1000: shutting down');
    expect(server.lease?.record).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 0 });
    expect(b.sut.leader()).toBe('a'); // not read yet
    await clock.advance(999);
    expect(b.sut.isLeader()).toBe(false);
    await clock.advance(1);
    expect(b.sut.isLeader()).toBe(true);
    expect(server.lease?.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('a follower reads a held Lease every half retryPeriod and wakes when it would expire', async () => {
    heldBy(server, 'b');
    const a = start('a', { ...TIMINGS, retryPeriodMs: 4_000 });
    await clock.advance(500); // first read at 0; reads at 2 s, 4 s, …, 14 s, then the expiry at 15 s
    await clock.advance(14_499);
    expect(a.sut.isLeader()).toBe(false);
    await clock.advance(1);
    expect(a.sut.isLeader()).toBe(true);
    expect(a.lock.calls.filter((c) => c === 'get')).toHaveLength(9);
  });

  it('rejects timings client-go rejects and an empty identity', () => {
    const lock = new FakeLeaseLock(server, 'x');
    const listener = { startedLeading: () => undefined, stoppedLeading: () => undefined };
    const make =
      (timings: Partial<typeof TIMINGS>, identity = 'x') =>
      () =>
        new LeaderElector(lock, identity, { ...TIMINGS, ...timings }, listener, clock);
    expect(make({ renewDeadlineMs: 15_000 })).toThrow('renewDeadline must be shorter than leaseDuration');
    expect(make({ retryPeriodMs: 10_000 })).toThrow('retryPeriod must be shorter than renewDeadline');
    expect(make({}, '')).toThrow('non-empty identity');
  });
});
