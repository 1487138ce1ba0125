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
  /** wastePerPod × replicas, where replicas are known. */
  wasteTotal?: number;
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
