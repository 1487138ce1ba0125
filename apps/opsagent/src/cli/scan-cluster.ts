import { OomKillHistory } from '@opsagent/core/audit/failure-history';
import { OwnerIndex, UsageAttribution } from '@opsagent/core/audit/usage-attribution';
import { NO_USAGE, SampleUsage, type UsageSource } from '@opsagent/core/audit/usage-stats';
import { isNamespaceAudited, resolveRuleSettings } from '@opsagent/core/config/config.loader';
import { parseDuration } from '@opsagent/core/duration';
import type { ScanWarning } from '@opsagent/core/issue';
import { WorkloadContext } from '@opsagent/core/audit/workload-context';
import { buildReport } from '@opsagent/core/report/report';
import { RuntimeEnvironment } from '../config/environment';
import { KubeApiClient } from '../kubernetes/kube-api.client';
import { loadKubeConfig } from '../kubernetes/kube-config.factory';
import { KubernetesClusterReader } from '../kubernetes/kubernetes-cluster-reader';
import { ClusterReadError } from '../kubernetes/kubernetes.errors';
import { createWindowUsageReader } from '../prometheus/prometheus.module';
import { exitCodeFor, render, type ScanOptions, type ScanOutcome } from './scan.command';

// Its own module, loaded only by `opsagent scan` without PATH: it pulls in @kubernetes/client-node, which the
// offline scan of manifest files must not load.

/** `opsagent scan` without PATH: one read of the kubeconfig's cluster through the service's reader. */
export async function scanCluster(options: ScanOptions): Promise<ScanOutcome> {
  const environment = RuntimeEnvironment.fromProcess();
  const { config } = options;
  const reader = new KubernetesClusterReader(
    new KubeApiClient(loadKubeConfig(environment, config.kubernetes.context), {
      requestTimeoutMs: parseDuration(config.kubernetes.requestTimeout),
      retries: config.kubernetes.retries,
    }),
    { pageSize: config.kubernetes.pageSize },
  );
  const prometheus = createWindowUsageReader(config);
  const snapshot = await reader.read({ namespaces: config.includeNamespaces, usage: prometheus ? 'none' : 'samples' });
  if (snapshot.failures.length === snapshot.kindsAttempted) {
    throw new ClusterReadError('cluster', snapshot.failures.map((f) => `${f.resource}: ${f.reason}`).join('; '));
  }
  const warnings: ScanWarning[] = [...snapshot.warnings];
  for (const f of snapshot.failures) {
    warnings.push({ code: 'kind-unreadable', kind: f.kind, message: `${f.resource} could not be read: ${f.reason}` });
  }
  if (snapshot.metricsError) warnings.push({ code: 'metrics-unavailable', message: snapshot.metricsError });
  else if (!prometheus && config.overProvisioning.minSamples > 1)
    warnings.push(singleSampleWarning(config.overProvisioning.minSamples));
  const { rules, settings } = resolveRuleSettings(config);
  const owners = snapshot.owners ?? new OwnerIndex();
  const attribution = new UsageAttribution(snapshot.workloads, owners);
  let usage: UsageSource = new SampleUsage(snapshot.workloads, snapshot.samples ?? [], attribution);
  const failures = new OomKillHistory(owners, attribution, Date.now() - parseDuration(config.overProvisioning.window));
  let usageSamples = snapshot.samples?.length ?? 0;
  let prometheusQueries: number | undefined;
  if (prometheus) {
    // The whole window from Prometheus: a one-off scan judges as the service does, with no warm-up.
    const window = await prometheus.read({
      workloads: snapshot.workloads,
      livePods: snapshot.pods ?? [],
      isNamespaceAudited: (ns) => isNamespaceAudited(config, ns),
    });
    prometheusQueries = window.queries;
    if (window.ok) {
      usage = window.usage;
      usageSamples = window.usage.sampleCount;
      warnings.push(...window.warnings);
    } else {
      usage = NO_USAGE;
      usageSamples = 0;
      warnings.push({
        code: 'prometheus-unavailable',
        message: `over-provisioning rules skipped: ${window.reason}`,
      });
    }
  }
  const report = buildReport(
    {
      workloads: snapshot.workloads,
      usage,
      failures,
      usageSamples,
      prometheusQueries,
      skipped: snapshot.skipped,
      warnings,
      observedPods: attribution.observedPods(),
      context: new WorkloadContext(snapshot.limitRanges, snapshot.hpas),
    },
    { rules, settings, isNamespaceAudited: (ns) => isNamespaceAudited(config, ns) },
  );
  return { report, output: render(report, options), exitCode: exitCodeFor(report, options.failOn) };
}

/**
 * metrics-server keeps only the latest sample of each Pod, so one read gives each container one sample per Pod: a
 * workload with fewer Pods than `overProvisioning.minSamples` (nearly every one at the default 12) is never judged.
 * With `minSamples: 1` every Pod is judged from its one sample, and there is nothing to warn about.
 */
function singleSampleWarning(minSamples: number): ScanWarning {
  return {
    code: 'usage-single-sample',
    message:
      'metrics-server gives one usage sample per Pod, so a one-off scan of the cluster can almost never judge ' +
      `over-provisioning (a container needs overProvisioning.minSamples = ${minSamples} samples); for a judgement, ` +
      'set usage.source: prometheus to read the usage history from Prometheus, or run the service ' +
      '(opsagent serve), which samples usage over time',
  };
}
