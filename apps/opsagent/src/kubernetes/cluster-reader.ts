import type { LivePod } from '@opsagent/core/audit/prometheus-usage';
import { OwnerIndex } from '@opsagent/core/audit/usage-attribution';
import type { UsagePeaks } from '@opsagent/core/audit/usage-peaks';
import type { ScanWarning } from '@opsagent/core/issue';
import type { HpaSpec, LimitRangeSpec } from '@opsagent/core/audit/workload-context';
import type { UsageSample } from '@opsagent/core/usage';
import type { Workload, WorkloadKind } from '@opsagent/core/workload';

/** What one scan reads from the cluster, already reduced to what the rules need. */
export interface ClusterSnapshot {
  workloads: Workload[];
  /** The LimitRanges read (empty when they could not be read: a `context-unreadable` warning says so). */
  limitRanges?: LimitRangeSpec[];
  /** The HorizontalPodAutoscalers read (as limitRanges). */
  hpas?: HpaSpec[];
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
  /**
   * What `readUsage` needs to attribute later PodMetrics reads to this snapshot's workloads (the Pods, their
   * controller chains and labels, for PodMetrics that come without them). Opaque outside the reader.
   */
  attribution: ReadAttribution;
  /** The Pods read, with their labels (`usage: 'none'`: usage comes from elsewhere and is attributed through them). */
  pods?: LivePod[];
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
   * `none`: PodMetrics are not read (usage comes from Prometheus); the Pods and their labels are in `pods`.
   */
  usage?: 'samples' | 'peaks' | 'none';
  /**
   * Called for every PodMetrics sample read; a sample it refuses is left out (the sampler's filter of samples
   * whose `timestamp` did not move since the last read). Called again for the samples of a retried request.
   */
  acceptSample?: (sample: UsageSample) => boolean;
}

/** What attributing PodMetrics to workloads needs from a full read (see ClusterSnapshot.attribution). */
export interface ReadAttribution {
  readonly workloads: readonly Workload[];
  readonly owners: OwnerIndex;
}

/** One PodMetrics read on its own, between scans. */
export interface UsageRead {
  /** The samples accepted, reduced to per-workload peaks of `attribution.workloads`. */
  peaks: UsagePeaks;
  requests: number;
  bytes: number;
}

/** The port through which detection reads the cluster; bound in KubernetesModule. */
export abstract class ClusterReader {
  abstract read(options: ReadOptions): Promise<ClusterSnapshot>;

  /**
   * Reads the PodMetrics list alone (metrics.k8s.io, nothing else), attributing each sample with a previous full
   * read's `attribution`. Throws (ClusterReadError) when the metrics API is absent or the list cannot be read.
   */
  abstract readUsage(
    attribution: ReadAttribution,
    options: Pick<ReadOptions, 'namespaces' | 'signal' | 'onRequest' | 'acceptSample'>,
  ): Promise<UsageRead>;

  /** Which cluster this reads (the API server's URL): the usage history file is only loaded for the same one. */
  abstract get clusterIdentity(): string;
}
