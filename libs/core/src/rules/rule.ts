import type { Prices } from '../cost';
import type { ResourceName } from '../quantity';
import type { Severity } from '../severity';
import type { OverProvisioning } from '../issue';
import type { ContainerSpec, Workload } from '../workload';
import type { ContainerContext } from '../audit/workload-context';

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
}

export interface OverProvisioningThreshold {
  /** The request must be at least ratio × usage. */
  ratio: number;
  /** …and exceed usage by at least this much (millicores or bytes). */
  minWaste: number;
}

export interface RuleSettings {
  minSamples: number;
  cpu: OverProvisioningThreshold;
  memory: OverProvisioningThreshold;
  /** Prices of waste (config `cost`). */
  cost: Prices;
}

export interface RuleContext {
  workload: Workload;
  container: ContainerSpec;
  /** Undefined when no usage sample names this container. */
  usage?: ContainerUsageStats;
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
