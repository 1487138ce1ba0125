import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { isNamespaceAudited, resolveRuleSettings } from '@opsagent/core/config/config.loader';
import { OpsAgentConfig } from '@opsagent/core/config/config.schema';
import { parseDuration } from '@opsagent/core/duration';
import type { ScanWarning } from '@opsagent/core/issue';
import { UsageAttribution } from '@opsagent/core/audit/usage-attribution';
import { NO_USAGE } from '@opsagent/core/audit/usage-stats';
import { OomKillHistory } from '@opsagent/core/audit/failure-history';
import { WorkloadContext } from '@opsagent/core/audit/workload-context';
import { buildReport } from '@opsagent/core/report/report';
import { RULES } from '@opsagent/core/rules/registry';
import type { Workload } from '@opsagent/core/workload';
import { ClusterReader, type ClusterSnapshot } from '../kubernetes/cluster-reader';
import { IssueStore } from '../issues/issue-store.service';
import { Leadership } from '../leader-election/leadership';
import type { ScanError, ScanRecord, ScanStatus, ScanTrigger, StoredIssue } from '../issues/issue-store.types';
import { MetricsService } from '../metrics/metrics.service';
import { ReportPublisher } from '../reports/report-publisher.service';
import { UsageHistoryService } from '../usage/usage-history.service';
import { WindowUsageReader, type WindowUsage } from '../prometheus/window-usage-reader';
import { WorkloadCatalog } from '../workloads/workload-catalog.service';

export type TriggerResult =
  | { accepted: true; scan: ScanRecord }
  | { accepted: false; running: ScanRecord }
  /** A scan by POST within `scanMinInterval` of the end of the last scan: `retryAfterMs` until it may start. */
  | { accepted: false; tooSoon: { last: ScanRecord; retryAfterMs: number } }
  /** Leader election is on and another replica (`leader`, if one is known) holds the Lease: it scans. */
  | { accepted: false; notLeader: { leader?: string } };

const USAGE_RULES = new Set(RULES.filter((r) => r.needsUsage).map((r) => r.id));

/**
 * Orchestrates one scan: read the cluster → evaluate the rules → replace the issue set → log → metrics.
 * Owns no rule logic. Scans never overlap: a trigger while one runs is refused (and counted).
 */
@Injectable()
export class DetectionService {
  private readonly resolved;
  private readonly scanTimeoutMs: number;
  private readonly minIntervalMs: number;
  private current?: { scan: ScanRecord; done: Promise<ScanRecord>; abort: AbortController };
  private sequence = 0;
  /**
   * With leader election: scans with usage since this replica started leading. Until its usage history holds
   * minSamples of them, the over-provisioning issues it took over from the reports cannot be judged again, and
   * are carried over rather than resolved (the history of the previous leader is not shared).
   */
  private usageScansSinceLeading = 0;
  private stopped = false;

  constructor(
    private readonly reader: ClusterReader,
    private readonly store: IssueStore,
    private readonly metrics: MetricsService,
    private readonly config: OpsAgentConfig,
    @InjectPinoLogger(DetectionService.name) private readonly logger: PinoLogger,
    private readonly usage: UsageHistoryService,
    /** Writes the PolicyReports after each scan that judged the cluster (issue 14); absent in unit tests. */
    @Optional() private readonly reports?: ReportPublisher,
    /** Bound only with `usage.source: prometheus`: usage over the whole window instead of the sampled history. */
    @Optional() @Inject(WindowUsageReader) private readonly windowUsage: WindowUsageReader | null = null,
    /** Absent in unit specs: a single replica, always the leader. */
    @Optional() private readonly leadership?: Leadership,
    /** What the workload view shows (GET /api/v1/workloads/…); absent in unit specs. */
    @Optional() private readonly catalog?: WorkloadCatalog,
  ) {
    this.resolved = resolveRuleSettings(config);
    this.scanTimeoutMs = parseDuration(config.scanTimeout);
    this.minIntervalMs = parseDuration(config.scanMinInterval);
    // Only the leader samples usage between scans, as only it scans.
    usage.setSampleGate(() => this.isLeader());
    // A replica that stops leading abandons its scan at once; one that starts leading scans as if it had started.
    leadership?.onChange((leading, reason) => {
      if (!leading) this.current?.abort.abort(new Error(`this replica stopped leading (${reason})`));
      else {
        this.usageScansSinceLeading = 0;
        if (config.runOnStartup && !this.stopped && !this.current) this.trigger('startup');
      }
    });
  }

  private isLeader(): boolean {
    return this.leadership?.isLeader() ?? true;
  }

  get running(): ScanRecord | undefined {
    return this.current?.scan;
  }

  /** Starts a scan unless one is running; does not wait for it. */
  trigger(trigger: ScanTrigger): TriggerResult {
    // Only the leader scans: a follower's scheduled ticks do nothing, its POSTs are refused naming the leader.
    if (!this.isLeader()) return { accepted: false, notLeader: { leader: this.leadership?.leader() } };
    if (this.current) {
      if (trigger === 'schedule') {
        this.metrics.scanSkipped();
        this.logger.warn({ event: 'scan-skipped', running: this.current.scan.id }, 'scan still running; tick skipped');
      }
      return { accepted: false, running: this.current.scan };
    }
    if (this.stopped) throw new Error('detection is shutting down');
    const retryAfterMs = trigger === 'api' ? this.manualScanWaitMs() : 0;
    if (retryAfterMs > 0) return { accepted: false, tooSoon: { last: this.store.latestScan!, retryAfterMs } };
    const scan: ScanRecord = {
      id: `${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}z-${++this.sequence}`,
      trigger,
      startedAt: new Date().toISOString(),
      status: 'running',
      errors: [],
      warnings: [],
    };
    const abort = new AbortController();
    this.store.scanStarted(scan);
    // A fresh logging context: a scan started by POST must not log the caller's request on its lines.
    const done = this.logger
      .runInContext(() => this.execute(scan, abort))
      .finally(() => {
        this.current = undefined;
      });
    // The history file is written once the scan has ended (it may take a while; the next scan need not wait).
    void done.then(
      () => this.usage.save(),
      () => undefined,
    );
    this.current = { scan, done, abort };
    return { accepted: true, scan };
  }

  /** Milliseconds until a manual scan may start: `scanMinInterval` after the end of the last scan. */
  private manualScanWaitMs(): number {
    const finishedAt = this.store.latestScan?.finishedAt;
    if (!finishedAt) return 0;
    return Math.max(0, Date.parse(finishedAt) + this.minIntervalMs - Date.now());
  }

  /** Runs a scan to its end (tests, startup). */
  async runOnce(trigger: ScanTrigger): Promise<ScanRecord> {
    const result = this.trigger(trigger);
    if (!result.accepted) {
      throw new Error(
        'running' in result
          ? `scan ${result.running.id} is running`
          : 'notLeader' in result
            ? 'this replica is not the leader'
            : 'too soon after the last scan',
      );
    }
    return this.current!.done;
  }

  /** Stops accepting scans; lets a running one finish for up to `graceMs`, then aborts it. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    const current = this.current;
    if (!current) return;
    const timer = setTimeout(() => current.abort.abort(new Error('shutting down')), graceMs);
    await current.done.catch(() => undefined);
    clearTimeout(timer);
  }

  private async execute(scan: ScanRecord, abort: AbortController): Promise<ScanRecord> {
    const started = Date.now();
    const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(this.scanTimeoutMs)]);
    let snapshot: ClusterSnapshot | undefined;
    let windowUsage: WindowUsage | undefined;
    let fatal: string | undefined;
    const filter = await this.usage.beginScan();
    try {
      snapshot = await this.reader.read({
        namespaces: this.config.includeNamespaces,
        usage: this.windowUsage ? 'none' : 'peaks',
        signal,
        onRequest: this.metrics.kubernetesRequest,
        acceptSample: filter.accept,
      });
      if (this.windowUsage && snapshot.failures.length < snapshot.kindsAttempted) {
        windowUsage = await this.windowUsage.read({
          workloads: snapshot.workloads,
          livePods: snapshot.pods ?? [],
          isNamespaceAudited: (ns) => isNamespaceAudited(this.config, ns),
          signal,
        });
      }
      if (signal.aborted) fatal = abortMessage(signal, this.scanTimeoutMs);
    } catch (error) {
      fatal = signal.aborted ? abortMessage(signal, this.scanTimeoutMs) : errorText(error);
    }
    // A replica that lost the Lease while reading must not store, log or count what it read: the new leader does.
    if (fatal === undefined && !this.isLeader()) fatal = 'scan aborted: this replica stopped leading';
    // The scan's own PodMetrics read is a sample too (the first one before the first scan's rules).
    this.usage.scanRead(fatal === undefined ? snapshot : undefined, filter, started);
    if (fatal === undefined && snapshot && snapshot.failures.length < snapshot.kindsAttempted) {
      this.evaluate(scan, snapshot, windowUsage);
    } else {
      scan.status = 'failed';
      scan.errors = snapshot?.failures.length
        ? snapshot.failures.map((f) => ({ kind: f.kind, resource: f.resource, code: f.code, reason: f.reason }))
        : [{ kind: 'scan', reason: fatal ?? 'no resource type could be read' }];
    }
    if (snapshot && scan.status !== 'failed' && this.reports?.enabled) {
      // The store holds the scan's judgement (carried-over issues included); a failed scan changes nothing.
      const issues = this.store.all();
      scan.warnings.push(
        ...(await this.reports.publish({
          issues,
          workloads: snapshot.workloads,
          complete: snapshot.failures.length === 0,
        })),
      );
    }
    const finished = Date.now();
    scan.finishedAt = new Date(finished).toISOString();
    scan.durationMs = finished - started;
    this.store.scanFinished(scan);
    this.metrics.scanFinished(scan.status as Exclude<ScanStatus, 'running'>, scan.durationMs / 1000, finished);
    this.metrics.currentIssues(this.store.summary().bySeverity);
    this.metrics.currentWaste(this.store.waste());
    // The level follows the outcome, so `level="error"` (Loki, alerting on logs) finds failed scans.
    const level = scan.status === 'failed' ? 'error' : scan.status === 'partial' ? 'warn' : 'info';
    this.logger[level](
      {
        event: 'scan',
        scan: scan.id,
        trigger: scan.trigger,
        status: scan.status,
        durationMs: scan.durationMs,
        counts: scan.counts,
        errors: scan.errors,
        warnings: scan.warnings.length,
      },
      `scan ${scan.id} ${scan.status} in ${scan.durationMs} ms`,
    );
    return scan;
  }

  private evaluate(scan: ScanRecord, snapshot: ClusterSnapshot, windowUsage?: WindowUsage): void {
    const warnings: ScanWarning[] = [...snapshot.warnings, ...this.usage.takeWarnings()];
    const metricsAvailable = windowUsage
      ? windowUsage.ok
      : snapshot.usagePeaks !== undefined || snapshot.samples !== undefined;
    if (windowUsage) {
      // Prometheus holds the whole window: nothing is recorded here, and a failed read is handled as an absent
      // metrics-server is: the usage rules skip this scan and keep their issues.
      if (windowUsage.ok) warnings.push(...windowUsage.warnings);
      else {
        warnings.push({
          code: 'prometheus-unavailable',
          message: `over-provisioning rules skipped this scan: ${windowUsage.reason}; their previous issues are kept`,
        });
      }
    } else if (!metricsAvailable) {
      warnings.push({
        code: 'metrics-unavailable',
        message: `over-provisioning rules skipped this scan: ${snapshot.metricsError}; their previous issues are kept`,
      });
    }
    const rules = new Map(this.resolved.rules);
    if (!metricsAvailable) for (const id of USAGE_RULES) rules.set(id, { ...rules.get(id)!, enabled: false });

    // The read's Pods attributed to their workloads: OOM kills from their statuses, and Pods per DaemonSet.
    const attribution = new UsageAttribution(snapshot.workloads, snapshot.attribution.owners);
    const report = buildReport(
      {
        workloads: snapshot.workloads,
        usage: windowUsage ? (windowUsage.ok ? windowUsage.usage : NO_USAGE) : this.usage.history,
        // The Pods' own statuses: read with every scan, whatever the usage source, and attributed as usage is.
        failures: new OomKillHistory(
          snapshot.attribution.owners,
          attribution,
          Date.now() - parseDuration(this.config.overProvisioning.window),
        ),
        usageSamples: windowUsage
          ? windowUsage.ok
            ? windowUsage.usage.sampleCount
            : 0
          : (snapshot.usagePeaks?.samples ?? snapshot.samples?.length ?? 0),
        skipped: snapshot.skipped,
        warnings,
        // The Pods the read found per DaemonSet: a DaemonSet's waste is per Pod × its Pods.
        observedPods: attribution.observedPods(),
        context: new WorkloadContext(snapshot.limitRanges, snapshot.hpas),
      },
      { rules, settings: this.resolved.settings, isNamespaceAudited: (ns) => isNamespaceAudited(this.config, ns) },
    );
    const failedKinds = new Set<string>(snapshot.failures.map((f) => f.kind));
    if (metricsAvailable) this.usageScansSinceLeading++;
    // A new leader's history is younger than minSamples: the over-provisioning issues of workloads still there
    // were not re-judged either (a single replica starts with an empty store, so this never applies to it).
    const warmingUp =
      this.leadership?.enabled === true && this.usageScansSinceLeading < this.resolved.settings.minSamples;
    const present = warmingUp
      ? new Set(snapshot.workloads.map((w) => `${w.kind}/${w.namespace}/${w.name}`))
      : undefined;
    // Issues of a kind that could not be read (or of usage rules without usage) were not re-judged: keep them.
    const keep = (previous: StoredIssue) =>
      failedKinds.has(previous.kind) ||
      (!metricsAvailable && USAGE_RULES.has(previous.rule)) ||
      (USAGE_RULES.has(previous.rule) &&
        present?.has(`${previous.kind}/${previous.namespace}/${previous.name}`) === true);
    const finishedAt = new Date().toISOString();
    const { added, resolved, carriedOver } = this.store.replace(report.issues, finishedAt, keep);
    this.viewed(snapshot, attribution, windowUsage);

    scan.errors = snapshot.failures.map((f): ScanError => ({
      kind: f.kind,
      resource: f.resource,
      code: f.code,
      reason: f.reason,
    }));
    scan.status = scan.errors.length > 0 ? 'partial' : 'succeeded';
    scan.warnings = report.warnings;
    scan.counts = {
      issues: this.store.size,
      new: added.length,
      resolved: resolved.length,
      carriedOver,
      bySeverity: this.store.summary().bySeverity,
      workloads: report.summary.workloads,
      containers: report.summary.containers,
      containersWithoutUsage: report.summary.containersWithoutUsage,
      usageSamples: report.summary.usageSamples,
      apiRequests: snapshot.requests,
      apiBytes: snapshot.bytes,
      ...(windowUsage ? { prometheusQueries: windowUsage.queries } : {}),
    };
    // Only the issues new in the store: counting every current finding again would make rate() the scan frequency.
    this.metrics.issuesFirstFound(added);
    for (const issue of added) this.logger.info({ event: 'issue-new', scan: scan.id, issue }, `new issue ${issue.id}`);
    for (const issue of resolved) {
      this.logger.info({ event: 'issue-resolved', scan: scan.id, issue }, `resolved issue ${issue.id}`);
    }
  }

  /**
   * Hands the scan's workloads to the workload view, with its sources built when a view is first asked for (most
   * scans are never viewed): the same LimitRanges, HPAs, OOM kills and usage the rules read.
   */
  private viewed(snapshot: ClusterSnapshot, attribution: UsageAttribution, windowUsage?: WindowUsage): void {
    if (!this.catalog) return;
    const since = Date.now() - parseDuration(this.config.overProvisioning.window);
    const history = windowUsage ? undefined : this.usage.history;
    this.catalog.scanned(snapshot.workloads, () => ({
      context: new WorkloadContext(snapshot.limitRanges, snapshot.hpas),
      failures: new OomKillHistory(snapshot.attribution.owners, attribution, since),
      usage: windowUsage ? (windowUsage.ok ? windowUsage.usage : NO_USAGE) : this.usage.history,
      ...(history ? { timeline: (w: Workload) => history.timeline(w) } : {}),
    }));
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function abortMessage(signal: AbortSignal, timeoutMs: number): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError')
    return `scan timed out after ${timeoutMs} ms (scanTimeout)`;
  return `scan aborted: ${reason instanceof Error ? reason.message : String(reason)}`;
}
