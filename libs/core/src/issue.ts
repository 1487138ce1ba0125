import type { Fix } from './fix/fix';
import type { ResourceName } from './quantity';
import type { Severity } from './severity';
import type { AuditedKind, SourceLocation } from './workload';

/** Measured figures behind an over-provisioning finding: CPU in millicores, memory in bytes. */
export interface OverProvisioning {
  resource: ResourceName;
  unit: 'millicores' | 'bytes';
  /** Number of usage samples the figure is computed from. */
  samples: number;
  /** 95th percentile (CPU) or maximum (memory) of the measured usage. */
  usage: number;
  /** Current request after defaulting from the limit. */
  request: number;
  recommended: number;
  /** request − recommended, per Pod. */
  wastePerPod: number;
  /** Desired Pods, where the workload kind has a count. */
  replicas?: number;
  /** wastePerPod × replicas, where replicas are known; for a DaemonSet, wastePerPod × observedPods. */
  wasteTotal?: number;
  /** DaemonSets: the Pods the scan read that belong to it (a DaemonSet's spec has no count). */
  observedPods?: number;
  /**
   * What the waste costs a month in `currency`: (wasteTotal, else wastePerPod) in cores or GiB × the `cost` price
   * per hour × 730 h, rounded to the currency's minor unit. Set on every finding the rules make.
   */
  wasteMonthlyCost?: number;
  /** ISO 4217 code of `wasteMonthlyCost` (config `cost.currency`). */
  currency?: string;
  /** Times (ISO 8601) of the first and the last sample behind the figure, where the usage source knows them. */
  coverage?: { from: string; to: string };
  /** How much data the figure stands on: `low` under 1 day between first and last sample, `medium` under 7, `high`. */
  confidence?: Confidence;
  /** The HPA that scales the workload on this resource, and its target: the recommendation keeps its replica count. */
  hpa?: {
    name: string;
    metric: 'Resource' | 'ContainerResource';
    target: 'Utilization' | 'AverageValue';
    averageUtilization?: number;
    averageValue?: number;
  };
  /** The LimitRange that sets the request at admission, where the container sets none. */
  requestDefaultedBy?: string;
  /** The LimitRange `max` that capped the recommendation. */
  cappedBy?: { limitRange: string; max: number };
}

export const CONFIDENCES = ['low', 'medium', 'high'] as const;
export type Confidence = (typeof CONFIDENCES)[number];

const DAY_MS = 86_400_000;

/** `low` under 1 day of data (last sample − first), `medium` under 7 days, `high` from 7 days. */
export function confidenceOf(spanMs: number): Confidence {
  return spanMs < DAY_MS ? 'low' : spanMs < 7 * DAY_MS ? 'medium' : 'high';
}

export interface Issue {
  /** Stable: the same object, container and rule always give the same id. */
  id: string;
  rule: string;
  severity: Severity;
  namespace: string;
  kind: AuditedKind;
  name: string;
  container: string;
  message: string;
  remediation: string;
  overProvisioning?: OverProvisioning;
  /** The recommendation as a strategic merge patch and its `kubectl patch` command (not on Pods, Jobs, custom kinds). */
  fix?: Fix;
  source?: SourceLocation;
}

/** Something the user should know that is not a finding (an unknown rule id in an annotation, …). */
export interface ScanWarning {
  code: string;
  message: string;
  namespace?: string;
  kind?: string;
  name?: string;
  file?: string;
}
