import { CustomObjectsApi, makeInformer, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { MANAGED_BY, MANAGED_BY_LABEL, REPORT_TYPES } from '@opsagent/core/reports/policy-report';
import { ReportFeed, type ReportFeedHandlers } from './report-feed';

/**
 * OpsAgent's PolicyReports (label app.kubernetes.io/managed-by=opsagent) through client-node's informer: one
 * LIST, then a WATCH from the list's resourceVersion, resumed from the last event's when it ends (and relisted
 * after a 410 Expired), as client-go's reflector does.
 */
export class KubernetesReportFeed extends ReportFeed {
  private readonly api: CustomObjectsApi;

  constructor(private readonly kubeConfig: KubeConfig) {
    super();
    this.api = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  async start(handlers: ReportFeedHandlers): Promise<() => void> {
    const { group, version, plural } = REPORT_TYPES.PolicyReport;
    const labelSelector = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
    const informer = makeInformer<KubernetesObject>(
      this.kubeConfig,
      `/apis/${group}/${version}/${plural}`,
      async () => {
        const list = (await this.api.listClusterCustomObject({ group, version, plural, labelSelector })) as {
          items: KubernetesObject[];
          metadata?: { resourceVersion?: string };
        };
        return { items: list.items, metadata: list.metadata } as never;
      },
      labelSelector,
    );
    let started = false;
    let stopped = false;
    let startError: unknown;
    informer.on('add', (report) => handlers.upsert(report));
    informer.on('update', (report) => handlers.upsert(report));
    informer.on('delete', (report) => handlers.remove(report));
    informer.on('error', (error) => {
      if (stopped) return; // stop() aborts the watch, which reports as an error
      if (started) handlers.failed(error);
      else startError = error;
    });
    await informer.start();
    if (startError !== undefined) {
      await informer.stop();
      throw startError instanceof Error ? startError : new Error(String(startError));
    }
    started = true;
    return () => {
      stopped = true;
      void informer.stop();
    };
  }
}
