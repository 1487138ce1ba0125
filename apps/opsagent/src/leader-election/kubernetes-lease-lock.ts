import { ApiException, CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { abortableCall } from '../kubernetes/abortable-call';
import { LeaseAccessError, LeaseConflictError, LeaseLock, type LeaseRecord, type ObservedLease } from './lease-lock';

/** The Lease through client-node's typed CoordinationV1Api: GET, POST and PUT (with resourceVersion). */
export class KubernetesLeaseLock extends LeaseLock {
  private readonly api: CoordinationV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly namespace: string,
    private readonly name: string,
    private readonly labels: Record<string, string> = { 'app.kubernetes.io/managed-by': 'opsagent' },
  ) {
    super();
    this.api = kubeConfig.makeApiClient(CoordinationV1Api);
  }

  describe(): string {
    return `${this.namespace}/${this.name}`;
  }

  async get(signal: AbortSignal): Promise<ObservedLease | undefined> {
    try {
      return observed(
        await abortableCall(signal, (o) =>
          this.api.readNamespacedLease({ name: this.name, namespace: this.namespace }, o),
        ),
      );
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw this.failure('get', error, signal);
    }
  }

  async create(record: LeaseRecord, signal: AbortSignal): Promise<ObservedLease> {
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace, labels: this.labels },
      spec: toSpec(record),
    };
    try {
      return observed(
        await abortableCall(signal, (o) => this.api.createNamespacedLease({ namespace: this.namespace, body }, o)),
      );
    } catch (error) {
      throw this.failure('create', error, signal);
    }
  }

  async update(record: LeaseRecord, resourceVersion: string, signal: AbortSignal): Promise<ObservedLease> {
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace, labels: this.labels, resourceVersion },
      spec: toSpec(record),
    };
    try {
      return observed(
        await abortableCall(signal, (o) =>
          this.api.replaceNamespacedLease({ name: this.name, namespace: this.namespace, body }, o),
        ),
      );
    } catch (error) {
      throw this.failure('update', error, signal);
    }
  }

  private failure(verb: string, error: unknown, signal: AbortSignal): Error {
    const what = `${verb} lease ${this.describe()}`;
    if (error instanceof ApiException) {
      const message = statusMessage(error.body) ?? `HTTP ${error.code}`;
      if (error.code === 409) return new LeaseConflictError(`${what}: ${message}`);
      return new LeaseAccessError(`${what}: HTTP ${error.code}: ${message}`);
    }
    if (signal.aborted) {
      const reason: unknown = signal.reason;
      return new LeaseAccessError(`${what}: ${reason instanceof Error ? reason.message : 'aborted'}`);
    }
    const e = error as Error & { cause?: { code?: string } };
    return new LeaseAccessError(`${what}: ${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`);
  }
}

/**
 * MicroTime fields as the API server parses them (RFC 3339 with exactly six fractional digits): client-node's
 * V1MicroTime writes them so; a plain Date would be sent with three, which metav1.MicroTime rejects.
 */
function toSpec(record: LeaseRecord): NonNullable<V1Lease['spec']> {
  return {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    leaseTransitions: record.leaseTransitions,
    ...(record.acquireTime ? { acquireTime: new V1MicroTime(record.acquireTime.getTime()) } : {}),
    ...(record.renewTime ? { renewTime: new V1MicroTime(record.renewTime.getTime()) } : {}),
  };
}

function observed(lease: V1Lease): ObservedLease {
  const spec = lease.spec ?? {};
  return {
    resourceVersion: lease.metadata?.resourceVersion ?? '',
    record: {
      holderIdentity: spec.holderIdentity ?? '',
      leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
      leaseTransitions: spec.leaseTransitions ?? 0,
      acquireTime: toDate(spec.acquireTime),
      renewTime: toDate(spec.renewTime),
    },
  };
}

/** client-node hands MicroTime fields back as the string the server sent. */
function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function statusMessage(body: unknown): string | undefined {
  if (typeof body !== 'string') return undefined;
  try {
    const status = JSON.parse(body) as { message?: unknown };
    return typeof status.message === 'string' ? status.message : undefined;
  } catch {
    return undefined;
  }
}
