/**
 * The Lease as leader election reads and writes it (coordination.k8s.io/v1 `LeaseSpec`), behind a port so the
 * elector's state machine is tested with an in-memory Lease and driven in production by client-node.
 */
export interface LeaseRecord {
  /** Empty (or absent) when the Lease is free: released, or never held. */
  holderIdentity: string;
  leaseDurationSeconds: number;
  /** Wall-clock times written by the holder; informative only: expiry is judged on the reader's own clock. */
  acquireTime?: Date;
  renewTime?: Date;
  leaseTransitions: number;
}

export interface ObservedLease {
  record: LeaseRecord;
  /** The server's resourceVersion of the Lease: an update carries it, so a concurrent change answers 409. */
  resourceVersion: string;
}

/** 409 from the API server: the Lease changed since it was read (Conflict) or already exists (AlreadyExists). */
export class LeaseConflictError extends Error {
  override name = 'LeaseConflictError';
}

/** Any other failure to read or write the Lease (403, 5xx, timeout, connection refused). */
export class LeaseAccessError extends Error {
  override name = 'LeaseAccessError';
}

/** Port: one Lease object. */
export abstract class LeaseLock {
  /** `namespace/name` of the Lease, for logs and errors. */
  abstract describe(): string;
  /** The Lease, or undefined when it does not exist (404). */
  abstract get(signal: AbortSignal): Promise<ObservedLease | undefined>;
  /** Creates the Lease; LeaseConflictError when it already exists. */
  abstract create(record: LeaseRecord, signal: AbortSignal): Promise<ObservedLease>;
  /** Replaces the Lease's spec if it is still at `resourceVersion`; LeaseConflictError otherwise. */
  abstract update(record: LeaseRecord, resourceVersion: string, signal: AbortSignal): Promise<ObservedLease>;
}
