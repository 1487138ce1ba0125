import { Inject, Injectable, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { MetricsService } from '../metrics/metrics.service';
import { ReportPublisher } from '../reports/report-publisher.service';
import { LeaderElector } from './leader-elector';
import { LEADER_ELECTION_SETTINGS } from './leader-election.tokens';
import type { LeaderElectionSettings } from './leader-election.settings';
import { Leadership } from './leadership';
import { LeaseLock } from './lease-lock';
import { ReportMirror } from './report-mirror.service';

/**
 * Runs the LeaderElector when `leaderElection.enabled`, and tells the rest of the agent (detection, the reports
 * writer, the reports mirror) when this replica starts and stops leading. Without leader election the replica is
 * the leader from the start and never stops.
 */
@Injectable()
export class LeaderElectionService extends Leadership implements OnApplicationBootstrap {
  readonly enabled: boolean;
  readonly identity: string | undefined;
  private readonly elector?: LeaderElector;
  private readonly listeners: ((leading: boolean, reason: string) => void)[] = [];
  private readonly stopping = new AbortController();
  private running?: Promise<void>;

  constructor(
    @Optional() @Inject(LEADER_ELECTION_SETTINGS) private readonly settings: LeaderElectionSettings | undefined,
    @Optional() @Inject(LeaseLock) lock: LeaseLock | undefined,
    private readonly mirror: ReportMirror,
    private readonly metrics: MetricsService,
    @InjectPinoLogger(LeaderElectionService.name) private readonly logger: PinoLogger,
    @Optional() @Inject(ReportPublisher) publisher: ReportPublisher | undefined,
  ) {
    super();
    // Only the leader writes reports: a leader past its renewDeadline is no longer one, even mid-scan.
    publisher?.setWriteGate(() => this.isLeader());
    this.enabled = settings !== undefined;
    this.identity = settings?.identity;
    if (settings && !lock) throw new Error('leader election is enabled but no Lease lock is bound');
    if (settings && lock) {
      this.elector = new LeaderElector(lock, settings.identity, settings.timings, {
        startedLeading: () => this.changed(true, `acquired the Lease ${lock.describe()}`),
        stoppedLeading: (reason) => this.changed(false, reason),
        leaderChanged: (leader) =>
          this.logger.info(
            { event: 'leader-changed', leader: leader ?? null, lease: lock.describe() },
            leader ? `the leader is ${leader}` : 'no replica holds the Lease',
          ),
        attemptFailed: (error, leading) =>
          this.logger.warn(
            { event: 'lease-attempt-failed', leading, err: error },
            `${leading ? 'renewing' : 'acquiring'} the Lease failed: ${error instanceof Error ? error.message : error}`,
          ),
      });
    }
    this.metrics.leader(!this.enabled);
  }

  isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : true;
  }

  leader(): string | undefined {
    return this.elector ? this.elector.leader() : undefined;
  }

  onChange(listener: (leading: boolean, reason: string) => void): void {
    this.listeners.push(listener);
  }

  /** With leader election: the PolicyReports have been read once (readiness), so the store is the leader's. */
  get ready(): boolean {
    return !this.enabled || this.mirror.loaded;
  }

  /**
   * Reads the reports first, then runs for the Lease: a replica that becomes leader starts from what the last
   * leader wrote (firstSeen kept, nothing new).
   */
  onApplicationBootstrap(): void {
    const elector = this.elector;
    if (!elector || !this.settings) return;
    const { namespace, leaseName, identity, timings } = this.settings;
    const signal = this.stopping.signal;
    this.running = (async () => {
      await this.mirror.follow(signal);
      if (signal.aborted) return;
      this.logger.info(
        { event: 'leader-election-started', lease: `${namespace}/${leaseName}`, identity, ...timings },
        `leader election on the Lease ${namespace}/${leaseName} as ${identity}`,
      );
      await elector.run(signal);
    })();
  }

  /** Stops leading and releases the Lease (call once nothing writes any more). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
    this.mirror.pause();
  }

  private changed(leading: boolean, reason: string): void {
    // The leader's scans fill its store; a follower's store follows the reports again.
    if (leading) this.mirror.pause();
    this.metrics.leader(leading);
    this.logger[leading ? 'info' : 'warn'](
      { event: leading ? 'leader-elected' : 'leader-lost', identity: this.identity, reason },
      leading ? `this replica leads: ${reason}` : `this replica stopped leading: ${reason}`,
    );
    for (const listener of this.listeners) listener(leading, reason);
    if (!leading && !this.stopping.signal.aborted) void this.mirror.follow(this.stopping.signal);
  }
}
