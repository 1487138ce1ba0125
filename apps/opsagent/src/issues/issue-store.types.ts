import type { Issue, ScanWarning } from '@opsagent/core/issue';
import type { Severity } from '@opsagent/core/severity';

export interface StoredIssue extends Issue {
  /** RFC 3339: the end of the first scan that found it. */
  firstSeen: string;
  /** RFC 3339: the end of the last scan that found it. */
  lastSeen: string;
}

export type ScanStatus = 'running' | 'succeeded' | 'partial' | 'failed';
export type ScanTrigger = 'startup' | 'schedule' | 'api';

export interface ScanError {
  /** The kind that could not be read (`Deployment`, …), or `scan` for the scan as a whole. */
  kind: string;
  resource?: string;
  code?: number;
  reason: string;
}

export interface ScanCounts {
  issues: number;
  new: number;
  resolved: number;
  /** Issues kept from the previous scan because their kind (or usage) could not be read. */
  carriedOver: number;
  bySeverity: Record<Severity, number>;
  workloads: number;
  containers: number;
  containersWithoutUsage: number;
  usageSamples: number;
  apiRequests: number;
  apiBytes: number;
  /** Queries sent to Prometheus (`usage.source: prometheus` only). */
  prometheusQueries?: number;
}

export interface ScanRecord {
  id: string;
  trigger: ScanTrigger;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  status: ScanStatus;
  errors: ScanError[];
  warnings: ScanWarning[];
  counts?: ScanCounts;
}

export interface IssueFilter {
  namespace?: string;
  kind?: string;
  name?: string;
  /** A part of the workload's name. */
  nameContains?: string;
  rule?: string;
  severity?: Severity;
  minSeverity?: Severity;
}

export interface IssuePage {
  items: StoredIssue[];
  total: number;
  continue?: string;
}

export class InvalidContinueTokenError extends Error {
  constructor() {
    super('continue: not a token returned by this API (start again without it)');
  }
}
