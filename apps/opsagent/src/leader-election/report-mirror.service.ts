import { Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { issuesFromReport } from '@opsagent/core/reports/policy-report';
import { IssueStore } from '../issues/issue-store.service';
import type { StoredIssue } from '../issues/issue-store.types';
import { MetricsService } from '../metrics/metrics.service';
import { ReportFeed } from './report-feed';

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 15_000;

/**
 * A follower's issue store: the issues of the PolicyReports the leader writes, listed at start and then watched,
 * so every replica answers with the same issues, ids and firstSeen (lastSeen: the result's timestamp, which stays
 * while the result is unchanged). A new leader starts from this store:
 * its first scan keeps each issue's firstSeen and announces nothing as new that the reports already held.
 */
@Injectable()
export class ReportMirror {
  /** Issues by report (`namespace/name`), of the feed that is live (its list delivered). */
  private byReport = new Map<string, StoredIssue[]>();
  private stopFeed?: () => void;
  private generation = 0;
  private loadedOnce = false;
  private rebuildQueued = false;

  constructor(
    private readonly feed: ReportFeed,
    private readonly store: IssueStore,
    private readonly metrics: MetricsService,
    @InjectPinoLogger(ReportMirror.name) private readonly logger: PinoLogger,
  ) {}

  /** The reports have been read once: the store holds what the leader last wrote. */
  get loaded(): boolean {
    return this.loadedOnce;
  }

  /**
   * Lists the reports into the store and keeps watching them; retries with backoff until the list succeeds or
   * `pause` is called. Resolves once they were listed (or when paused first).
   */
  async follow(signal: AbortSignal): Promise<void> {
    const generation = ++this.generation;
    for (let delay = RETRY_MIN_MS; !signal.aborted && generation === this.generation;) {
      try {
        // A relist fills a map of its own: the store keeps serving the previous one until the list is complete.
        const reports = new Map<string, StoredIssue[]>();
        let live = false;
        const current = () => generation === this.generation;
        const stop = await this.feed.start({
          upsert: (report) => current() && this.upsert(reports, report, live),
          remove: (report) => current() && this.remove(reports, report, live),
          failed: (error) => {
            if (generation !== this.generation) return;
            this.logger.warn(
              { event: 'reports-watch-failed', err: error },
              `watching the PolicyReports failed: ${text(error)}`,
            );
            void this.follow(signal);
          },
        });
        if (generation !== this.generation || signal.aborted) {
          stop();
          return;
        }
        this.stopFeed = stop;
        this.byReport = reports;
        live = true;
        this.rebuild();
        if (!this.loadedOnce) {
          this.loadedOnce = true;
          this.logger.info(
            { event: 'reports-loaded', reports: this.byReport.size, issues: this.store.size },
            `read ${this.byReport.size} PolicyReports: ${this.store.size} issues`,
          );
        }
        return;
      } catch (error) {
        this.logger.warn(
          { event: 'reports-list-failed', err: error, retryInMs: delay },
          `listing the PolicyReports failed: ${text(error)}; retrying in ${delay} ms`,
        );
        await sleep(delay, signal);
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  }

  /** Stops watching (this replica leads: its own scans fill the store). */
  pause(): void {
    this.generation++;
    this.stopFeed?.();
    this.stopFeed = undefined;
  }

  private upsert(reports: Map<string, StoredIssue[]>, report: unknown, live: boolean): void {
    const key = keyOf(report);
    const { issues, problems } = issuesFromReport(report);
    // A result the mapping cannot read is named, never dropped silently.
    for (const problem of problems) this.logger.warn({ event: 'report-unreadable', report: key, problem }, problem);
    reports.set(key, issues);
    if (live) this.queueRebuild();
  }

  private remove(reports: Map<string, StoredIssue[]>, report: unknown, live: boolean): void {
    reports.delete(keyOf(report));
    if (live) this.queueRebuild();
  }

  /** Events of one watch batch come together: the store is rebuilt once for them. */
  private queueRebuild(): void {
    if (this.rebuildQueued) return;
    this.rebuildQueued = true;
    setImmediate(() => {
      this.rebuildQueued = false;
      // A replica that started leading meanwhile owns the store: its scans fill it.
      if (this.stopFeed) this.rebuild();
    });
  }

  private rebuild(): void {
    this.store.load([...this.byReport.values()].flat());
    this.metrics.currentIssues(this.store.summary().bySeverity);
    this.metrics.currentWaste(this.store.waste());
  }
}

function keyOf(report: unknown): string {
  const meta = (report as { metadata?: { namespace?: string; name?: string } } | undefined)?.metadata;
  return `${meta?.namespace ?? ''}/${meta?.name ?? ''}`;
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
