import type { OwnerIndex } from '@opsagent/core/audit/usage-attribution';
import type { UsagePeaks } from '@opsagent/core/audit/usage-peaks';
import type { ScanWarning } from '@opsagent/core/issue';
import type { UsageSample } from '@opsagent/core/usage';
import type { Workload, WorkloadKind } from '@opsagent/core/workload';

/** What one scan reads from the cluster, already reduced to what the rules need. */
export interface ClusterSnapshot {
  workloads: Workload[];
  /** Objects read but not audited, by kind (owned ReplicaSets, Jobs and Pods, …). */
  skipped: Record<string, number>;
  /**
   * PodMetrics samples (`usage: 'samples'`); undefined when metrics.k8s.io could not be read (see
   * `metricsError`) or when they were reduced to `usagePeaks` as they were read.
   */
  samples?: UsageSample[];
  /** The samples reduced to per-workload peaks as they were read (`usage: 'peaks'`); undefined as `samples`. */
  usagePeaks?: UsagePeaks;
  /**
   * The Pods (with their labels and controller) and the owner objects read, by which samples are attributed to
   * workloads: `new UsageAttribution(workloads, owners)`. Kept for samples read later (between scans).
   */
  owners?: OwnerIndex;
  metricsError?: string;
  /** Kinds that could not be read; their workloads are missing from `workloads`. */
  failures: KindReadFailure[];
  /** How many kinds the read tried (all failed = nothing was read). */
  kindsAttempted: number;
  warnings: ScanWarning[];
  requests: number;
  bytes: number;
}

export interface KindReadFailure {
  kind: WorkloadKind;
  /** `apps/deployments`, `pods`, … */
  resource: string;
  /** HTTP status when the server answered. */
  code?: number;
  reason: string;
}

export interface ReadOptions {
  /** Only these namespaces (listed one by one); undefined = cluster-wide lists. */
  namespaces?: readonly string[];
  /** Aborts every request of the read (scan timeout, shutdown). */
  signal?: AbortSignal;
  /** Called once per HTTP request with the resource and the status code (or `error`). */
  onRequest?: (resource: string, code: string) => void;
  /**
   * `samples` (default): every PodMetrics sample in `samples`, as a one-off audit reads them. `peaks`: each
   * sample reduced into `usagePeaks` as it is read and dropped, as the service's usage history keeps them.
   */
  usage?: 'samples' | 'peaks';
}

/** The port through which detection reads the cluster; bound in KubernetesModule. */
export abstract class ClusterReader {
  abstract read(options: ReadOptions): Promise<ClusterSnapshot>;
}
