import { LeaseConflictError, type LeaseLock, type LeaseRecord, type ObservedLease } from './lease-lock';

/** Time as the elector sees it: a monotonic clock for every judgement, the wall clock only to write the Lease. */
export interface ElectorClock {
  /** Monotonic milliseconds (performance.now() in production): never jumps with NTP or another node's clock. */
  now(): number;
  /** Written into the Lease's acquireTime/renewTime, which no replica uses to judge expiry. */
  wallTime(): Date;
  /** Resolves after `ms`, or as soon as `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const SYSTEM_CLOCK: ElectorClock = {
  now: () => performance.now(),
  wallTime: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    }),
};

/** client-go's three durations (defaults 15 s, 10 s, 2 s), in milliseconds. */
export interface ElectorTimings {
  /** A Lease whose record has not changed for this long, on the observer's clock, may be taken. */
  leaseDurationMs: number;
  /** The leader stops leading when its last successful renewal is this old. */
  renewDeadlineMs: number;
  /** Interval of the leader's renewals and of the others' attempts. */
  retryPeriodMs: number;
}

export interface LeadershipListener {
  /** This replica holds the Lease: it may scan and write until stoppedLeading. */
  startedLeading(): void;
  /** Called before anything else happens: from now on nothing may be written. */
  stoppedLeading(reason: string): void;
  /** The holder of a valid Lease changed (undefined: no one holds it). */
  leaderChanged?(identity: string | undefined): void;
  /** An attempt to read or write the Lease failed (not a lost race). */
  attemptFailed?(error: unknown, leading: boolean): void;
}

/**
 * Lease leader election with client-go's semantics (tools/leaderelection):
 *
 * - a Lease held by another replica is taken only once its record (holder, renewTime, resourceVersion) has not
 *   changed for `leaseDurationSeconds` on this replica's monotonic clock, measured from when this replica saw it
 *   change; the times written in the Lease are never compared with this replica's clock;
 * - every write carries the resourceVersion read, so of two replicas racing for a Lease one gets a 409 and stays
 *   a follower;
 * - the leader renews every `retryPeriod`, and stops leading when no renewal has succeeded for `renewDeadline`
 *   (a renewal still in flight then is abandoned). Since renewDeadline < leaseDuration, it has stopped before any
 *   other replica can judge its Lease expired: there is never a moment with two leaders;
 * - on shutdown the leader releases the Lease (holder cleared, leaseDurationSeconds 1), so another replica takes
 *   it at its next attempt.
 *
 * Unlike client-go, a follower reads a held Lease twice per retryPeriod and wakes at the moment it would expire
 * rather than at its next jittered retry, and a leader that lost the Lease goes on as a follower (client-go's users
 * exit).
 */
export class LeaderElector {
  private observed?: ObservedLease;
  /** Monotonic time at which `observed` was last seen to change. */
  private observedAt = 0;
  private leading = false;
  /** Monotonic start of the last successful renewal: the leader's own view is the pessimistic one. */
  private renewedAt = Number.NEGATIVE_INFINITY;
  private stepDownTimer?: AbortController;
  private attempt?: AbortController;
  private reportedLeader?: string;

  constructor(
    private readonly lock: LeaseLock,
    readonly identity: string,
    private readonly timings: ElectorTimings,
    private readonly listener: LeadershipListener,
    private readonly clock: ElectorClock = SYSTEM_CLOCK,
  ) {
    if (!identity) throw new Error('leader election needs a non-empty identity');
    const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = timings;
    if (!(renewDeadlineMs < leaseDurationMs)) throw new Error('renewDeadline must be shorter than leaseDuration');
    if (!(retryPeriodMs < renewDeadlineMs)) throw new Error('retryPeriod must be shorter than renewDeadline');
  }

  /** True while this replica holds the Lease and renewed it less than `renewDeadline` ago. */
  isLeader(): boolean {
    return this.leading && this.clock.now() - this.renewedAt < this.timings.renewDeadlineMs;
  }

  /** The holder of the Lease as last observed, while it is valid; undefined when no one holds it. */
  leader(): string | undefined {
    if (this.isLeader()) return this.identity;
    const holder = this.observed?.record.holderIdentity;
    return holder && holder !== this.identity && this.leaseValid() ? holder : undefined;
  }

  /**
   * Tries to acquire, then renews, until `signal` aborts; then stops leading and releases the Lease if held.
   * Never rejects: failed attempts are reported to the listener and retried.
   */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.tryOnce(signal);
      if (signal.aborted) break;
      await this.clock.sleep(this.nextDelay(), signal);
    }
    if (this.leading) {
      this.stepDown('shutting down');
      await this.release();
    }
  }

  private async tryOnce(stop: AbortSignal): Promise<void> {
    const startedAt = this.clock.now();
    const attempt = new AbortController();
    this.attempt = attempt;
    const onStop = () => attempt.abort(new Error('stopped'));
    stop.addEventListener('abort', onStop, { once: true });
    // A follower's attempt is bounded by renewDeadline too; a leader's by its step-down timer as well.
    const timeout = new AbortController();
    void this.clock
      .sleep(this.timings.renewDeadlineMs, timeout.signal)
      .then(() => timeout.signal.aborted || attempt.abort(new Error('lease request timed out')));
    let acquired = false;
    try {
      acquired = await this.tryAcquireOrRenew(attempt.signal);
    } catch (error) {
      if (!attempt.signal.aborted || !stop.aborted) this.listener.attemptFailed?.(error, this.leading);
    } finally {
      timeout.abort();
      stop.removeEventListener('abort', onStop);
      this.attempt = undefined;
    }
    if (stop.aborted && !acquired) return;
    const holder = this.observed?.record.holderIdentity;
    if (acquired && holder === this.identity) {
      this.renewedAt = startedAt;
      if (!this.leading) {
        this.leading = true;
        this.listener.startedLeading();
      }
      this.armStepDown();
    } else if (this.leading && holder !== undefined && holder !== this.identity) {
      this.stepDown(holder ? `the Lease is held by ${holder}` : 'the Lease was released');
    }
    this.reportLeader();
  }

  /** One attempt, as client-go's tryAcquireOrRenew. True when this replica holds the Lease after it. */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = this.clock.wallTime();
    const observed = this.observed;
    // Fast path: the leader updates the Lease it wrote last without reading it first.
    if (this.leading && observed?.record.holderIdentity === this.identity) {
      try {
        this.observe(await this.lock.update(this.renewed(observed.record, now), observed.resourceVersion, signal));
        return true;
      } catch (error) {
        if (signal.aborted) throw error;
        // A conflict or a failure: read the Lease and decide again, below.
      }
    }
    const current = await this.lock.get(signal);
    if (!current) {
      try {
        this.observe(await this.lock.create(this.fresh(now, 0), signal));
        return true;
      } catch (error) {
        if (error instanceof LeaseConflictError) return false; // another replica created it first
        throw error;
      }
    }
    this.observe(current);
    const { holderIdentity } = current.record;
    if (holderIdentity && holderIdentity !== this.identity && this.leaseValid()) return false;
    const next =
      holderIdentity === this.identity
        ? this.renewed(current.record, now)
        : this.fresh(now, current.record.leaseTransitions + 1);
    try {
      this.observe(await this.lock.update(next, current.resourceVersion, signal));
      return true;
    } catch (error) {
      if (error instanceof LeaseConflictError) return false; // the race was lost
      throw error;
    }
  }

  private fresh(now: Date, leaseTransitions: number): LeaseRecord {
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.timings.leaseDurationMs / 1000),
      acquireTime: now,
      renewTime: now,
      leaseTransitions,
    };
  }

  private renewed(record: LeaseRecord, now: Date): LeaseRecord {
    return { ...this.fresh(now, record.leaseTransitions), acquireTime: record.acquireTime ?? now };
  }

  /** Remembers the Lease; the expiry clock restarts only when holder, renewTime or resourceVersion changed. */
  private observe(lease: ObservedLease): void {
    const before = this.observed;
    const changed =
      !before ||
      before.resourceVersion !== lease.resourceVersion ||
      before.record.holderIdentity !== lease.record.holderIdentity ||
      before.record.renewTime?.getTime() !== lease.record.renewTime?.getTime();
    this.observed = lease;
    if (changed) this.observedAt = this.clock.now();
  }

  private leaseValid(): boolean {
    if (!this.observed) return false;
    return this.clock.now() < this.observedAt + this.observed.record.leaseDurationSeconds * 1000;
  }

  /**
   * When to try next: the leader renews every retryPeriod. A follower reads a held Lease every half retryPeriod,
   * so it sees each renewal at most half a retryPeriod late, and also wakes at the moment the Lease would expire:
   * a holder killed just after renewing is replaced within leaseDuration + retryPeriod / 2 (client-go's jittered
   * retries can take leaseDuration + 2.2 × retryPeriod).
   */
  private nextDelay(): number {
    const { retryPeriodMs } = this.timings;
    if (this.leading || !this.observed?.record.holderIdentity) return retryPeriodMs;
    const poll = retryPeriodMs / 2;
    const untilExpiry = this.observedAt + this.observed.record.leaseDurationSeconds * 1000 - this.clock.now();
    return untilExpiry > 0 ? Math.min(poll, untilExpiry) : poll;
  }

  /** Stops leading once renewDeadline has passed since the last renewal, even while a renewal hangs. */
  private armStepDown(): void {
    this.stepDownTimer?.abort();
    const timer = new AbortController();
    this.stepDownTimer = timer;
    const wait = this.renewedAt + this.timings.renewDeadlineMs - this.clock.now();
    void this.clock.sleep(Math.max(0, wait), timer.signal).then(() => {
      if (timer.signal.aborted || !this.leading) return;
      this.attempt?.abort(new Error('renewDeadline passed'));
      this.stepDown(`the Lease was not renewed for ${this.timings.renewDeadlineMs} ms (renewDeadline)`);
    });
  }

  private stepDown(reason: string): void {
    this.leading = false;
    this.stepDownTimer?.abort();
    this.stepDownTimer = undefined;
    this.listener.stoppedLeading(reason);
    this.reportLeader();
  }

  private reportLeader(): void {
    const leader = this.leader();
    if (leader === this.reportedLeader) return;
    this.reportedLeader = leader;
    this.listener.leaderChanged?.(leader);
  }

  /**
   * Clears the holder (client-go's release: holder empty, leaseDurationSeconds 1), if this replica still holds the
   * Lease it last wrote. Bounded by renewDeadline; a conflict is retried once after a fresh read.
   */
  private async release(): Promise<void> {
    const abort = new AbortController();
    void this.clock
      .sleep(this.timings.renewDeadlineMs, abort.signal)
      .then(() => abort.signal.aborted || abort.abort(new Error('release timed out')));
    try {
      for (let attempt = 0; attempt < 2 && this.observed?.record.holderIdentity === this.identity; attempt++) {
        const { record, resourceVersion } = this.observed;
        const now = this.clock.wallTime();
        const released: LeaseRecord = {
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: record.leaseTransitions,
        };
        try {
          this.observe(await this.lock.update(released, resourceVersion, abort.signal));
          return;
        } catch (error) {
          if (!(error instanceof LeaseConflictError)) throw error;
          const current = await this.lock.get(abort.signal);
          if (!current) return;
          this.observe(current);
        }
      }
    } catch (error) {
      this.listener.attemptFailed?.(error, false);
    } finally {
      abort.abort();
      this.reportLeader();
    }
  }
}
