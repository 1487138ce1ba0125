import type { ReportType } from '@opsagent/core/reports/policy-report';

/** A report object as the API server returns it (a custom resource: plain JSON). */
export type ReportObject = Record<string, unknown>;

export interface DeletePreconditions {
  uid?: string;
  resourceVersion?: string;
}

/**
 * Port: the report resources of the API server (PolicyReports, openreports Reports). One implementation on
 * @kubernetes/client-node; unit tests of the publisher use an in-memory one.
 */
export abstract class ReportsApi {
  /** Every report of the type named `name`, in every namespace. A 404 (ReportsApiError) means the CRD is absent. */
  abstract list(type: ReportType, name: string): Promise<ReportObject[]>;
  /** The report, or undefined when there is none. */
  abstract get(type: ReportType, namespace: string, name: string): Promise<ReportObject | undefined>;
  abstract create(type: ReportType, namespace: string, body: ReportObject): Promise<ReportObject>;
  /** An update: `body.metadata.resourceVersion` makes it conditional (409 when stale). */
  abstract replace(type: ReportType, namespace: string, name: string, body: ReportObject): Promise<ReportObject>;
  abstract delete(type: ReportType, namespace: string, name: string, preconditions: DeletePreconditions): Promise<void>;
}

/** A refused or failed request: `code` is the HTTP status (undefined when no answer came), `reason` the Status reason. */
export class ReportsApiError extends Error {
  override name = 'ReportsApiError';

  constructor(
    message: string,
    readonly code?: number,
    readonly reason?: string,
  ) {
    super(message);
  }
}
