import { mulberry32 } from '../tools/k8s-simulator/random';
/**
 * The bench's synthetic clusters, seeded: the same seed and size give the same objects.
 *
 * `buildCluster` makes a cluster as an API server would hold it: workloads of every kind the agent audits,
 * the ReplicaSets, Jobs and Pods their controllers would have created (ownerReferences included), full Pod
 * JSON with managedFields, conditions and container statuses (5–13 KB a Pod, as on a real server), and one
 * PodMetrics per Pod. Containers come with and without requests/limits; some are over-provisioned.
 *
 * `buildIssueCluster` makes a cluster that yields an exact number of issues (four per workload: every
 * container lacks both requests and limits), for the REST load test.
 *
 * Objects are produced lazily (`objects()`), so the generator never holds the whole cluster as object graphs;
 * the simulator keeps each item as JSON.
 */

export type SizeName = 'tiny' | 'small' | 'large';

export interface ClusterSize {
  /** Top-level workloads: what the agent reports on (Deployments, …, bare Pods). */
  workloads: number;
  namespaces: number;
  /** Pods, all Running (so there is one PodMetrics per Pod, as metrics-server reports Running Pods only). */
  pods: number;
}

export const SIZES: Record<SizeName, ClusterSize> = {
  tiny: { workloads: 60, namespaces: 4, pods: 240 },
  small: { workloads: 1_000, namespaces: 40, pods: 4_800 },
  large: { workloads: 12_500, namespaces: 500, pods: 60_000 },
};

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

// ---------------------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;
export type TopKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'CronJob' | 'Job' | 'ReplicationController' | 'Pod';

/**
 * How a workload's containers declare resources. `over`: requests and limits, used at 8–20 % (flagged by
 * the over-provisioning rules); `sized`: used at 50–90 %; the rest miss some or all of requests/limits.
 */
type Profile = 'sized' | 'over' | 'none' | 'requests-only' | 'limits-only' | 'cpu-only';

const KIND_WEIGHTS: readonly [TopKind, number][] = [
  ['Deployment', 62],
  ['StatefulSet', 12],
  ['DaemonSet', 2],
  ['CronJob', 8],
  ['Job', 4],
  ['ReplicationController', 2],
  ['Pod', 10],
];
const PROFILE_WEIGHTS: readonly [Profile, number][] = [
  ['sized', 40],
  ['over', 15],
  ['none', 15],
  ['requests-only', 15],
  ['limits-only', 8],
  ['cpu-only', 7],
];
const NAMES = [
  'api',
  'web',
  'worker',
  'gateway',
  'auth',
  'billing',
  'search',
  'catalog',
  'cart',
  'checkout',
  'ledger',
  'notifier',
  'scheduler',
  'ingest',
  'exporter',
  'cache',
  'db',
  'queue',
  'reporter',
  'renderer',
];
const CPU_REQUESTS = [50, 100, 200, 250, 500, 1000, 2000];
const MEMORY_REQUESTS_MI = [64, 128, 256, 512, 1024, 2048, 4096];
const BASE_TIME_MS = Date.parse('2026-11-20T08:00:00Z');
const HASH_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MI = 1024 * 1024;

export interface ContainerPlan {
  name: string;
  image: string;
  port?: number;
  requests?: { cpu?: string; memory?: string };
  limits?: { cpu?: string; memory?: string };
  /** Usage: millicores and bytes (PodMetrics vary ±10 % around it per Pod). */
  cpuUse: number;
  memoryUse: number;
  init?: boolean;
}

export interface WorkloadPlan {
  kind: TopKind;
  namespace: string;
  name: string;
  pods: number;
  containers: ContainerPlan[];
  /** Deployments: an older ReplicaSet scaled to 0 (revision history), as after a rollout. */
  oldReplicaSet: boolean;
  applied: boolean;
  /** Environment variables per container (0–5) and whether probes are set: Pods vary in size. */
  env: number;
  probes: boolean;
}

function pick<T>(rng: () => number, weights: readonly [T, number][]): T {
  const total = weights.reduce((s, [, w]) => s + w, 0);
  let x = rng() * total;
  for (const [value, w] of weights) {
    x -= w;
    if (x < 0) return value;
  }
  return weights[weights.length - 1][0];
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * The cluster's top-level workloads before they become objects: kind, namespace, name, Pods and containers
 * (what `buildCluster` turns into objects, and what the usage-history bench feeds the history directly).
 */
export function planWorkloads(size: ClusterSize, seed = 42): WorkloadPlan[] {
  const rng = mulberry32(seed);
  const nsWidth = Math.max(3, String(size.namespaces).length);
  const plans: WorkloadPlan[] = [];
  for (let i = 0; i < size.workloads; i++) {
    const kind = pick(rng, KIND_WEIGHTS);
    const profile = pick(rng, PROFILE_WEIGHTS);
    const namespace = `team-${pad(i % size.namespaces, nsWidth)}`;
    const base = NAMES[Math.floor(rng() * NAMES.length)];
    const name = `${base}-${pad(Math.floor(i / size.namespaces), 4)}`;
    const containers = [mainContainer(rng, base, profile)];
    // A quarter run an istio-proxy sidecar (sized); some have an init container without resources.
    if (rng() < 0.25) containers.push(sidecar(rng));
    if (rng() < 0.1) {
      containers.push({
        name: 'init-schema',
        image: `ghcr.io/example/${base}-migrate:1.0.0`,
        cpuUse: 0,
        memoryUse: 0,
        init: true,
      });
    }
    const fixedPods = kind === 'DaemonSet' ? 3 + Math.floor(rng() * 10) : 1;
    plans.push({
      kind,
      namespace,
      name,
      pods: fixedPods,
      containers,
      oldReplicaSet: rng() < 0.3,
      applied: rng() < 0.5,
      env: Math.floor(rng() * 6),
      probes: rng() < 0.7,
    });
  }
  distributeReplicas(rng, plans, size.pods);
  return plans;
}

/** The workload, Pod and PodMetrics cluster of one size. */
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
      const gen = new ObjectFactory(seed, Math.max(3, Math.ceil(size.pods / 30)));
      for (const plan of plans) yield* gen.workload(plan);
    },
  };
}

/**
 * Deployments, StatefulSets and ReplicationControllers get the Pods left after the fixed ones (bare Pods,
 * Jobs, DaemonSets): at least one each, the rest spread with a skew (most run 1–4, a few dozens).
 */
function distributeReplicas(rng: () => number, plans: WorkloadPlan[], targetPods: number): void {
  const scalable = plans.filter(
    (p) => p.kind === 'Deployment' || p.kind === 'StatefulSet' || p.kind === 'ReplicationController',
  );
  const isScalable = new Set(scalable);
  const fixed = plans.reduce((n, p) => n + (isScalable.has(p) ? 0 : p.pods), 0);
  let extra = targetPods - fixed - scalable.length;
  if (extra < 0) throw new Error(`cannot fit ${plans.length} workloads into ${targetPods} Pods`);
  const weights = scalable.map(() => rng() ** 3);
  const total = weights.reduce((s, w) => s + w, 0);
  scalable.forEach((p, i) => {
    const n = Math.floor((extra * weights[i]) / total);
    p.pods = 1 + n;
  });
  extra = targetPods - plans.reduce((n, p) => n + p.pods, 0);
  for (let i = 0; extra > 0; i = (i + 1) % scalable.length, extra--) scalable[i].pods++;
}

function quantityCpu(millicores: number): string {
  return millicores % 1000 === 0 ? String(millicores / 1000) : `${millicores}m`;
}

function quantityMemory(mi: number): string {
  return mi % 1024 === 0 ? `${mi / 1024}Gi` : `${mi}Mi`;
}

function mainContainer(rng: () => number, base: string, profile: Profile): ContainerPlan {
  const cpu = CPU_REQUESTS[Math.floor(rng() * CPU_REQUESTS.length)];
  const memMi = MEMORY_REQUESTS_MI[Math.floor(rng() * MEMORY_REQUESTS_MI.length)];
  const share = profile === 'over' ? 0.08 + rng() * 0.12 : 0.5 + rng() * 0.4;
  const c: ContainerPlan = {
    name: base,
    image: `ghcr.io/example/${base}:${1 + Math.floor(rng() * 5)}.${Math.floor(rng() * 20)}.${Math.floor(rng() * 10)}`,
    port: 8080,
    cpuUse: Math.max(1, cpu * share),
    memoryUse: memMi * MI * share,
  };
  const req = { cpu: quantityCpu(cpu), memory: quantityMemory(memMi) };
  const lim = { cpu: quantityCpu(cpu * 2), memory: quantityMemory(memMi * 2) };
  switch (profile) {
    case 'sized':
    case 'over':
      c.requests = req;
      c.limits = lim;
      break;
    case 'requests-only':
      c.requests = req;
      break;
    case 'limits-only':
      c.limits = lim;
      break;
    case 'cpu-only':
      c.requests = { cpu: req.cpu };
      c.limits = { cpu: lim.cpu };
      break;
    case 'none':
      break;
  }
  return c;
}

function sidecar(rng: () => number): ContainerPlan {
  return {
    name: 'istio-proxy',
    image: 'docker.io/istio/proxyv2:1.24.0',
    port: 15090,
    requests: { cpu: '100m', memory: '128Mi' },
    limits: { cpu: '2', memory: '1Gi' },
    cpuUse: 20 + rng() * 40,
    memoryUse: (40 + rng() * 40) * MI,
  };
}

function envVars(name: string): Obj[] {
  return [
    { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
    { name: 'LOG_LEVEL', value: 'info' },
    { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel-collector.observability.svc:4317' },
    { name: 'DATABASE_PASSWORD', valueFrom: { secretKeyRef: { name: `${name}-db`, key: 'password' } } },
  ];
}

/** `resources` as the API server stores them: a missing request defaults to the limit on Pods. */
function resourcesOf(c: ContainerPlan, defaulted: boolean): Obj {
  const requests = defaulted && c.limits ? { ...c.limits, ...c.requests } : c.requests;
  return { ...(requests ? { requests } : {}), ...(c.limits ? { limits: c.limits } : {}) };
}

/**
 * managedFields' `fieldsV1` for a value, as server-side apply records it: `f:<field>` per key, `k:{...}`
 * per keyed list element (containers by name, conditions by type), `.` for a set element.
 */
function fieldsV1(value: unknown): Obj {
  if (Array.isArray(value)) {
    const out: Obj = {};
    for (const el of value) {
      if (el !== null && typeof el === 'object' && !Array.isArray(el)) {
        const o = el as Obj;
        const key =
          o.name !== undefined
            ? { name: o.name }
            : o.type !== undefined
              ? { type: o.type }
              : o.containerPort !== undefined
                ? { containerPort: o.containerPort, protocol: o.protocol }
                : o.ip !== undefined
                  ? { ip: o.ip }
                  : o.key !== undefined
                    ? { key: o.key }
                    : { uid: o.uid };
        out[`k:${JSON.stringify(key)}`] = { '.': {}, ...(fieldsV1(o) as Obj) };
      } else {
        out[`v:${JSON.stringify(el)}`] = {};
      }
    }
    return out;
  }
  if (value !== null && typeof value === 'object') {
    const out: Obj = {};
    for (const [k, v] of Object.entries(value as Obj)) {
      out[`f:${k}`] = v !== null && typeof v === 'object' ? { '.': {}, ...fieldsV1(v) } : {};
    }
    return out;
  }
  return {};
}

interface Owner {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

function ownerRef(o: Owner): Obj {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.name,
    uid: o.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Turns plans into objects; its own PRNG keeps names, uids and usage independent of the plan's draws. */
class ObjectFactory {
  private readonly rng: () => number;
  private podIp = 0;
  private node = 0;

  constructor(
    seed: number,
    private readonly nodes: number,
  ) {
    this.rng = mulberry32(seed ^ 0x5bd1e995);
  }

  *workload(p: WorkloadPlan): Generator<Obj> {
    const created = stamp(
      BASE_TIME_MS - Math.floor(this.rng() * 90) * 86_400_000 - Math.floor(this.rng() * 86_400_000),
    );
    const selector = { 'app.kubernetes.io/name': p.name, 'app.kubernetes.io/instance': p.name };
    const labels = {
      ...selector,
      'app.kubernetes.io/part-of': p.namespace,
      'app.kubernetes.io/version': p.containers[0].image.split(':')[1],
      'app.kubernetes.io/managed-by': p.applied ? 'kubectl' : 'Helm',
    };
    const uid = this.uid();
    const template = this.template(p, labels);
    switch (p.kind) {
      case 'Deployment': {
        yield this.top(
          p,
          'apps/v1',
          uid,
          created,
          labels,
          {
            replicas: p.pods,
            revisionHistoryLimit: 10,
            progressDeadlineSeconds: 600,
            selector: { matchLabels: selector },
            strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
            template,
          },
          {
            observedGeneration: 2,
            replicas: p.pods,
            updatedReplicas: p.pods,
            readyReplicas: p.pods,
            availableReplicas: p.pods,
          },
        );
        const owner = { apiVersion: 'apps/v1', kind: 'Deployment', name: p.name, uid };
        if (p.oldReplicaSet) yield this.replicaSet(p, owner, template, labels, created, 0, '1');
        const hash = this.hash(10);
        const rs = this.replicaSet(p, owner, template, labels, created, p.pods, p.oldReplicaSet ? '2' : '1', hash);
        yield rs;
        const rsOwner = {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: `${p.name}-${hash}`,
          uid: (rs.metadata as Obj).uid as string,
        };
        for (let i = 0; i < p.pods; i++) {
          yield* this.pod(
            p,
            `${p.name}-${hash}-${this.hash(5)}`,
            { ...labels, 'pod-template-hash': hash },
            rsOwner,
            created,
          );
        }
        return;
      }
      case 'StatefulSet': {
        const revision = `${p.name}-${this.hash(10)}`;
        yield this.top(
          p,
          'apps/v1',
          uid,
          created,
          labels,
          {
            replicas: p.pods,
            serviceName: p.name,
            podManagementPolicy: 'OrderedReady',
            selector: { matchLabels: selector },
            template,
            updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
            persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
          },
          {
            replicas: p.pods,
            readyReplicas: p.pods,
            currentReplicas: p.pods,
            updatedReplicas: p.pods,
            currentRevision: revision,
            updateRevision: revision,
          },
        );
        const owner = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: p.name, uid };
        for (let i = 0; i < p.pods; i++) {
          const name = `${p.name}-${i}`;
          yield* this.pod(
            p,
            name,
            {
              ...labels,
              'apps.kubernetes.io/pod-index': String(i),
              'controller-revision-hash': revision,
              'statefulset.kubernetes.io/pod-name': name,
            },
            owner,
            created,
          );
        }
        return;
      }
      case 'DaemonSet': {
        yield this.top(
          p,
          'apps/v1',
          uid,
          created,
          labels,
          {
            selector: { matchLabels: selector },
            template,
            updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
            revisionHistoryLimit: 10,
          },
          {
            currentNumberScheduled: p.pods,
            desiredNumberScheduled: p.pods,
            numberAvailable: p.pods,
            numberMisscheduled: 0,
            numberReady: p.pods,
            observedGeneration: 1,
            updatedNumberScheduled: p.pods,
          },
        );
        const owner = { apiVersion: 'apps/v1', kind: 'DaemonSet', name: p.name, uid };
        const hash = this.hash(10);
        for (let i = 0; i < p.pods; i++) {
          yield* this.pod(
            p,
            `${p.name}-${this.hash(5)}`,
            { ...labels, 'controller-revision-hash': hash, 'pod-template-generation': '1' },
            owner,
            created,
          );
        }
        return;
      }
      case 'ReplicationController': {
        yield this.top(
          p,
          'v1',
          uid,
          created,
          labels,
          { replicas: p.pods, selector, template },
          { replicas: p.pods, readyReplicas: p.pods, availableReplicas: p.pods, fullyLabeledReplicas: p.pods },
        );
        const owner = { apiVersion: 'v1', kind: 'ReplicationController', name: p.name, uid };
        for (let i = 0; i < p.pods; i++) yield* this.pod(p, `${p.name}-${this.hash(5)}`, labels, owner, created);
        return;
      }
      case 'CronJob': {
        const scheduledMs = BASE_TIME_MS - 20 * 60_000;
        const jobName = `${p.name}-${Math.floor(scheduledMs / 60_000)}`;
        const jobUid = this.uid();
        yield this.top(
          p,
          'batch/v1',
          uid,
          created,
          labels,
          {
            schedule: `${Math.floor(this.rng() * 60)} * * * *`,
            concurrencyPolicy: 'Forbid',
            suspend: false,
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 1,
            jobTemplate: {
              metadata: { labels },
              spec: {
                backoffLimit: 2,
                template: { ...template, spec: { ...(template.spec as Obj), restartPolicy: 'OnFailure' } },
              },
            },
          },
          {
            lastScheduleTime: stamp(scheduledMs),
            active: [{ apiVersion: 'batch/v1', kind: 'Job', name: jobName, namespace: p.namespace, uid: jobUid }],
          },
        );
        yield* this.job(p, jobName, jobUid, labels, template, stamp(scheduledMs), {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          name: p.name,
          uid,
        });
        return;
      }
      case 'Job':
        yield* this.job(p, p.name, uid, labels, template, created);
        return;
      case 'Pod':
        yield* this.pod(p, p.name, labels, undefined, created);
        return;
    }
  }

  private *job(
    p: WorkloadPlan,
    name: string,
    uid: string,
    labels: Obj,
    template: Obj,
    created: string,
    owner?: Owner,
  ): Generator<Obj> {
    const jobLabels = {
      ...labels,
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': name,
      'controller-uid': uid,
      'job-name': name,
    };
    const spec = {
      parallelism: 1,
      completions: 1,
      backoffLimit: owner ? 2 : 6,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      manualSelector: false,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
      template: {
        metadata: { labels: jobLabels },
        spec: { ...(template.spec as Obj), restartPolicy: owner ? 'OnFailure' : 'Never' },
      },
    };
    const job = this.top(
      { ...p, name },
      'batch/v1',
      uid,
      created,
      owner ? labels : jobLabels,
      spec,
      { startTime: created, active: 1, ready: 1, terminating: 0, uncountedTerminatedPods: {} },
      'Job',
    );
    if (owner) (job.metadata as Obj).ownerReferences = [ownerRef(owner)];
    yield job;
    yield* this.pod(
      p,
      `${name}-${this.hash(5)}`,
      jobLabels,
      { apiVersion: 'batch/v1', kind: 'Job', name, uid },
      created,
      owner ? 'OnFailure' : 'Never',
    );
  }

  private replicaSet(
    p: WorkloadPlan,
    owner: Owner,
    template: Obj,
    labels: Obj,
    created: string,
    replicas: number,
    revision: string,
    hash = this.hash(10),
  ): Obj {
    const podLabels = { ...labels, 'pod-template-hash': hash };
    const rs = this.top(
      { ...p, name: `${p.name}-${hash}` },
      'apps/v1',
      this.uid(),
      created,
      podLabels,
      {
        replicas,
        selector: {
          matchLabels: {
            'app.kubernetes.io/name': p.name,
            'app.kubernetes.io/instance': p.name,
            'pod-template-hash': hash,
          },
        },
        template: { ...template, metadata: { ...(template.metadata as Obj), labels: podLabels } },
      },
      {
        replicas,
        fullyLabeledReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        observedGeneration: 1,
      },
      'ReplicaSet',
      {
        'deployment.kubernetes.io/desired-replicas': String(p.pods),
        'deployment.kubernetes.io/max-replicas': String(p.pods + Math.ceil(p.pods / 4)),
        'deployment.kubernetes.io/revision': revision,
      },
    );
    (rs.metadata as Obj).ownerReferences = [ownerRef(owner)];
    return rs;
  }

  /** A top-level object with metadata and managedFields as kubectl/Helm and the controllers leave them. */
  private top(
    p: WorkloadPlan,
    apiVersion: string,
    uid: string,
    created: string,
    labels: Obj,
    spec: Obj,
    status: Obj,
    kind: string = p.kind,
    extraAnnotations: Obj = {},
  ): Obj {
    const manager = p.applied ? 'kubectl-client-side-apply' : 'helm';
    const annotations: Obj = { ...extraAnnotations };
    if (kind !== 'ReplicaSet' && kind !== 'Job') {
      if (p.applied) {
        annotations['kubectl.kubernetes.io/last-applied-configuration'] =
          `${JSON.stringify({ apiVersion, kind, metadata: { labels, name: p.name, namespace: p.namespace }, spec })}\n`;
      } else {
        annotations['meta.helm.sh/release-name'] = p.name;
        annotations['meta.helm.sh/release-namespace'] = p.namespace;
      }
    }
    const metadata: Obj = {
      name: p.name,
      namespace: p.namespace,
      uid,
      generation: 2,
      creationTimestamp: created,
      labels,
      annotations,
      managedFields: [
        {
          manager,
          operation: 'Update',
          apiVersion,
          time: created,
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:annotations': fieldsV1(annotations), 'f:labels': fieldsV1(labels) },
            'f:spec': fieldsV1(spec),
          },
        },
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          apiVersion,
          time: created,
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:status': fieldsV1(status) },
          subresource: 'status',
        },
      ],
    };
    return { apiVersion, kind, metadata, spec, status };
  }

  private template(p: WorkloadPlan, labels: Obj): Obj {
    return {
      metadata: {
        labels,
        annotations: {
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': '9090',
          'kubectl.kubernetes.io/default-container': p.containers[0].name,
        },
      },
      spec: this.podSpec(p, false),
    };
  }

  private podSpec(p: WorkloadPlan, defaulted: boolean): Obj {
    const container = (c: ContainerPlan): Obj => ({
      name: c.name,
      image: c.image,
      imagePullPolicy: 'IfNotPresent',
      ...(c.init
        ? { command: ['/bin/migrate', '--wait'] }
        : {
            ports: [
              { name: 'http', containerPort: c.port, protocol: 'TCP' },
              { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
            ],
            ...(p.env > 0 ? { env: envVars(p.name).slice(0, p.env) } : {}),
            ...(p.probes
              ? {
                  livenessProbe: {
                    httpGet: { path: '/healthz', port: c.port, scheme: 'HTTP' },
                    initialDelaySeconds: 10,
                    periodSeconds: 10,
                    timeoutSeconds: 1,
                    successThreshold: 1,
                    failureThreshold: 3,
                  },
                  readinessProbe: {
                    httpGet: { path: '/ready', port: c.port, scheme: 'HTTP' },
                    periodSeconds: 5,
                    timeoutSeconds: 1,
                    successThreshold: 1,
                    failureThreshold: 3,
                  },
                }
              : {}),
          }),
      resources: resourcesOf(c, defaulted),
      securityContext: {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
      },
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      volumeMounts: [
        { name: 'config', mountPath: '/etc/app', readOnly: true },
        ...(defaulted
          ? [
              {
                name: `kube-api-access-${p.name.length}x7k2`,
                mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
                readOnly: true,
              },
            ]
          : []),
      ],
    });
    const spec: Obj = {
      containers: p.containers.filter((c) => !c.init).map(container),
      ...(p.containers.some((c) => c.init)
        ? { initContainers: p.containers.filter((c) => c.init).map(container) }
        : {}),
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: p.name,
      securityContext: {
        runAsUser: 10001,
        runAsGroup: 10001,
        fsGroup: 10001,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      schedulerName: 'default-scheduler',
      volumes: [{ name: 'config', configMap: { name: `${p.name}-config`, defaultMode: 420 } }],
    };
    return spec;
  }

  private *pod(
    p: WorkloadPlan,
    name: string,
    labels: Obj,
    owner: Owner | undefined,
    created: string,
    restartPolicy = 'Always',
  ): Generator<Obj> {
    const started = stamp(Date.parse(created) + 30_000 + Math.floor(this.rng() * 3_600_000));
    const uid = this.uid();
    const node = `node-${pad(this.node++ % this.nodes, 4)}`;
    const ip = this.nextPodIp();
    const hostIp = `10.0.${(this.node % this.nodes) >> 8}.${(this.node % this.nodes) & 255}`;
    const base = this.podSpec(p, true);
    const spec: Obj = {
      ...base,
      restartPolicy,
      serviceAccount: p.name,
      nodeName: node,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
      volumes: [
        ...(base.volumes as Obj[]),
        {
          name: `kube-api-access-${p.name.length}x7k2`,
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              {
                downwardAPI: {
                  items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
                },
              },
            ],
          },
        },
      ],
    };
    const regular = p.containers.filter((c) => !c.init);
    const status: Obj = {
      phase: 'Running',
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(
        (type) => ({
          type,
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: started,
        }),
      ),
      hostIP: hostIp,
      hostIPs: [{ ip: hostIp }],
      podIP: ip,
      podIPs: [{ ip }],
      startTime: started,
      qosClass: regular.every((c) => c.requests?.cpu && c.limits?.cpu && c.requests.memory && c.limits.memory)
        ? 'Burstable'
        : 'BestEffort',
      ...(p.containers.some((c) => c.init)
        ? {
            initContainerStatuses: p.containers
              .filter((c) => c.init)
              .map((c) => this.containerStatus(c, started, true)),
          }
        : {}),
      containerStatuses: regular.map((c) => this.containerStatus(c, started, false)),
    };
    const metadata: Obj = {
      name,
      ...(owner && owner.kind !== 'StatefulSet' ? { generateName: name.slice(0, name.lastIndexOf('-') + 1) } : {}),
      namespace: p.namespace,
      uid,
      creationTimestamp: created,
      labels,
      annotations: {
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '9090',
        'kubectl.kubernetes.io/default-container': p.containers[0].name,
      },
      ...(owner ? { ownerReferences: [ownerRef(owner)] } : {}),
    };
    metadata.managedFields = [
      {
        manager: owner ? 'kube-controller-manager' : 'kubectl-run',
        operation: 'Update',
        apiVersion: 'v1',
        time: created,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': fieldsV1({
            generateName: 1,
            labels,
            annotations: metadata.annotations,
            ...(owner ? { ownerReferences: metadata.ownerReferences } : {}),
          }),
          'f:spec': fieldsV1(base),
        },
      },
      {
        manager: 'kubelet',
        operation: 'Update',
        apiVersion: 'v1',
        time: started,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:status': fieldsV1(status) },
        subresource: 'status',
      },
    ];
    yield { apiVersion: 'v1', kind: 'Pod', metadata, spec, status };
    // metrics-server: usage varies ±10 % around each container's base; init containers are not reported.
    yield {
      apiVersion: 'metrics.k8s.io/v1beta1',
      kind: 'PodMetrics',
      metadata: { name, namespace: p.namespace, creationTimestamp: stamp(BASE_TIME_MS), labels },
      timestamp: stamp(BASE_TIME_MS - 15_000),
      window: '30s',
      containers: regular.map((c) => ({
        name: c.name,
        usage: {
          cpu: `${Math.round(c.cpuUse * (0.9 + 0.2 * this.rng()) * 1e6)}n`,
          memory: `${Math.round((c.memoryUse * (0.9 + 0.2 * this.rng())) / 1024)}Ki`,
        },
      })),
    };
  }

  private containerStatus(c: ContainerPlan, started: string, init: boolean): Obj {
    return {
      name: c.name,
      image: c.image,
      imageID: `${c.image.split(':')[0]}@sha256:${this.hex(64)}`,
      containerID: `containerd://${this.hex(64)}`,
      ready: !init,
      restartCount: 0,
      started: !init,
      state: init
        ? {
            terminated: {
              exitCode: 0,
              reason: 'Completed',
              startedAt: started,
              finishedAt: started,
              containerID: `containerd://${this.hex(64)}`,
            },
          }
        : { running: { startedAt: started } },
      lastState: {},
    };
  }

  private uid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
  }

  private hex(n: number): string {
    let s = '';
    while (s.length < n)
      s += Math.floor(this.rng() * 0x100000000)
        .toString(16)
        .padStart(8, '0');
    return s.slice(0, n);
  }

  private hash(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += HASH_ALPHABET[Math.floor(this.rng() * HASH_ALPHABET.length)];
    return s;
  }

  private nextPodIp(): string {
    const i = this.podIp++;
    return `10.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
  }
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
