import { Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { OpsAgentConfig } from '@opsagent/core/config/config.schema';
import type { ScanWarning } from '@opsagent/core/issue';
import {
  buildReports,
  isManagedReport,
  keepUnchangedTimestamps,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  REPORT_NAME,
  REPORT_TYPES,
  sameContent,
  type PolicyReportObject,
  type ReportType,
  type SeenIssue,
  type WorkloadIdentity,
} from '@opsagent/core/reports/policy-report';
import type { Workload } from '@opsagent/core/workload';
import { mapLimit } from '../common/map-limit';
import { ReportsApi, ReportsApiError, type ReportObject } from './reports-api';

/** Attempts per report when the API server answers 409 (the report changed under us): each after a fresh GET. */
const MAX_ATTEMPTS = 3;
/** Reports written at once. */
const CONCURRENCY = 4;

export interface PublishInput {
  /** Every issue in the store after the scan (carried-over ones included). */
  issues: readonly SeenIssue[];
  /** The workloads the scan read, for the reports' `resources[].uid` and `apiVersion`. */
  workloads: readonly Workload[];
  /** Every kind was read: workloads not among them are gone. */
  complete: boolean;
}

export interface PublishCounts {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
}

const key = (kind: string, namespace: string, name: string) => `${kind}\u0000${namespace}\u0000${name}`;

function metadataOf(object: ReportObject | undefined): Record<string, unknown> {
  const meta = object?.metadata;
  return typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Writes the issues as PolicyReports (and/or openreports Reports) after each scan: one report per namespace with
 * findings, named `opsagent` and labelled `app.kubernetes.io/managed-by: opsagent`. Only what changed is written
 * (content compared, timestamps aside); the report of a namespace left without findings is deleted; a report
 * without our label is never touched. A missing CRD is one warning per scan, any other failure a warning naming
 * the report: nothing here fails a scan.
 */
@Injectable()
export class ReportPublisher {
  private readonly types: readonly ReportType[];
  private gate: () => boolean = () => true;
  private readonly identities = new Map<string, WorkloadIdentity>();

  constructor(
    private readonly api: ReportsApi,
    config: OpsAgentConfig,
    @InjectPinoLogger(ReportPublisher.name) private readonly logger: PinoLogger,
  ) {
    this.types = [
      ...(config.reports.policyReports ? [REPORT_TYPES.PolicyReport] : []),
      ...(config.reports.openReports ? [REPORT_TYPES.Report] : []),
    ];
  }

  /** Whether any report kind is switched on (`reports.policyReports`, `reports.openReports`). */
  get enabled(): boolean {
    return this.types.length > 0;
  }

  /**
   * Writes happen only while `gate()` is true (leader election: only the leader writes). Asked before the publish
   * and again before every write, so a leader that steps down mid-publish sends no further write. Default: always.
   */
  setWriteGate(gate: () => boolean): void {
    this.gate = gate;
  }

  /** Writes the reports the issues call for; returns the warnings of this publish (none when all went well). */
  async publish(input: PublishInput): Promise<ScanWarning[]> {
    if (!this.enabled || !this.gate()) return [];
    this.remember(input.workloads, input.complete);
    const warnings: ScanWarning[] = [];
    for (const type of this.types) {
      const counts: PublishCounts = { created: 0, updated: 0, deleted: 0, unchanged: 0 };
      try {
        await this.publishType(type, input.issues, counts, warnings);
      } catch (error) {
        warnings.push(failed(type, 'write', error));
      }
      if (counts.created + counts.updated + counts.deleted > 0) {
        this.logger.info(
          { event: 'reports-written', kind: type.kind, ...counts },
          `${type.kind}s: ${counts.created} created, ${counts.updated} updated, ${counts.deleted} deleted, ` +
            `${counts.unchanged} unchanged`,
        );
      }
    }
    for (const warning of warnings) this.logger.warn({ event: 'reports-warning', warning }, warning.message);
    return warnings;
  }

  private remember(workloads: readonly Workload[], complete: boolean): void {
    if (complete) this.identities.clear();
    for (const w of workloads) {
      if (w.uid !== undefined)
        this.identities.set(key(w.kind, w.namespace, w.name), { apiVersion: w.apiVersion, uid: w.uid });
    }
  }

  private async publishType(
    type: ReportType,
    issues: readonly SeenIssue[],
    counts: PublishCounts,
    warnings: ScanWarning[],
  ): Promise<void> {
    let existing: ReportObject[];
    try {
      existing = await this.api.list(type, REPORT_NAME);
    } catch (error) {
      if (error instanceof ReportsApiError && error.code === 404) {
        warnings.push({
          code: 'reports-crd-missing',
          message:
            `${type.kind}s not written: the API server does not serve ${type.plural}.${type.group} ` +
            `(${type.apiVersion}); install its CRD (chart: reports.installCRDs) or turn the report off`,
        });
        return;
      }
      throw error;
    }
    const desired = buildReports(issues, type, (i) => this.identities.get(key(i.kind, i.namespace, i.name)) ?? {});
    const current = new Map<string, ReportObject>();
    for (const object of existing) {
      const namespace = text(metadataOf(object).namespace);
      if (namespace !== undefined) current.set(namespace, object);
    }
    const jobs: (() => Promise<void>)[] = [];
    for (const [namespace, report] of desired) {
      jobs.push(() => this.upsert(type, namespace, report, current.get(namespace), counts, warnings));
    }
    for (const [namespace, object] of current) {
      if (!desired.has(namespace) && isManagedReport(object)) {
        jobs.push(() => this.remove(type, namespace, object, counts, warnings));
      }
    }
    await mapLimit(jobs, CONCURRENCY, (job) => job());
  }

  private async upsert(
    type: ReportType,
    namespace: string,
    desired: PolicyReportObject,
    found: ReportObject | undefined,
    counts: PublishCounts,
    warnings: ScanWarning[],
  ): Promise<void> {
    let current = found;
    for (let attempt = 1; ; attempt++) {
      if (current && !isManagedReport(current)) {
        warnings.push({
          code: 'report-not-ours',
          message:
            `${type.kind} ${namespace}/${REPORT_NAME} exists without the label ${MANAGED_BY_LABEL}=${MANAGED_BY}: ` +
            `left untouched, so the findings of namespace ${namespace} are not published`,
          namespace,
          kind: type.kind,
          name: REPORT_NAME,
        });
        return;
      }
      if (current && sameContent(current, desired)) {
        counts.unchanged++;
        return;
      }
      if (!this.gate()) return; // stepped down since the publish began: the new leader writes
      try {
        if (current) {
          await this.api.replace(type, namespace, REPORT_NAME, this.updateOf(current, desired));
          counts.updated++;
        } else {
          await this.api.create(type, namespace, desired as unknown as ReportObject);
          counts.created++;
        }
        return;
      } catch (error) {
        // 409: changed (Conflict) or created (AlreadyExists) meanwhile; 404 on an update: deleted meanwhile.
        const stale =
          error instanceof ReportsApiError && (error.code === 409 || (error.code === 404 && current !== undefined));
        if (!stale || attempt >= MAX_ATTEMPTS) {
          warnings.push(failed(type, current ? 'update' : 'create', error, namespace));
          return;
        }
        try {
          current = await this.api.get(type, namespace, REPORT_NAME);
        } catch (getError) {
          warnings.push(failed(type, 'read', getError, namespace));
          return;
        }
      }
    }
  }

  /** Our content on the stored object's metadata: other labels and annotations (a user's) are kept. */
  private updateOf(current: ReportObject, desired: PolicyReportObject): ReportObject {
    const meta = metadataOf(current);
    const labels = typeof meta.labels === 'object' && meta.labels !== null ? meta.labels : {};
    const merged = keepUnchangedTimestamps(current, desired);
    return {
      ...merged,
      metadata: {
        ...meta,
        ...desired.metadata,
        labels: { ...labels, ...desired.metadata.labels },
        resourceVersion: meta.resourceVersion,
      },
    } as unknown as ReportObject;
  }

  private async remove(
    type: ReportType,
    namespace: string,
    found: ReportObject,
    counts: PublishCounts,
    warnings: ScanWarning[],
  ): Promise<void> {
    let current: ReportObject | undefined = found;
    for (let attempt = 1; current && isManagedReport(current); attempt++) {
      if (!this.gate()) return; // stepped down since the publish began: the new leader deletes
      const meta = metadataOf(current);
      try {
        await this.api.delete(type, namespace, REPORT_NAME, {
          uid: text(meta.uid),
          resourceVersion: text(meta.resourceVersion),
        });
        counts.deleted++;
        return;
      } catch (error) {
        if (error instanceof ReportsApiError && error.code === 404) return; // already gone
        if (!(error instanceof ReportsApiError && error.code === 409) || attempt >= MAX_ATTEMPTS) {
          warnings.push(failed(type, 'delete', error, namespace));
          return;
        }
        try {
          current = await this.api.get(type, namespace, REPORT_NAME);
        } catch (getError) {
          warnings.push(failed(type, 'read', getError, namespace));
          return;
        }
      }
    }
  }
}

function failed(type: ReportType, verb: string, error: unknown, namespace?: string): ScanWarning {
  const what = namespace === undefined ? `${type.kind}s` : `${type.kind} ${namespace}/${REPORT_NAME}`;
  const why = error instanceof Error ? error.message : String(error);
  return {
    code: 'reports-write-failed',
    message: `could not ${verb} ${what}: ${why}`,
    ...(namespace === undefined ? {} : { namespace, kind: type.kind, name: REPORT_NAME }),
  };
}
