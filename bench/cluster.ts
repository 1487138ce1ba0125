import {
  ClusterGenerator,
  nodesFor,
  pad,
  planWorkloads,
  NAMES,
  type ClusterSize,
  type TopKind,
} from '../tools/synthetic-cluster/generator';
/**
 * The bench's synthetic clusters, seeded: the same seed and size give the same objects.
 *
 * `buildCluster` makes a cluster of one of the generator's sizes (tools/synthetic-cluster/generator.ts, the one
 * generator the demo uses too) as an API server would hold it, with one PodMetrics per Pod.
 *
 * `buildIssueCluster` makes a cluster that yields an exact number of issues (four per workload: every
 * container lacks both requests and limits), for the REST load test.
 *
 * Objects are produced lazily (`objects()`), so the generator never holds the whole cluster as object graphs;
 * the simulator keeps each item as JSON.
 */

export {
  denseOf,
  planWorkloads,
  SIZES,
  type ClusterSize,
  type ContainerPlan,
  type SizeName,
  type TopKind,
  type WorkloadPlan,
} from '../tools/synthetic-cluster/generator';

/** The resources the agent lists, in its order, with what a list of each is called on the wire. */
export const LISTED = [
  { resource: 'apps/deployments', path: '/apis/apps/v1/deployments', kind: 'Deployment' },
  { resource: 'apps/statefulsets', path: '/apis/apps/v1/statefulsets', kind: 'StatefulSet' },
  { resource: 'apps/daemonsets', path: '/apis/apps/v1/daemonsets', kind: 'DaemonSet' },
  { resource: 'apps/replicasets', path: '/apis/apps/v1/replicasets', kind: 'ReplicaSet' },
  { resource: 'replicationcontrollers', path: '/api/v1/replicationcontrollers', kind: 'ReplicationController' },
  { resource: 'batch/jobs', path: '/apis/batch/v1/jobs', kind: 'Job' },
  { resource: 'batch/cronjobs', path: '/apis/batch/v1/cronjobs', kind: 'CronJob' },
  { resource: 'pods', path: '/api/v1/pods', kind: 'Pod' },
  // What the rules account for (issue 13 §3–4); the synthetic clusters have none: one empty page each.
  { resource: 'limitranges', path: '/api/v1/limitranges', kind: 'LimitRange' },
  {
    resource: 'autoscaling/horizontalpodautoscalers',
    path: '/apis/autoscaling/v2/horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
  },
] as const;
export const POD_METRICS_PATH = '/apis/metrics.k8s.io/v1beta1/pods';

export type ListedKind = (typeof LISTED)[number]['kind'];

export interface SyntheticCluster {
  /** Objects to load into the simulator, produced on demand. */
  objects(): Generator<Record<string, unknown>>;
  /** Objects per listed kind (and `PodMetrics`), known before `objects()` runs. */
  counts: Record<ListedKind | 'PodMetrics', number>;
  /** Issues the default rules give when every container is judged (REST cluster only). */
  expectedIssues?: number;
}

/** GETs one scan makes: every list page (at least one per kind, `limit` = pageSize) plus one PodMetrics list. */
export function pagesPerScan(counts: SyntheticCluster['counts'], pageSize: number): number {
  let pages = 1; // PodMetrics: metrics-server ignores limit/continue
  for (const { kind } of LISTED) pages += Math.max(1, Math.ceil(counts[kind] / pageSize));
  return pages;
}

type Obj = Record<string, unknown>;

/** The workload, Pod and PodMetrics cluster of one size (spread over its namespaces, or `denseOf` it). */
export function buildCluster(size: ClusterSize, seed = 42): SyntheticCluster {
  const plans = planWorkloads(size, seed);
  const counts: SyntheticCluster['counts'] = {
    Deployment: 0,
    StatefulSet: 0,
    DaemonSet: 0,
    ReplicaSet: 0,
    ReplicationController: 0,
    Job: 0,
    CronJob: 0,
    Pod: 0,
    LimitRange: 0,
    HorizontalPodAutoscaler: 0,
    PodMetrics: 0,
  };
  for (const p of plans) {
    switch (p.kind) {
      case 'Deployment':
        counts.Deployment++;
        counts.ReplicaSet += p.oldReplicaSet ? 2 : 1;
        break;
      case 'CronJob':
        counts.CronJob++;
        counts.Job++;
        break;
      case 'Pod':
        break;
      default:
        counts[p.kind]++;
    }
    counts.Pod += p.pods;
  }
  counts.PodMetrics = counts.Pod;

  return {
    counts,
    *objects() {
      const gen = new ClusterGenerator({ seed, nodes: nodesFor(size), clusterObjects: false, podMetrics: true });
      for (const plan of plans) yield* gen.workload(plan);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------

const ISSUE_KINDS: readonly { kind: TopKind; apiVersion: string }[] = [
  { kind: 'Deployment', apiVersion: 'apps/v1' },
  { kind: 'Deployment', apiVersion: 'apps/v1' },
  { kind: 'Deployment', apiVersion: 'apps/v1' },
  { kind: 'StatefulSet', apiVersion: 'apps/v1' },
  { kind: 'DaemonSet', apiVersion: 'apps/v1' },
  { kind: 'CronJob', apiVersion: 'batch/v1' },
  { kind: 'Job', apiVersion: 'batch/v1' },
  { kind: 'ReplicationController', apiVersion: 'v1' },
];

/**
 * `issues / 4` workloads of mixed kinds over `namespaces` namespaces, each with one container that sets
 * neither requests nor limits: four issues each (cpu/memory request and limit missing: 2 high, 1 medium,
 * 1 low). No Pods, so the scan is quick and the store holds exactly `issues` issues.
 */
export function buildIssueCluster(issues: number, namespaces: number): SyntheticCluster {
  const workloads = Math.ceil(issues / 4);
  const nsWidth = Math.max(3, String(namespaces).length);
  const counts: SyntheticCluster['counts'] = {
    Deployment: 0,
    StatefulSet: 0,
    DaemonSet: 0,
    ReplicaSet: 0,
    ReplicationController: 0,
    Job: 0,
    CronJob: 0,
    Pod: 0,
    LimitRange: 0,
    HorizontalPodAutoscaler: 0,
    PodMetrics: 0,
  };
  for (let i = 0; i < workloads; i++) counts[ISSUE_KINDS[i % ISSUE_KINDS.length].kind as ListedKind]++;
  return {
    counts,
    expectedIssues: workloads * 4,
    *objects() {
      for (let i = 0; i < workloads; i++) {
        const { kind, apiVersion } = ISSUE_KINDS[i % ISSUE_KINDS.length];
        const namespace = `team-${pad(i % namespaces, nsWidth)}`;
        const name = `${NAMES[i % NAMES.length]}-${pad(Math.floor(i / namespaces), 4)}`;
        const labels = { 'app.kubernetes.io/name': name };
        const podSpec = {
          containers: [{ name: 'app', image: `ghcr.io/example/${name}:1.0.0` }],
          restartPolicy: 'Always',
        };
        const template = { metadata: { labels }, spec: podSpec };
        let spec: Obj;
        switch (kind) {
          case 'CronJob':
            spec = {
              schedule: '0 * * * *',
              jobTemplate: { spec: { template: { ...template, spec: { ...podSpec, restartPolicy: 'OnFailure' } } } },
            };
            break;
          case 'Job':
            spec = { template: { ...template, spec: { ...podSpec, restartPolicy: 'Never' } } };
            break;
          case 'ReplicationController':
            spec = { replicas: 1, selector: labels, template };
            break;
          case 'DaemonSet':
            spec = { selector: { matchLabels: labels }, template };
            break;
          default:
            spec = { replicas: 1, selector: { matchLabels: labels }, template };
        }
        yield { apiVersion, kind, metadata: { name, namespace, labels }, spec };
      }
    },
  };
}
