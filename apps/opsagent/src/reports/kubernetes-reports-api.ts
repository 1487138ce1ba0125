import { ApiException, CustomObjectsApi, type ConfigurationOptions, type KubeConfig } from '@kubernetes/client-node';
import type { ReportType } from '@opsagent/core/reports/policy-report';
import { abortableCall } from '../kubernetes/abortable-call';
import { ReportsApi, ReportsApiError, type DeletePreconditions, type ReportObject } from './reports-api';

/** The report resources through client-node's CustomObjectsApi; every call has a timeout. */
export class KubernetesReportsApi extends ReportsApi {
  private readonly api: CustomObjectsApi;

  constructor(
    kubeConfig: KubeConfig,
    private readonly requestTimeoutMs: number,
  ) {
    super();
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  async list(type: ReportType, name: string): Promise<ReportObject[]> {
    const list = await this.call(`list ${type.plural}.${type.group}`, (o) =>
      this.api.listClusterCustomObject(
        { group: type.group, version: type.version, plural: type.plural, fieldSelector: `metadata.name=${name}` },
        o,
      ),
    );
    const items = (list as { items?: unknown }).items;
    return Array.isArray(items) ? (items as ReportObject[]) : [];
  }

  async get(type: ReportType, namespace: string, name: string): Promise<ReportObject | undefined> {
    try {
      return (await this.call(`get ${type.plural}.${type.group} ${namespace}/${name}`, (o) =>
        this.api.getNamespacedCustomObject({ ...coords(type), namespace, name }, o),
      )) as ReportObject;
    } catch (error) {
      if (error instanceof ReportsApiError && error.code === 404 && error.reason === 'NotFound') return undefined;
      throw error;
    }
  }

  async create(type: ReportType, namespace: string, body: ReportObject): Promise<ReportObject> {
    return (await this.call(`create ${type.plural}.${type.group} in ${namespace}`, (o) =>
      this.api.createNamespacedCustomObject({ ...coords(type), namespace, body }, o),
    )) as ReportObject;
  }

  async replace(type: ReportType, namespace: string, name: string, body: ReportObject): Promise<ReportObject> {
    return (await this.call(`update ${type.plural}.${type.group} ${namespace}/${name}`, (o) =>
      this.api.replaceNamespacedCustomObject({ ...coords(type), namespace, name, body }, o),
    )) as ReportObject;
  }

  async delete(type: ReportType, namespace: string, name: string, preconditions: DeletePreconditions): Promise<void> {
    await this.call(`delete ${type.plural}.${type.group} ${namespace}/${name}`, (o) =>
      this.api.deleteNamespacedCustomObject({ ...coords(type), namespace, name, body: { preconditions } }, o),
    );
  }

  private async call<T>(what: string, run: (options: ConfigurationOptions) => Promise<T>): Promise<T> {
    const signal = AbortSignal.timeout(this.requestTimeoutMs);
    try {
      return await abortableCall(signal, run);
    } catch (error) {
      throw toReportsApiError(what, error, signal, this.requestTimeoutMs);
    }
  }
}

function coords(type: ReportType): { group: string; version: string; plural: string } {
  return { group: type.group, version: type.version, plural: type.plural };
}

function toReportsApiError(what: string, error: unknown, signal: AbortSignal, timeoutMs: number): ReportsApiError {
  if (signal.aborted)
    return new ReportsApiError(`${what}: no answer within ${timeoutMs} ms (kubernetes.requestTimeout)`);
  if (error instanceof ApiException) {
    let status: { reason?: string; message?: string } = {};
    try {
      status = JSON.parse(String(error.body)) as typeof status;
    } catch {
      // Not a Status (a proxy's page, `404 page not found`): the code alone says it.
    }
    const reason = typeof status.reason === 'string' ? status.reason : undefined;
    const message = typeof status.message === 'string' ? status.message : `HTTP ${error.code}`;
    return new ReportsApiError(`${what}: ${message}`, error.code, reason);
  }
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  const text = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new ReportsApiError(`${what}: ${text}${cause ? ` (${cause})` : ''}`);
}
