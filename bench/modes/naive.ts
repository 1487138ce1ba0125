/**
 * naive: the same pages through client-node's typed list calls (`listXForAllNamespaces({ limit, _continue })`,
 * `Metrics.getPodMetrics()`), the items kept in lists: what a straightforward implementation does before it
 * evaluates them.
 */
import { performance } from 'node:perf_hooks';
import { AppsV1Api, AutoscalingV2Api, BatchV1Api, CoreV1Api, KubeConfig, Metrics } from '@kubernetes/client-node';
import { mapLimit, type WorkerInit } from '../protocol';
import type { Runner } from '../scan-worker';

interface TypedList {
  metadata?: { _continue?: string };
  items: unknown[];
}
type ListCall = (param: { limit: number; _continue?: string }) => Promise<TypedList>;

export function createRunner(init: WorkerInit): Runner {
  const kc = new KubeConfig();
  kc.loadFromFile(init.kubeconfig);
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const autoscaling = kc.makeApiClient(AutoscalingV2Api);
  const metricsClient = new Metrics(kc);
  const calls: ListCall[] = [
    (p) => apps.listDeploymentForAllNamespaces(p),
    (p) => apps.listStatefulSetForAllNamespaces(p),
    (p) => apps.listDaemonSetForAllNamespaces(p),
    (p) => apps.listReplicaSetForAllNamespaces(p),
    (p) => core.listReplicationControllerForAllNamespaces(p),
    (p) => batch.listJobForAllNamespaces(p),
    (p) => batch.listCronJobForAllNamespaces(p),
    (p) => core.listPodForAllNamespaces(p),
    (p) => core.listLimitRangeForAllNamespaces(p),
    (p) => autoscaling.listHorizontalPodAutoscalerForAllNamespaces(p),
  ];
  return async () => {
    let requests = 0;
    const started = performance.now();
    const lists = await mapLimit(calls, init.concurrency, async (list) => {
      const all: unknown[] = [];
      let token: string | undefined;
      do {
        const page = await list({ limit: init.pageSize, _continue: token });
        requests++;
        all.push(...page.items);
        token = page.metadata?._continue || undefined;
      } while (token !== undefined);
      return all;
    });
    const podMetrics = await metricsClient.getPodMetrics();
    requests++;
    const durationMs = performance.now() - started;
    const items = lists.reduce((n, l) => n + l.length, 0) + podMetrics.items.length;
    return { durationMs, requests, bytes: 0, items };
  };
}
