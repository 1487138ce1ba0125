import type { Prices } from '../cost';
import type { ResourceName } from '../quantity';
import type { Severity } from '../severity';
import type { OverProvisioning } from '../issue';
import type { ContainerSpec, Workload } from '../workload';
import type { OomKill } from '../audit/failure-history';
import type { ContainerContext } from '../audit/workload-context';
import type { ResourceChange } from '../fix/fix';

/** Usage of one workload container over all samples of all its Pods. */
export interface ContainerUsageStats {
  samples: number;
  /** 95th percentile of CPU, millicores (nearest-rank). */
  cpuP95: number;
  /** Maximum of memory, bytes. */
  memoryMax: number;
  /** Time of the oldest sample behind the figures, ms since the epoch, when the source knows it. */
  firstSampleAt?: number;
  /** Time of the newest sample behind the figures, ms since the epoch, when the source knows it. */
  lastSampleAt?: number;
  /**
   * CFS periods over the window in which the container was throttled, and all its CFS periods, summed over the
   * workload's Pods (cAdvisor's `container_cpu_cfs_{throttled_,}periods_total`); only the Prometheus source has
   * them, and only for containers with a CPU limit.
   */
  cpuThrottledPeriods?: number;
  cpuPeriods?: number;
}

export interface OverProvisioningThreshold {
  /** The request must be at least ratio × usage. */
  ratio: number;
  /** …and exceed usage by at least this much (millicores or bytes). */
  minWaste: number;
}

export interface UnderProvisioningSettings {
  /** Peak memory ≥ memoryRatio × request is under-provisioned. */
  memoryRatio: number;
  /** Throttled ÷ all CFS periods ≥ cpuThrottledRatio is throttled (and never gets a CPU cut). */
  cpuThrottledRatio: number;
}

export interface RuleSettings {
  minSamples: number;
  cpu: OverProvisioningThreshold;
  memory: OverProvisioningThreshold;
  underProvisioning: UnderProvisioningSettings;
  /** Prices of waste (config `cost`). */
  cost: Prices;
}

export interface RuleContext {
  workload: Workload;
  container: ContainerSpec;
  /** Undefined when no usage sample names this container. */
  usage?: ContainerUsageStats;
  /** The container's latest OOM kill within the usage window, when its Pods' statuses record one. */
  oomKill?: OomKill;
  settings: RuleSettings;
  /** DaemonSets: the Pods the scan read that belong to it, when it read any. */
  observedPods?: number;
  /** The container's LimitRange defaults and HPA, when the scan read any (absent: none apply). */
  context?: ContainerContext;
}

export interface RuleFinding {
  message: string;
  /** Overrides the configured severity (a `*-missing` value a LimitRange supplies is `info`). */
  severity?: Severity;
  overProvisioning?: OverProvisioning;
  /** The values the finding recommends for the container's `resources`; the issue's `fix` is built from it. */
  recommendation?: ResourceChange;
}

/** One detector: a pure function from a workload container to at most one finding. */
export interface Rule {
  id: string;
  title: string;
  defaultSeverity: Severity;
  /** Which resource the rule is about (for grouping and docs). */
  resource: ResourceName;
  /** Whether the rule needs measured usage (skipped, and counted, when there is none). */
  needsUsage: boolean;
  /** What the rule checks and why it matters; the README's rules table is checked against it. */
  description: string;
  remediation: string;
  evaluate(ctx: RuleContext): RuleFinding | undefined;
}
