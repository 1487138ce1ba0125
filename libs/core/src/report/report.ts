import { audit, countBySeverity, type AuditOptions, type AuditStats } from '../audit/audit';
import type { UsageSource } from '../audit/usage-stats';
import type { FailureSource } from '../audit/failure-history';
import { summarizeWaste, type WasteSummary } from '../cost';
import type { WorkloadContext } from '../audit/workload-context';
import type { Issue, ScanWarning } from '../issue';
import type { Severity } from '../severity';
import type { Workload } from '../workload';

export interface ReportSummary extends AuditStats {
  issues: number;
  bySeverity: Record<Severity, number>;
  byRule: Record<string, number>;
  /** Usage samples read (PodMetrics). */
  usageSamples: number;
  /** Objects that are not workloads, by kind (Service, ConfigMap, owned ReplicaSet, …). */
  skipped: Record<string, number>;
  /**
   * Custom resources with a Pod template (`spec.template.spec.containers`), audited like Deployments, by kind
   * (`{"Rollout": 2}`); empty when there are none. Included in `workloads`.
   */
  customWorkloads: Record<string, number>;
  /** Queries sent to Prometheus for the usage (`usage.source: prometheus` only). */
  prometheusQueries?: number;
  /** The over-provisioning findings' waste, per namespace and in total: cores, bytes and money a month. */
  waste: WasteSummary;
}

/** What one audit produces, whatever the source (manifest files or the cluster). */
export interface AuditReport {
  issues: Issue[];
  summary: ReportSummary;
  warnings: ScanWarning[];
}

export interface ReportInput {
  workloads: Iterable<Workload>;
  usage: UsageSource;
  /** OOM kills within the usage window, from the Pods' statuses; none when absent. */
  failures?: FailureSource;
  usageSamples: number;
  skipped: Record<string, number>;
  customWorkloads?: Record<string, number>;
  prometheusQueries?: number;
  warnings: ScanWarning[];
  /** The LimitRanges and HPAs read with the workloads. */
  context?: WorkloadContext;
  /** The Pods read per DaemonSet (UsageAttribution.observedPods): a DaemonSet's waste is per Pod × these. */
  observedPods?: ReadonlyMap<Workload, number>;
}

export function buildReport(input: ReportInput, options: AuditOptions): AuditReport {
  const result = audit(input.workloads, input.usage, options, input.observedPods, input.context, input.failures);
  const byRule: Record<string, number> = {};
  for (const issue of result.issues) byRule[issue.rule] = (byRule[issue.rule] ?? 0) + 1;
  return {
    issues: result.issues,
    summary: {
      issues: result.issues.length,
      bySeverity: countBySeverity(result.issues),
      byRule,
      ...result.stats,
      usageSamples: input.usageSamples,
      skipped: input.skipped,
      customWorkloads: input.customWorkloads ?? {},
      ...(input.prometheusQueries !== undefined ? { prometheusQueries: input.prometheusQueries } : {}),
      waste: summarizeWaste(result.issues, options.settings.cost),
    },
    warnings: [...input.warnings, ...result.warnings],
  };
}
