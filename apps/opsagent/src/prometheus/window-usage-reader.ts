import type { LivePod, PrometheusUsage } from '@opsagent/core/audit/prometheus-usage';
import type { ScanWarning } from '@opsagent/core/issue';
import type { Workload } from '@opsagent/core/workload';

export interface WindowUsageRequest {
  /** The scan's workloads (usage is attributed to these). */
  workloads: readonly Workload[];
  /** The scan's Pods, for Pods Prometheus has no owner series of. */
  livePods: readonly LivePod[];
  /** Only workloads of these namespaces are asked about. */
  isNamespaceAudited: (namespace: string) => boolean;
  signal?: AbortSignal;
  /** The end of the window, ms since the epoch (default: now). */
  now?: number;
}

export type WindowUsage =
  | {
      ok: true;
      usage: PrometheusUsage;
      /** Queries sent (the scan's `prometheusQueries`). */
      queries: number;
      warnings: ScanWarning[];
    }
  /** The source could not be read: `reason` names the URL and the status or timeout. */
  | { ok: false; reason: string; queries: number };

/**
 * The port through which a scan reads usage over the whole window from a monitoring system (Prometheus), instead
 * of sampling PodMetrics itself; bound in PrometheusModule.
 */
export abstract class WindowUsageReader {
  abstract read(request: WindowUsageRequest): Promise<WindowUsage>;
}
