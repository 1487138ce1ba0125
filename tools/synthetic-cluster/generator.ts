/**
 * The one synthetic-cluster generator: the objects an API server holds for a list of workload plans, seeded, so
 * the same plans and seed give the same objects. The bench (bench/cluster.ts), the usage-history bench and the
 * demo (tools/k8s-simulator/demo-cluster.ts) are profiles of it:
 * - `tiny`, `small`, `large`: random plans (`planWorkloads`) of a size, spread over its namespaces;
 * - `dense`: a size's workloads in one namespace (`denseOf`), where attribution must not scan the namespace;
 * - `demo`: a hand-written list of about 40 workloads, with Namespaces, Nodes and Services around them.
 *
 * Each workload comes with what its controllers would have created: ReplicaSets (and an old one scaled to 0 after
 * a rollout), Jobs of CronJobs, Pods with ownerReferences chains and controller labels, full Pod JSON with
 * managedFields, conditions and container statuses (5–13 KB a Pod, as on a real server). Usage is either one
 * PodMetrics object per Running Pod or a per-container base for a metrics provider (the demo's varies per poll).
 * Objects are produced lazily, so a large cluster is never held as object graphs.
 */
import { mulberry32 } from '../k8s-simulator/random';

export type TopKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'CronJob' | 'Job' | 'ReplicationController' | 'Pod';

type Obj = Record<string, unknown>;
type Quantities = { cpu?: string; memory?: string };

export interface ContainerPlan {
  name: string;
  image: string;
  port?: number;
  requests?: Quantities;
  limits?: Quantities;
  /** Usage: millicores and bytes (PodMetrics objects vary ±10 % around it per Pod). */
  cpuUse: number;
  memoryUse: number;
  init?: boolean;
  /**
   * The container was OOM-killed at this time (ms) and restarted `restarts` times: its status' `lastState` holds
   * the kill (`reason: OOMKilled`, exit code 137), its `state` the run since.
   */
  oomKilled?: { at: number; restarts: number };
}

export interface WorkloadPlan {
  kind: TopKind;
  namespace: string;
  name: string;
  /** Pods it runs. DaemonSets: one per node they run on; CronJobs: 1 with a running Job, 0 without. */
  pods: number;
  containers: ContainerPlan[];
  /** On the workload object (where `opsagent.io/ignore` is usually put). */
  annotations?: Record<string, string>;
  /** On the Pod template (where per-container `ignore.opsagent.io/<container>` is usually put). */
  templateAnnotations?: Record<string, string>;
  /** CronJobs; default a minute of every hour. */
  schedule?: string;
  /** A Job (not a CronJob's) that has completed: its Pod Succeeded, so metrics-server has no sample of it. */
  finished?: boolean;
  /** Deployments: an older ReplicaSet scaled to 0 (revision history), as after a rollout. */
  oldReplicaSet?: boolean;
  /** true: applied with kubectl (last-applied-configuration); false: installed by Helm; absent: neither. */
  applied?: boolean;
  /** Environment variables per container (0–5) and whether probes are set: Pods vary in size. */
  env?: number;
  probes?: boolean;
}

export interface GeneratorOptions {
  seed: number;
  /** Worker nodes the Pods are spread over (DaemonSet Pods one per node). */
  nodes: number;
  /** Namespace, kube-root-ca.crt ConfigMap, Node and Service objects, as `kubectl get all -A` would show them. */
  clusterObjects: boolean;
  /** One PodMetrics object per Running Pod; without, the usage bases are kept in `usage` for a metrics provider. */
  podMetrics: boolean;
}

/** A Running Pod's containers' usage bases (millicores, bytes), for a metrics provider; keyed `namespace/name`. */
export interface ContainerUsageBase {
  name: string;
  cpuMillicores: number;
  memoryBytes: number;
}

/** The generated objects' clock: everything was created before this instant. */
export const BASE_TIME_MS = Date.parse('2026-11-20T08:00:00Z');
const HASH_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MI = 1024 * 1024;

// ---- profiles: random plans of a size -------------------------------------------------------------------

export type SizeName = 'tiny' | 'small' | 'medium' | 'large';

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
  /** Two fifths of `large`: where the agent's memory can be studied in a few minutes. */
  medium: { workloads: 5_000, namespaces: 200, pods: 24_000 },
  large: { workloads: 12_500, namespaces: 500, pods: 60_000 },
};

/** The `dense` profile: a size's workloads and Pods in one namespace (the same plans otherwise). */
export function denseOf(size: ClusterSize): ClusterSize {
  return { ...size, namespaces: 1 };
}

/**
 * How a workload's containers declare resources. `over`: requests and limits, used at 8–20 % (flagged by
 * the over-provisioning rules); `sized`: used at 50–90 %; the rest miss some or all of requests/limits.
 */
type ResourceProfile = 'sized' | 'over' | 'none' | 'requests-only' | 'limits-only' | 'cpu-only';

const KIND_WEIGHTS: readonly [TopKind, number][] = [
  ['Deployment', 62],
  ['StatefulSet', 12],
  ['DaemonSet', 2],
  ['CronJob', 8],
  ['Job', 4],
  ['ReplicationController', 2],
  ['Pod', 10],
];
const PROFILE_WEIGHTS: readonly [ResourceProfile, number][] = [
  ['sized', 40],
  ['over', 15],
  ['none', 15],
  ['requests-only', 15],
  ['limits-only', 8],
  ['cpu-only', 7],
];
export const NAMES = [
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

function pick<T>(rng: () => number, weights: readonly [T, number][]): T {
  const total = weights.reduce((s, [, w]) => s + w, 0);
  let x = rng() * total;
  for (const [value, w] of weights) {
    x -= w;
    if (x < 0) return value;
  }
  return weights[weights.length - 1][0];
}

export function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Worker nodes for a size: one per 30 Pods, at least 3. */
export function nodesFor(size: ClusterSize): number {
  return Math.max(3, Math.ceil(size.pods / 30));
}

/**
 * A size's top-level workloads before they become objects: kind, namespace, name, Pods and containers (what
 * `ClusterGenerator` turns into objects, and what the usage-history bench feeds the history directly).
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

function mainContainer(rng: () => number, base: string, profile: ResourceProfile): ContainerPlan {
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

// ---- objects ----------------------------------------------------------------------------------------------

function envVars(name: string): Obj[] {
  return [
    { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
    { name: 'LOG_LEVEL', value: 'info' },
    { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel-collector.observability.svc:4317' },
    { name: 'DATABASE_PASSWORD', valueFrom: { secretKeyRef: { name: `${name}-db`, key: 'password' } } },
  ];
}

/** `resources` as the API server stores them: on Pods a missing request defaults to the limit. */
function resourcesOf(c: ContainerPlan, defaulted: boolean): Obj {
  const requests = defaulted && c.limits ? { ...c.limits, ...c.requests } : c.requests;
  return { ...(requests ? { requests } : {}), ...(c.limits ? { limits: c.limits } : {}) };
}

/** The Pod's QoS class, as the API server computes it from the (defaulted) resources of its containers. */
function qosClass(all: Obj[]): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const get = (o: Obj, k: 'requests' | 'limits') => (o[k] ?? {}) as Quantities;
  if (all.every((o) => Object.keys(get(o, 'requests')).length === 0 && Object.keys(get(o, 'limits')).length === 0)) {
    return 'BestEffort';
  }
  const guaranteed = all.every((o) => {
    const req = get(o, 'requests');
    const lim = get(o, 'limits');
    return (['cpu', 'memory'] as const).every((k) => lim[k] !== undefined && req[k] === lim[k]);
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
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

function condition(type: string, reason: string, at: string): Obj {
  return { type, status: 'True', reason, lastUpdateTime: at, lastTransitionTime: at };
}

interface PodOptions {
  name: string;
  labels: Record<string, string>;
  owner: Owner | undefined;
  created: string;
  restartPolicy?: string;
  /** StatefulSet Pods: hostname and subdomain (the headless Service). */
  hostname?: string;
  /** Default the next node round the nodes. */
  node?: string;
  phase?: 'Running' | 'Succeeded';
}

/** Turns plans into objects; one PRNG, so the same options and plans in the same order give the same objects. */
export class ClusterGenerator {
  /** Usage bases of the Running Pods generated so far, by `namespace/name` (without `podMetrics`). */
  readonly usage = new Map<string, ContainerUsageBase[]>();
  private readonly rng: () => number;
  private readonly nodes: string[] = [];
  private readonly namespaces = new Set<string>();
  private podIp = 0;
  private serviceIp = 10;
  private nodeCursor = 0;

  constructor(private readonly options: GeneratorOptions) {
    this.rng = mulberry32(options.seed ^ 0x5bd1e995);
    for (let i = 1; i <= options.nodes; i++) this.nodes.push(`worker-${i}`);
  }

  /** The Node objects (with `clusterObjects`); yield them once, before or after the workloads. */
  *nodeObjects(): Generator<Obj> {
    if (!this.options.clusterObjects) return;
    for (let i = 1; i <= this.nodes.length; i++) yield this.node(i);
  }

  /** The workload's objects, and its namespace's the first time the namespace comes (with `clusterObjects`). */
  *workload(p: WorkloadPlan): Generator<Obj> {
    if (this.options.clusterObjects && !this.namespaces.has(p.namespace)) {
      this.namespaces.add(p.namespace);
      yield* this.namespaceObjects(p.namespace);
    }
    const created = stamp(
      BASE_TIME_MS - Math.floor(this.rng() * 90) * 86_400_000 - Math.floor(this.rng() * 86_400_000),
    );
    const selector = { 'app.kubernetes.io/name': p.name, 'app.kubernetes.io/instance': p.name };
    const labels: Record<string, string> = {
      ...selector,
      'app.kubernetes.io/part-of': p.namespace,
      'app.kubernetes.io/version': p.containers[0].image.split(':')[1] ?? 'latest',
      ...(p.applied === undefined ? {} : { 'app.kubernetes.io/managed-by': p.applied ? 'kubectl' : 'Helm' }),
    };
    const uid = this.uid();
    const template = this.template(p, labels);
    /** The workload object itself. */
    const own = (apiVersion: string, spec: Obj, status: Obj, annotations?: Record<string, string>): Obj =>
      this.top(p, apiVersion, uid, created, labels, spec, status, p.kind, annotations);
    switch (p.kind) {
      case 'Deployment': {
        yield own(
          'apps/v1',
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
            conditions: [
              condition('Available', 'MinimumReplicasAvailable', created),
              condition('Progressing', 'NewReplicaSetAvailable', created),
            ],
          },
          { 'deployment.kubernetes.io/revision': p.oldReplicaSet ? '2' : '1' },
        );
        yield* this.service(p, created, labels, selector, false);
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
        const podLabels = { ...labels, 'pod-template-hash': hash };
        for (let i = 0; i < p.pods; i++) {
          yield* this.pod(p, { name: `${p.name}-${hash}-${this.hash(5)}`, labels: podLabels, owner: rsOwner, created });
        }
        return;
      }
      case 'StatefulSet': {
        const revision = `${p.name}-${this.hash(10)}`;
        yield own(
          'apps/v1',
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
            observedGeneration: 1,
            replicas: p.pods,
            readyReplicas: p.pods,
            currentReplicas: p.pods,
            updatedReplicas: p.pods,
            availableReplicas: p.pods,
            currentRevision: revision,
            updateRevision: revision,
          },
        );
        yield* this.service(p, created, labels, selector, true);
        const owner = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: p.name, uid };
        for (let i = 0; i < p.pods; i++) {
          const name = `${p.name}-${i}`;
          const podLabels = {
            ...labels,
            'apps.kubernetes.io/pod-index': String(i),
            'controller-revision-hash': revision,
            'statefulset.kubernetes.io/pod-name': name,
          };
          yield* this.pod(p, { name, labels: podLabels, owner, created, hostname: name });
        }
        return;
      }
      case 'DaemonSet': {
        yield own(
          'apps/v1',
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
          { 'deprecated.daemonset.template.generation': '1' },
        );
        const owner = { apiVersion: 'apps/v1', kind: 'DaemonSet', name: p.name, uid };
        const hash = this.hash(10);
        const podLabels = { ...labels, 'controller-revision-hash': hash, 'pod-template-generation': '1' };
        for (let i = 0; i < p.pods; i++) {
          yield* this.pod(p, { name: `${p.name}-${this.hash(5)}`, labels: podLabels, owner, created });
        }
        return;
      }
      case 'ReplicationController': {
        yield own(
          'v1',
          { replicas: p.pods, selector, template },
          { replicas: p.pods, readyReplicas: p.pods, availableReplicas: p.pods, fullyLabeledReplicas: p.pods },
        );
        yield* this.service(p, created, labels, selector, false);
        const owner = { apiVersion: 'v1', kind: 'ReplicationController', name: p.name, uid };
        for (let i = 0; i < p.pods; i++) {
          yield* this.pod(p, { name: `${p.name}-${this.hash(5)}`, labels, owner, created });
        }
        return;
      }
      case 'CronJob': {
        // The CronJob controller names a Job after its scheduled time in minutes since the epoch.
        const scheduledMs = BASE_TIME_MS - 20 * 60_000;
        const jobName = `${p.name}-${Math.floor(scheduledMs / 60_000)}`;
        const running = p.pods > 0;
        const jobUid = running ? this.uid() : undefined;
        yield own(
          'batch/v1',
          {
            schedule: p.schedule ?? `${Math.floor(this.rng() * 60)} * * * *`,
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
            ...(jobUid
              ? {
                  active: [{ apiVersion: 'batch/v1', kind: 'Job', name: jobName, namespace: p.namespace, uid: jobUid }],
                }
              : { lastSuccessfulTime: stamp(scheduledMs - 86_400_000 + 15 * 60_000) }),
          },
        );
        if (jobUid) {
          yield* this.job(p, jobName, jobUid, labels, template, stamp(scheduledMs), {
            apiVersion: 'batch/v1',
            kind: 'CronJob',
            name: p.name,
            uid,
          });
        }
        return;
      }
      case 'Job':
        yield* this.job(p, p.name, uid, labels, template, created);
        return;
      case 'Pod':
        yield* this.pod(p, { name: p.name, labels, owner: undefined, created });
        return;
    }
  }

  /** A Job (owned by a CronJob when `owner` is given) and its Pod. */
  private *job(
    p: WorkloadPlan,
    name: string,
    uid: string,
    labels: Record<string, string>,
    template: Obj,
    created: string,
    owner?: Owner,
  ): Generator<Obj> {
    const finished = owner === undefined && p.finished === true;
    const jobLabels = {
      ...labels,
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': name,
      'controller-uid': uid,
      'job-name': name,
    };
    const completion = stamp(Date.parse(created) + 4 * 60_000);
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
        metadata: { ...(template.metadata as Obj), labels: jobLabels },
        spec: { ...(template.spec as Obj), restartPolicy: owner ? 'OnFailure' : 'Never' },
      },
    };
    const status = finished
      ? {
          startTime: created,
          completionTime: completion,
          succeeded: 1,
          ready: 0,
          conditions: [{ type: 'Complete', status: 'True', lastProbeTime: completion, lastTransitionTime: completion }],
        }
      : { startTime: created, active: 1, ready: 1, terminating: 0, uncountedTerminatedPods: {} };
    const job = this.top({ ...p, name }, 'batch/v1', uid, created, owner ? labels : jobLabels, spec, status, 'Job');
    if (owner) (job.metadata as Obj).ownerReferences = [ownerRef(owner)];
    yield job;
    yield* this.pod(p, {
      name: `${name}-${this.hash(5)}`,
      labels: jobLabels,
      owner: { apiVersion: 'batch/v1', kind: 'Job', name, uid },
      created,
      restartPolicy: owner ? 'OnFailure' : 'Never',
      phase: finished ? 'Succeeded' : 'Running',
    });
  }

  private replicaSet(
    p: WorkloadPlan,
    owner: Owner,
    template: Obj,
    labels: Record<string, string>,
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
    labels: Record<string, string>,
    spec: Obj,
    status: Obj,
    kind: string = p.kind,
    extraAnnotations: Record<string, string> = {},
  ): Obj {
    const manager = p.applied === undefined ? 'kubectl-create' : p.applied ? 'kubectl-client-side-apply' : 'helm';
    const annotations: Record<string, string> = { ...extraAnnotations };
    if (kind !== 'ReplicaSet' && kind !== 'Job') {
      if (p.applied === true) {
        annotations['kubectl.kubernetes.io/last-applied-configuration'] =
          `${JSON.stringify({ apiVersion, kind, metadata: { labels, name: p.name, namespace: p.namespace }, spec })}\n`;
      } else if (p.applied === false) {
        annotations['meta.helm.sh/release-name'] = p.name;
        annotations['meta.helm.sh/release-namespace'] = p.namespace;
      }
    }
    // The plan's own annotations (exemptions) are on the workload object, not on what its controller creates.
    if (kind === p.kind) Object.assign(annotations, p.annotations);
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

  private podAnnotations(p: WorkloadPlan): Record<string, string> {
    return {
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9090',
      'kubectl.kubernetes.io/default-container': p.containers[0].name,
    };
  }

  private template(p: WorkloadPlan, labels: Record<string, string>): Obj {
    return {
      metadata: { labels, annotations: { ...this.podAnnotations(p), ...p.templateAnnotations } },
      spec: this.podSpec(p, false),
    };
  }

  private podSpec(p: WorkloadPlan, defaulted: boolean): Obj {
    const env = p.env ?? 0;
    const container = (c: ContainerPlan): Obj => ({
      name: c.name,
      image: c.image,
      imagePullPolicy: 'IfNotPresent',
      ...(c.init
        ? { command: ['/bin/migrate', '--wait'] }
        : {
            ...(c.port !== undefined
              ? {
                  ports: [
                    { name: 'http', containerPort: c.port, protocol: 'TCP' },
                    { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
                  ],
                }
              : {}),
            ...(env > 0 ? { env: envVars(p.name).slice(0, env) } : {}),
            ...(p.probes && c.port !== undefined
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
    return {
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
  }

  private *pod(p: WorkloadPlan, o: PodOptions): Generator<Obj> {
    const { name, labels, owner, created } = o;
    const phase = o.phase ?? 'Running';
    const ready = phase === 'Running';
    const started = stamp(Date.parse(created) + 30_000 + Math.floor(this.rng() * 3_600_000));
    const uid = this.uid();
    const nodeIndex = this.nodeCursor++ % this.nodes.length;
    const node = o.node ?? this.nodes[nodeIndex];
    const ip = this.nextPodIp();
    const hostIp = `10.0.${(nodeIndex + 1) >> 8}.${(nodeIndex + 1) & 255}`;
    const base = this.podSpec(p, true);
    const spec: Obj = {
      ...base,
      restartPolicy: o.restartPolicy ?? 'Always',
      serviceAccount: p.name,
      nodeName: node,
      ...(o.hostname ? { hostname: o.hostname, subdomain: p.name } : {}),
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
      phase,
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(
        (type) => ({
          type,
          status: ready || type === 'Initialized' || type === 'PodScheduled' ? 'True' : 'False',
          lastProbeTime: null,
          lastTransitionTime: started,
          ...(!ready && (type === 'Ready' || type === 'ContainersReady') ? { reason: 'PodCompleted' } : {}),
        }),
      ),
      hostIP: hostIp,
      hostIPs: [{ ip: hostIp }],
      podIP: ip,
      podIPs: [{ ip }],
      startTime: started,
      qosClass: qosClass(regular.map((c) => resourcesOf(c, true))),
      ...(p.containers.some((c) => c.init)
        ? {
            initContainerStatuses: p.containers
              .filter((c) => c.init)
              .map((c) => this.containerStatus(c, started, 'completed')),
          }
        : {}),
      containerStatuses: regular.map((c) => this.containerStatus(c, started, ready ? 'running' : 'completed')),
    };
    const metadata: Obj = {
      name,
      // StatefulSet Pods have fixed names; the other controllers' Pods are named by generateName.
      ...(owner && !o.hostname ? { generateName: name.slice(0, name.lastIndexOf('-') + 1) } : {}),
      namespace: p.namespace,
      uid,
      creationTimestamp: created,
      labels,
      annotations: { ...this.podAnnotations(p), ...(owner ? p.templateAnnotations : p.annotations) },
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
    if (!ready) return; // metrics-server reports Running Pods only
    if (!this.options.podMetrics) {
      this.usage.set(
        `${p.namespace}/${name}`,
        regular.map((c) => ({ name: c.name, cpuMillicores: c.cpuUse, memoryBytes: c.memoryUse })),
      );
      return;
    }
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

  private containerStatus(c: ContainerPlan, started: string, state: 'running' | 'completed'): Obj {
    const running = state === 'running';
    return {
      name: c.name,
      image: c.image,
      imageID: `${c.image.split(':')[0]}@sha256:${this.hex(64)}`,
      containerID: `containerd://${this.hex(64)}`,
      ready: running,
      restartCount: running && c.oomKilled ? c.oomKilled.restarts : 0,
      started: running,
      state: running
        ? { running: { startedAt: c.oomKilled ? stamp(c.oomKilled.at + 2_000) : started } }
        : {
            terminated: {
              exitCode: 0,
              reason: 'Completed',
              startedAt: started,
              finishedAt: stamp(Date.parse(started) + 3 * 60_000),
              containerID: `containerd://${this.hex(64)}`,
            },
          },
      lastState:
        running && c.oomKilled
          ? {
              terminated: {
                exitCode: 137,
                reason: 'OOMKilled',
                startedAt: stamp(Math.max(Date.parse(started), c.oomKilled.at - 3_600_000)),
                finishedAt: stamp(c.oomKilled.at),
                containerID: `containerd://${this.hex(64)}`,
              },
            }
          : {},
    };
  }

  /** A Service in front of a workload that serves a port (headless for a StatefulSet), with `clusterObjects`. */
  private *service(
    p: WorkloadPlan,
    created: string,
    labels: Record<string, string>,
    selector: Record<string, string>,
    headless: boolean,
  ): Generator<Obj> {
    const port = p.containers.find((c) => c.port !== undefined && !c.init)?.port;
    if (!this.options.clusterObjects || port === undefined) return;
    const clusterIP = headless ? 'None' : `10.96.${Math.floor(this.serviceIp / 250)}.${this.serviceIp++ % 250}`;
    yield {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: p.name, namespace: p.namespace, uid: this.uid(), creationTimestamp: created, labels },
      spec: {
        type: 'ClusterIP',
        clusterIP,
        clusterIPs: [clusterIP],
        selector,
        ports: [{ name: 'main', port, targetPort: port, protocol: 'TCP' }],
        sessionAffinity: 'None',
      },
      status: { loadBalancer: {} },
    };
  }

  private *namespaceObjects(name: string): Generator<Obj> {
    const created = stamp(BASE_TIME_MS - 90 * 86_400_000);
    yield {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, uid: this.uid(), creationTimestamp: created, labels: { 'kubernetes.io/metadata.name': name } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    };
    yield {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'kube-root-ca.crt',
        namespace: name,
        uid: this.uid(),
        creationTimestamp: created,
        annotations: {
          'kubernetes.io/description':
            'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
        },
      },
      data: {
        'ca.crt':
          '-----BEGIN CERTIFICATE-----\nMIIC/demo/simulator/not/a/real/certificate\n-----END CERTIFICATE-----\n',
      },
    };
  }

  private node(i: number): Obj {
    const name = this.nodes[i - 1];
    const zone = `eu-west-1${'abc'[(i - 1) % 3]}`;
    const created = stamp(BASE_TIME_MS - 120 * 86_400_000);
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        uid: this.uid(),
        creationTimestamp: created,
        labels: {
          'kubernetes.io/arch': 'amd64',
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'node.kubernetes.io/instance-type': 'm6i.4xlarge',
          'topology.kubernetes.io/region': 'eu-west-1',
          'topology.kubernetes.io/zone': zone,
        },
      },
      spec: {
        podCIDR: `10.244.${i}.0/24`,
        podCIDRs: [`10.244.${i}.0/24`],
        providerID: `aws:///${zone}/i-${this.hex(17)}`,
      },
      status: {
        addresses: [
          { type: 'InternalIP', address: `10.0.${i >> 8}.${i & 255}` },
          { type: 'Hostname', address: name },
        ],
        capacity: { cpu: '16', 'ephemeral-storage': '104845292Ki', memory: '64929668Ki', pods: '110' },
        allocatable: { cpu: '15890m', 'ephemeral-storage': '95551679124', memory: '63212420Ki', pods: '110' },
        conditions: [
          { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory' },
          { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure' },
          { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID' },
          { type: 'Ready', status: 'True', reason: 'KubeletReady' },
        ].map((c) => ({ ...c, lastHeartbeatTime: created, lastTransitionTime: created })),
        nodeInfo: {
          architecture: 'amd64',
          containerRuntimeVersion: 'containerd://2.0.1',
          kernelVersion: '6.1.115-126.197.amzn2023.x86_64',
          kubeProxyVersion: 'v1.33.0',
          kubeletVersion: 'v1.33.0',
          operatingSystem: 'linux',
          osImage: 'Amazon Linux 2023.6.20241121',
        },
      },
    };
  }

  /** A version-4 UUID, as the API server gives every object. */
  private uid(): string {
    const h = this.hex(32);
    const variant = '89ab'[Math.floor(this.rng() * 4)];
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20)}`;
  }

  private hex(n: number): string {
    let s = '';
    while (s.length < n)
      s += Math.floor(this.rng() * 0x100000000)
        .toString(16)
        .padStart(8, '0');
    return s.slice(0, n);
  }

  /** The alphabet Kubernetes uses for generated name suffixes and pod-template-hash (no vowels). */
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
