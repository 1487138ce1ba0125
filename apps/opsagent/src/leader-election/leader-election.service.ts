import { Inject, Injectable, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { MetricsService } from '../metrics/metrics.service';
import { LeaderElector } from './leader-elector';
import { LEADER_ELECTION_SETTINGS } from './leader-election.tokens';
import type { LeaderElectionSettings } from './leader-election.settings';
import { Leadership } from './leadership';
import { LeaseLock } from './lease-lock';

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
    @Optional() lock: LeaseLock | undefined,
    private readonly metrics: MetricsService,
    @InjectPinoLogger(LeaderElectionService.name) private readonly logger: PinoLogger,
  ) {
    super();
    this.enabled = settings !== undefined;
    this.identity = settings?.identity;
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

  onApplicationBootstrap(): void {
    if (!this.elector || !this.settings) return;
    const { namespace, leaseName, identity, timings } = this.settings;
    this.logger.info(
      { event: 'leader-election-started', lease: `${namespace}/${leaseName}`, identity, ...timings },
      `leader election on the Lease ${namespace}/${leaseName} as ${identity}`,
    );
    this.running = this.elector.run(this.stopping.signal);
  }

  /** Stops leading and releases the Lease (call once nothing writes any more). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private changed(leading: boolean, reason: string): void {
    this.metrics.leader(leading);
    this.logger[leading ? 'info' : 'warn'](
      { event: leading ? 'leader-elected' : 'leader-lost', identity: this.identity, reason },
      leading ? `this replica leads: ${reason}` : `this replica stopped leading: ${reason}`,
    );
    for (const listener of this.listeners) listener(leading, reason);
  }
}
