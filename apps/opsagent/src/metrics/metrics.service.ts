import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { WasteSummary } from '@opsagent/core/cost';
import type { Issue } from '@opsagent/core/issue';
import { SEVERITIES, type Severity } from '@opsagent/core/severity';
import { METRIC } from './metrics.names';

/** The only writer of OpsAgent's Prometheus metrics; the detection service reports to it. */
@Injectable()
export class MetricsService {
  constructor(
    @InjectMetric(METRIC.runs) private readonly runs: Counter<'status'>,
    @InjectMetric(METRIC.issuesFound) private readonly issuesFound: Counter<'rule' | 'severity'>,
    @InjectMetric(METRIC.duration) private readonly duration: Histogram,
    @InjectMetric(METRIC.bySeverity) private readonly bySeverity: Gauge<'severity'>,
    @InjectMetric(METRIC.lastSuccess) private readonly lastSuccess: Gauge,
    @InjectMetric(METRIC.skipped) private readonly skipped: Counter,
    @InjectMetric(METRIC.kubeRequests) private readonly kubeRequests: Counter<'resource' | 'code'>,
    @InjectMetric(METRIC.buildInfo) private readonly buildInfo: Gauge<'version' | 'node_version'>,
    @InjectMetric(METRIC.leader) private readonly leaderGauge: Gauge,
    @InjectMetric(METRIC.wasteCpu) private readonly wasteCpu: Gauge<'namespace'>,
    @InjectMetric(METRIC.wasteMemory) private readonly wasteMemory: Gauge<'namespace'>,
    @InjectMetric(METRIC.wasteCost) private readonly wasteCost: Gauge<'namespace'>,
  ) {
    // Expose every label value from the start, so dashboards and alerts see 0 rather than no series.
    for (const severity of SEVERITIES) this.bySeverity.set({ severity }, 0);
    for (const status of ['succeeded', 'partial', 'failed']) this.runs.inc({ status }, 0);
  }

  /** Sets `opsagent_build_info{version, node_version} 1` (an info metric: join on it for the version). */
  build(version: string, nodeVersion: string = process.version): void {
    this.buildInfo.reset();
    this.buildInfo.set({ version, node_version: nodeVersion }, 1);
  }

  scanFinished(status: 'succeeded' | 'partial' | 'failed', seconds: number, finishedAtMs: number): void {
    this.runs.inc({ status });
    this.duration.observe(seconds);
    // A partial scan read and judged everything it could; it still counts as a completed scan.
    if (status !== 'failed') this.lastSuccess.set(finishedAtMs / 1000);
  }

  /**
   * Counts issues when they are first found: those new in the store at this scan (an issue that was resolved and
   * comes back counts again). So rate() is new problems per second, whatever the scan frequency; the current count is
   * opsagent_issues_by_severity.
   */
  issuesFirstFound(issues: readonly Issue[]): void {
    for (const issue of issues) this.issuesFound.inc({ rule: issue.rule, severity: issue.severity });
  }

  currentIssues(bySeverity: Record<Severity, number>): void {
    for (const severity of SEVERITIES) this.bySeverity.set({ severity }, bySeverity[severity]);
  }

  /**
   * The waste gauges, replaced as a whole: one series per namespace with over-provisioning issues, so a namespace
   * that became clean drops out rather than staying at its last value.
   */
  currentWaste(waste: WasteSummary): void {
    for (const gauge of [this.wasteCpu, this.wasteMemory, this.wasteCost]) gauge.reset();
    for (const [namespace, w] of Object.entries(waste.byNamespace)) {
      this.wasteCpu.set({ namespace }, w.cpuCores);
      this.wasteMemory.set({ namespace }, w.memoryBytes);
      this.wasteCost.set({ namespace }, w.monthlyCost);
    }
  }

  /** `opsagent_leader`: 1 while this replica leads (and always without leader election), else 0. */
  leader(leading: boolean): void {
    this.leaderGauge.set(leading ? 1 : 0);
  }

  scanSkipped(): void {
    this.skipped.inc();
  }

  readonly kubernetesRequest = (resource: string, code: string): void => {
    this.kubeRequests.inc({ resource, code });
  };
}
