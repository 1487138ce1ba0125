/**
 * The demo cluster: a seeded generator of a realistic small cluster (≈40 workloads over seven
 * namespaces, with the ReplicaSets, Jobs and Pods their controllers would have created, ownerReferences
 * chains and controller labels included) and a metrics provider whose usage varies per poll around a
 * per-container base. Same seed, same objects and same usage series.
 */
import { parseCpu, parseMemory } from '@opsagent/core/quantity';
import { cpuQuantity, memoryQuantity, type ContainerUsage, type MetricsProvider } from './metrics';
import { formatTimestamp } from './store';
import { mulberry32 } from './random';

export const DEFAULT_DEMO_SEED = 42;

type Quantities = { cpu?: string; memory?: string };

interface DemoContainer {
  name: string;
  image: string;
  requests?: Quantities;
  limits?: Quantities;
  /** Typical usage: millicores and MiB; the metrics provider adds noise around it. */
  uses: readonly [cpuMillicores: number, memoryMi: number];
  port?: number;
}

type DemoKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'CronJob' | 'Job' | 'ReplicationController' | 'Pod';

interface DemoWorkload {
  namespace: string;
  kind: DemoKind;
  name: string;
  /** Pods it runs (DaemonSets: one per node; CronJobs: 1 with a running Job, 0 without). */
  replicas?: number;
  containers: DemoContainer[];
  /** On the workload object (where `opsagent.io/ignore` is usually put). */
  annotations?: Record<string, string>;
  /** On the Pod template (where per-container `ignore.opsagent.io/<container>` is usually put). */
  templateAnnotations?: Record<string, string>;
  schedule?: string;
  /** What the workload is in the demo for. */
  why: string;
}

/** A summary row of the demo workloads, for docs and tests. */
export interface DemoWorkloadSummary {
  namespace: string;
  kind: DemoKind;
  name: string;
  why: string;
}

const r = (cpu?: string, memory?: string): Quantities | undefined =>
  cpu === undefined && memory === undefined
    ? undefined
    : { ...(cpu !== undefined ? { cpu } : {}), ...(memory !== undefined ? { memory } : {}) };

/**
 * The workloads. "good" ones use 50–90 % of their requests; the over-provisioned ones 10–20 %, far
 * enough above the default thresholds (request ≥ 2 × usage and ≥ 100m / 128Mi of waste) to be flagged
 * once enough samples are in.
 */
const WORKLOADS: readonly DemoWorkload[] = [
  // shop: a web shop.
  {
    namespace: 'shop',
    kind: 'Deployment',
    name: 'frontend',
    replicas: 3,
    why: 'good: requests and limits sized to usage',
    containers: [
      {
        name: 'frontend',
        image: 'ghcr.io/example/frontend:2.4.1',
        requests: r('100m', '128Mi'),
        limits: r('500m', '256Mi'),
        uses: [65, 92],
        port: 8080,
      },
    ],
  },
  {
    namespace: 'shop',
    kind: 'Deployment',
    name: 'cart',
    replicas: 2,
    why: 'good',
    containers: [
      {
        name: 'cart',
        image: 'ghcr.io/example/cart:1.12.0',
        requests: r('200m', '256Mi'),
        limits: r('1', '512Mi'),
        uses: [130, 175],
        port: 8080,
      },
    ],
  },
  {
    namespace: 'shop',
    kind: 'Deployment',
    name: 'checkout',
    replicas: 2,
    why: 'memory request and both limits missing; istio-proxy sidecar exempted per container',
    templateAnnotations: { 'ignore.opsagent.io/istio-proxy': '*' },
    containers: [
      {
        name: 'checkout',
        image: 'ghcr.io/example/checkout:1.9.0',
        requests: r('250m'),
        uses: [160, 210],
        port: 8080,
      },
      { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.24.0', uses: [12, 44] },
    ],
  },
  {
    namespace: 'shop',
    kind: 'Deployment',
    name: 'catalog',
    replicas: 4,
    why: 'over-provisioned: uses ~12 % of its CPU and ~15 % of its memory request',
    containers: [
      {
        name: 'catalog',
        image: 'ghcr.io/example/catalog:3.0.2',
        requests: r('2', '2Gi'),
        limits: r('4', '4Gi'),
        uses: [240, 310],
        port: 8080,
      },
    ],
  },
  {
    namespace: 'shop',
    kind: 'Deployment',
    name: 'search',
    replicas: 2,
    why: 'memory over-provisioned (~15 % of 4Gi); CPU fine',
    containers: [
      {
        name: 'search',
        image: 'ghcr.io/example/search:5.1.0',
        requests: r('500m', '4Gi'),
        limits: r('1', '4Gi'),
        uses: [320, 615],
        port: 9200,
      },
    ],
  },
  {
    namespace: 'shop',
    kind: 'Deployment',
    name: 'recommendations',
    replicas: 2,
    why: 'no requests and no limits',
    containers: [
      { name: 'recommendations', image: 'ghcr.io/example/recommendations:0.8.3', uses: [180, 420], port: 8080 },
    ],
  },
  {
    namespace: 'shop',
    kind: 'StatefulSet',
    name: 'redis-cart',
    replicas: 1,
    why: 'good',
    containers: [
      {
        name: 'redis',
        image: 'docker.io/library/redis:7.4.1',
        requests: r('100m', '256Mi'),
        limits: r('500m', '512Mi'),
        uses: [70, 190],
        port: 6379,
      },
    ],
  },
  {
    namespace: 'shop',
    kind: 'Deployment',
    name: 'ads',
    replicas: 1,
    why: 'no resources, but exempted as a whole (opsagent.io/ignore: "*")',
    annotations: { 'opsagent.io/ignore': '*' },
    containers: [{ name: 'ads', image: 'ghcr.io/example/ads:0.3.0', uses: [40, 130], port: 8080 }],
  },
  // payments
  {
    namespace: 'payments',
    kind: 'Deployment',
    name: 'payments-api',
    replicas: 3,
    why: 'good',
    containers: [
      {
        name: 'api',
        image: 'ghcr.io/example/payments-api:4.2.0',
        requests: r('500m', '512Mi'),
        limits: r('1', '1Gi'),
        uses: [330, 390],
        port: 8443,
      },
    ],
  },
  {
    namespace: 'payments',
    kind: 'Deployment',
    name: 'fraud-detector',
    replicas: 2,
    why: 'heavily over-provisioned: 4 CPU / 8Gi requested, ~12 % / ~15 % used',
    containers: [
      {
        name: 'model-server',
        image: 'ghcr.io/example/fraud-detector:2.0.0',
        requests: r('4', '8Gi'),
        limits: r('4', '8Gi'),
        uses: [490, 1230],
        port: 8501,
      },
    ],
  },
  {
    namespace: 'payments',
    kind: 'Deployment',
    name: 'payment-gateway',
    replicas: 2,
    why: 'memory limit missing',
    containers: [
      {
        name: 'gateway',
        image: 'ghcr.io/example/payment-gateway:1.4.7',
        requests: r('250m', '256Mi'),
        limits: r('1'),
        uses: [150, 195],
        port: 8080,
      },
    ],
  },
  {
    namespace: 'payments',
    kind: 'StatefulSet',
    name: 'ledger-db',
    replicas: 1,
    why: 'good',
    containers: [
      {
        name: 'postgres',
        image: 'docker.io/library/postgres:17.2',
        requests: r('1', '2Gi'),
        limits: r('2', '4Gi'),
        uses: [610, 1540],
        port: 5432,
      },
    ],
  },
  {
    namespace: 'payments',
    kind: 'CronJob',
    name: 'settlement',
    schedule: '0 2 * * *',
    replicas: 1,
    why: 'CronJob with a running Job and Pod (ownerReferences CronJob → Job → Pod)',
    containers: [
      {
        name: 'settlement',
        image: 'ghcr.io/example/settlement:1.1.0',
        requests: r('500m', '1Gi'),
        limits: r('1', '1Gi'),
        uses: [300, 700],
      },
    ],
  },
  {
    namespace: 'payments',
    kind: 'ReplicationController',
    name: 'legacy-billing',
    replicas: 2,
    why: 'ReplicationController with limits only (requests default to the limits) using ~8 % of them',
    containers: [
      {
        name: 'billing',
        image: 'registry.example.com/legacy/billing:2013.4',
        limits: r('500m', '512Mi'),
        uses: [40, 105],
        port: 8080,
      },
    ],
  },
  // data
  {
    namespace: 'data',
    kind: 'StatefulSet',
    name: 'kafka',
    replicas: 3,
    why: 'memory over-provisioned (~14 % of 8Gi); CPU fine',
    containers: [
      {
        name: 'kafka',
        image: 'docker.io/apache/kafka:3.9.0',
        requests: r('2', '8Gi'),
        limits: r('4', '8Gi'),
        uses: [1250, 1150],
        port: 9092,
      },
    ],
  },
  {
    namespace: 'data',
    kind: 'StatefulSet',
    name: 'zookeeper',
    replicas: 3,
    why: 'good',
    containers: [
      {
        name: 'zookeeper',
        image: 'docker.io/library/zookeeper:3.9.3',
        requests: r('250m', '512Mi'),
        limits: r('500m', '1Gi'),
        uses: [160, 360],
        port: 2181,
      },
    ],
  },
  {
    namespace: 'data',
    kind: 'Deployment',
    name: 'etl-worker',
    replicas: 4,
    why: 'CPU limit missing (on purpose, to avoid throttling)',
    containers: [
      {
        name: 'worker',
        image: 'ghcr.io/example/etl-worker:6.3.1',
        requests: r('1', '2Gi'),
        limits: r(undefined, '2Gi'),
        uses: [720, 1430],
      },
    ],
  },
  {
    namespace: 'data',
    kind: 'Deployment',
    name: 'spark-history',
    replicas: 1,
    why: 'over-provisioned: ~10 % of CPU and ~12 % of memory used',
    containers: [
      {
        name: 'history-server',
        image: 'docker.io/apache/spark:3.5.3',
        requests: r('2', '4Gi'),
        limits: r('2', '4Gi'),
        uses: [200, 500],
        port: 18080,
      },
    ],
  },
  {
    namespace: 'data',
    kind: 'StatefulSet',
    name: 'clickhouse',
    replicas: 2,
    why: 'good',
    containers: [
      {
        name: 'clickhouse',
        image: 'docker.io/clickhouse/clickhouse-server:24.11',
        requests: r('2', '8Gi'),
        limits: r('4', '16Gi'),
        uses: [1320, 5630],
        port: 8123,
      },
    ],
  },
  {
    namespace: 'data',
    kind: 'Deployment',
    name: 'airflow-scheduler',
    replicas: 1,
    why: 'both limits missing',
    containers: [
      {
        name: 'scheduler',
        image: 'docker.io/apache/airflow:2.10.3',
        requests: r('500m', '1Gi'),
        uses: [310, 720],
      },
    ],
  },
  // batch
  {
    namespace: 'batch',
    kind: 'CronJob',
    name: 'report-generator',
    schedule: '*/30 * * * *',
    replicas: 1,
    why: 'CronJob with a running Job and Pod, no resources at all',
    containers: [{ name: 'report', image: 'ghcr.io/example/report-generator:2.2.0', uses: [150, 300] }],
  },
  {
    namespace: 'batch',
    kind: 'CronJob',
    name: 'nightly-backup',
    schedule: '30 3 * * *',
    replicas: 0,
    why: 'CronJob with no Job running (no Pods, no usage)',
    containers: [
      {
        name: 'backup',
        image: 'ghcr.io/example/backup:1.0.4',
        requests: r('100m', '128Mi'),
        limits: r('500m', '256Mi'),
        uses: [80, 100],
      },
    ],
  },
  {
    namespace: 'batch',
    kind: 'Deployment',
    name: 'batch-runner',
    replicas: 2,
    why: 'CPU over-provisioned (~15 % of 1 CPU); memory fine',
    containers: [
      {
        name: 'runner',
        image: 'ghcr.io/example/batch-runner:0.9.12',
        requests: r('1', '1Gi'),
        limits: r('2', '1Gi'),
        uses: [150, 820],
      },
    ],
  },
  {
    namespace: 'batch',
    kind: 'Pod',
    name: 'debug-shell',
    why: 'bare Pod without resources',
    containers: [{ name: 'shell', image: 'docker.io/library/busybox:1.37', uses: [1, 2] }],
  },
  {
    namespace: 'batch',
    kind: 'Job',
    name: 'data-migration',
    replicas: 1,
    why: 'finished Job (its Pod Succeeded: no usage)',
    containers: [
      {
        name: 'migrate',
        image: 'ghcr.io/example/migrate:5.0.0',
        requests: r('200m', '256Mi'),
        limits: r('1', '512Mi'),
        uses: [0, 0],
      },
    ],
  },
  // monitoring
  {
    namespace: 'monitoring',
    kind: 'StatefulSet',
    name: 'prometheus',
    replicas: 2,
    why: 'good, with a small config-reloader sidecar',
    containers: [
      {
        name: 'prometheus',
        image: 'quay.io/prometheus/prometheus:v3.0.1',
        requests: r('1', '4Gi'),
        limits: r('2', '8Gi'),
        uses: [650, 3100],
        port: 9090,
      },
      {
        name: 'config-reloader',
        image: 'quay.io/prometheus-operator/prometheus-config-reloader:v0.78.2',
        requests: r('10m', '32Mi'),
        limits: r('50m', '64Mi'),
        uses: [2, 14],
      },
    ],
  },
  {
    namespace: 'monitoring',
    kind: 'Deployment',
    name: 'grafana',
    replicas: 1,
    why: 'both limits missing',
    containers: [
      {
        name: 'grafana',
        image: 'docker.io/grafana/grafana:11.3.1',
        requests: r('100m', '256Mi'),
        uses: [60, 185],
        port: 3000,
      },
    ],
  },
  {
    namespace: 'monitoring',
    kind: 'StatefulSet',
    name: 'alertmanager',
    replicas: 2,
    why: 'uses ~20 % of small requests: below the minimum waste, not flagged',
    containers: [
      {
        name: 'alertmanager',
        image: 'quay.io/prometheus/alertmanager:v0.27.0',
        requests: r('100m', '128Mi'),
        limits: r('200m', '256Mi'),
        uses: [20, 40],
        port: 9093,
      },
    ],
  },
  {
    namespace: 'monitoring',
    kind: 'DaemonSet',
    name: 'node-exporter',
    why: 'good DaemonSet (one Pod per node)',
    containers: [
      {
        name: 'node-exporter',
        image: 'quay.io/prometheus/node-exporter:v1.8.2',
        requests: r('50m', '64Mi'),
        limits: r('250m', '128Mi'),
        uses: [30, 41],
        port: 9100,
      },
    ],
  },
  {
    namespace: 'monitoring',
    kind: 'Deployment',
    name: 'kube-state-metrics',
    replicas: 1,
    why: 'over-provisioned: ~10 % of CPU and ~12 % of memory used',
    containers: [
      {
        name: 'kube-state-metrics',
        image: 'registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.14.0',
        requests: r('1', '2Gi'),
        limits: r('1', '2Gi'),
        uses: [100, 250],
        port: 8080,
      },
    ],
  },
  {
    namespace: 'monitoring',
    kind: 'Deployment',
    name: 'blackbox-exporter',
    replicas: 1,
    why: 'memory request and both limits missing',
    containers: [
      {
        name: 'blackbox-exporter',
        image: 'quay.io/prometheus/blackbox-exporter:v0.25.0',
        requests: r('50m'),
        uses: [15, 28],
        port: 9115,
      },
    ],
  },
  // logging
  {
    namespace: 'logging',
    kind: 'DaemonSet',
    name: 'fluent-bit',
    why: 'DaemonSet with the memory limit missing',
    containers: [
      {
        name: 'fluent-bit',
        image: 'cr.fluentbit.io/fluent/fluent-bit:3.2.2',
        requests: r('100m', '128Mi'),
        limits: r('500m'),
        uses: [62, 92],
        port: 2020,
      },
    ],
  },
  {
    namespace: 'logging',
    kind: 'StatefulSet',
    name: 'elasticsearch',
    replicas: 3,
    why: 'memory heavily over-provisioned (~14 % of 16Gi); CPU fine',
    containers: [
      {
        name: 'elasticsearch',
        image: 'docker.elastic.co/elasticsearch/elasticsearch:8.16.1',
        requests: r('2', '16Gi'),
        limits: r('4', '16Gi'),
        uses: [1150, 2250],
        port: 9200,
      },
    ],
  },
  {
    namespace: 'logging',
    kind: 'Deployment',
    name: 'kibana',
    replicas: 1,
    why: 'over-provisioned, but the over-provisioning rules are exempted for its container',
    templateAnnotations: { 'ignore.opsagent.io/kibana': 'cpu-overprovisioned,memory-overprovisioned' },
    containers: [
      {
        name: 'kibana',
        image: 'docker.elastic.co/kibana/kibana:8.16.1',
        requests: r('1', '2Gi'),
        limits: r('2', '2Gi'),
        uses: [60, 300],
        port: 5601,
      },
    ],
  },
  {
    namespace: 'logging',
    kind: 'StatefulSet',
    name: 'loki',
    replicas: 1,
    why: 'good',
    containers: [
      {
        name: 'loki',
        image: 'docker.io/grafana/loki:3.3.0',
        requests: r('500m', '1Gi'),
        limits: r('1', '2Gi'),
        uses: [290, 660],
        port: 3100,
      },
    ],
  },
  // kube-system: the agent skips it by default.
  {
    namespace: 'kube-system',
    kind: 'Deployment',
    name: 'coredns',
    replicas: 2,
    why: 'system namespace (excluded by default)',
    containers: [
      {
        name: 'coredns',
        image: 'registry.k8s.io/coredns/coredns:v1.11.3',
        requests: r('100m', '70Mi'),
        limits: r(undefined, '170Mi'),
        uses: [12, 28],
        port: 53,
      },
    ],
  },
  {
    namespace: 'kube-system',
    kind: 'DaemonSet',
    name: 'kube-proxy',
    why: 'system namespace (excluded by default), no resources',
    containers: [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.33.0', uses: [8, 25] }],
  },
  {
    namespace: 'kube-system',
    kind: 'Deployment',
    name: 'metrics-server',
    replicas: 1,
    why: 'system namespace (excluded by default)',
    containers: [
      {
        name: 'metrics-server',
        image: 'registry.k8s.io/metrics-server/metrics-server:v0.7.2',
        requests: r('100m', '200Mi'),
        uses: [9, 38],
        port: 10250,
      },
    ],
  },
];

/** Nodes of the demo cluster: 4 × 16 CPU / 64Gi workers over three zones. */
const NODE_COUNT = 4;
/** The generated objects' clock: everything was created before this instant. */
const BASE_TIME_MS = Date.parse('2026-11-20T08:00:00Z');
const HASH_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MI = 1024 * 1024;

/** FNV-1a: a stable 32-bit hash to derive per-sample noise from a seed and a key. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A deterministic number in [0, 1) for this seed and key. */
function noise(seed: number, key: string): number {
  return mulberry32(fnv1a(`${seed}:${key}`))();
}

interface Owner {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

type Obj = Record<string, unknown>;

interface ContainerProfile {
  name: string;
  cpuMillicores: number;
  memoryBytes: number;
}

export interface DemoCluster {
  objects: Record<string, unknown>[];
  /** Usage per Running Pod and poll: seeded noise around each container's base usage. */
  metricsProvider: MetricsProvider;
  workloads: readonly DemoWorkloadSummary[];
}

/** Builds the demo cluster. Deterministic: the same seed gives the same objects and usage series. */
export function buildDemoCluster(seed: number = DEFAULT_DEMO_SEED): DemoCluster {
  const gen = new Generator(seed);
  for (const w of WORKLOADS) gen.workload(w);
  return {
    objects: gen.objects,
    metricsProvider: demoMetricsProvider(seed, gen.profiles),
    workloads: WORKLOADS.map(({ namespace, kind, name, why }) => ({ namespace, kind, name, why })),
  };
}

/**
 * CPU varies ±30 % per poll around the base (so p95 sits ~25 % above it); memory ±5 %. Pods the
 * generator did not create (added by a test) get half their requests, or 25m / 64Mi without any.
 */
export function demoMetricsProvider(
  seed: number,
  profiles: ReadonlyMap<string, readonly ContainerProfile[]>,
): MetricsProvider {
  return (pod, poll) => {
    const meta = (pod.metadata ?? {}) as Obj;
    const key = `${String(meta.namespace)}/${String(meta.name)}`;
    const profile = profiles.get(key) ?? fallbackProfile(pod);
    return profile.map((c): ContainerUsage => ({
      name: c.name,
      usage: {
        cpu: cpuQuantity(c.cpuMillicores * (0.7 + 0.6 * noise(seed, `${key}/${c.name}/cpu/${poll}`))),
        memory: memoryQuantity(c.memoryBytes * (0.95 + 0.1 * noise(seed, `${key}/${c.name}/memory/${poll}`))),
      },
    }));
  };
}

function fallbackProfile(pod: Readonly<Obj>): ContainerProfile[] {
  const containers = (((pod.spec ?? {}) as Obj).containers ?? []) as Obj[];
  return containers.map((c) => {
    const requests = (((c.resources ?? {}) as Obj).requests ?? {}) as Quantities;
    return {
      name: String(c.name),
      cpuMillicores: requests.cpu !== undefined ? parseCpu(requests.cpu) / 2 : 25,
      memoryBytes: requests.memory !== undefined ? parseMemory(requests.memory) / 2 : 64 * MI,
    };
  });
}

class Generator {
  readonly objects: Obj[] = [];
  readonly profiles = new Map<string, ContainerProfile[]>();
  private readonly rng: () => number;
  private readonly nodes: string[] = [];
  private readonly namespaces = new Set<string>();
  private podIp = 0;
  private serviceIp = 10;
  private nodeCursor = 0;

  constructor(private readonly seed: number) {
    this.rng = mulberry32(seed);
    for (let i = 1; i <= NODE_COUNT; i++) this.node(i);
  }

  workload(w: DemoWorkload): void {
    this.namespace(w.namespace);
    const created = this.timestamp(2 + Math.floor(this.rng() * 60) * 24 * 60);
    switch (w.kind) {
      case 'Deployment':
        return this.deployment(w, created);
      case 'StatefulSet':
        return this.statefulSet(w, created);
      case 'DaemonSet':
        return this.daemonSet(w, created);
      case 'CronJob':
        return this.cronJob(w, created);
      case 'Job':
        return void this.job(w, created, undefined, w.name);
      case 'ReplicationController':
        return this.replicationController(w, created);
      case 'Pod':
        return this.pod(w, created, { labels: this.labels(w) }, undefined, this.nextNode());
    }
  }

  // ---- workload kinds ----

  private deployment(w: DemoWorkload, created: string): void {
    const replicas = w.replicas ?? 1;
    const labels = this.labels(w);
    const uid = this.uid();
    const hash = this.hash(10);
    const template = this.template(w, labels);
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: this.meta(w.name, w.namespace, uid, created, labels, {
        'deployment.kubernetes.io/revision': '1',
        ...w.annotations,
      }),
      spec: {
        replicas,
        revisionHistoryLimit: 10,
        selector: { matchLabels: this.selectorLabels(w) },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
        template,
      },
      status: {
        observedGeneration: 1,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        conditions: [
          condition('Available', 'MinimumReplicasAvailable', created),
          condition('Progressing', 'NewReplicaSetAvailable', created),
        ],
      },
    };
    this.objects.push(deployment);
    this.service(w, created);

    const rsName = `${w.name}-${hash}`;
    const rsUid = this.uid();
    const podLabels = { ...labels, 'pod-template-hash': hash };
    this.objects.push({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        ...this.meta(rsName, w.namespace, rsUid, created, podLabels, {
          'deployment.kubernetes.io/desired-replicas': String(replicas),
          'deployment.kubernetes.io/max-replicas': String(replicas + Math.ceil(replicas / 4)),
          'deployment.kubernetes.io/revision': '1',
        }),
        ownerReferences: [ownerRef({ apiVersion: 'apps/v1', kind: 'Deployment', name: w.name, uid })],
      },
      spec: {
        replicas,
        selector: { matchLabels: { ...this.selectorLabels(w), 'pod-template-hash': hash } },
        template: { ...template, metadata: { ...template.metadata, labels: podLabels } },
      },
      status: { replicas, fullyLabeledReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas },
    });
    const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsName, uid: rsUid };
    for (let i = 0; i < replicas; i++) {
      this.pod(w, created, { labels: podLabels, name: `${rsName}-${this.hash(5)}` }, owner, this.nextNode());
    }
  }

  private statefulSet(w: DemoWorkload, created: string): void {
    const replicas = w.replicas ?? 1;
    const labels = this.labels(w);
    const uid = this.uid();
    const revision = `${w.name}-${this.hash(10)}`;
    this.objects.push({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: this.meta(w.name, w.namespace, uid, created, labels, w.annotations),
      spec: {
        replicas,
        serviceName: w.name,
        podManagementPolicy: 'OrderedReady',
        selector: { matchLabels: this.selectorLabels(w) },
        template: this.template(w, labels),
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      },
      status: {
        observedGeneration: 1,
        replicas,
        readyReplicas: replicas,
        currentReplicas: replicas,
        updatedReplicas: replicas,
        availableReplicas: replicas,
        currentRevision: revision,
        updateRevision: revision,
      },
    });
    this.service(w, created, true);
    const owner = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: w.name, uid };
    for (let i = 0; i < replicas; i++) {
      const name = `${w.name}-${i}`;
      const podLabels = {
        ...labels,
        'apps.kubernetes.io/pod-index': String(i),
        'controller-revision-hash': revision,
        'statefulset.kubernetes.io/pod-name': name,
      };
      this.pod(w, created, { labels: podLabels, name, hostname: name }, owner, this.nextNode());
    }
  }

  private daemonSet(w: DemoWorkload, created: string): void {
    const labels = this.labels(w);
    const uid = this.uid();
    const revision = this.hash(10);
    this.objects.push({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: this.meta(w.name, w.namespace, uid, created, labels, {
        'deprecated.daemonset.template.generation': '1',
        ...w.annotations,
      }),
      spec: {
        selector: { matchLabels: this.selectorLabels(w) },
        template: this.template(w, labels),
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      },
      status: {
        currentNumberScheduled: this.nodes.length,
        desiredNumberScheduled: this.nodes.length,
        numberAvailable: this.nodes.length,
        numberMisscheduled: 0,
        numberReady: this.nodes.length,
        observedGeneration: 1,
        updatedNumberScheduled: this.nodes.length,
      },
    });
    const owner = { apiVersion: 'apps/v1', kind: 'DaemonSet', name: w.name, uid };
    const podLabels = { ...labels, 'controller-revision-hash': revision, 'pod-template-generation': '1' };
    for (const node of this.nodes) {
      this.pod(w, created, { labels: podLabels, name: `${w.name}-${this.hash(5)}` }, owner, node);
    }
  }

  private cronJob(w: DemoWorkload, created: string): void {
    const labels = this.labels(w);
    const uid = this.uid();
    // The CronJob controller names a Job after its scheduled time in minutes since the epoch.
    const scheduledMs = BASE_TIME_MS - 20 * 60_000;
    const jobName = `${w.name}-${Math.floor(scheduledMs / 60_000)}`;
    const owner = { apiVersion: 'batch/v1', kind: 'CronJob', name: w.name, uid };
    const running = (w.replicas ?? 0) > 0;
    const jobUid = running ? this.job(w, formatTimestamp(scheduledMs), owner, jobName) : undefined;
    this.objects.push({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: this.meta(w.name, w.namespace, uid, created, labels, w.annotations),
      spec: {
        schedule: w.schedule,
        concurrencyPolicy: 'Forbid',
        suspend: false,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 1,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: 2,
            template: { ...this.template(w, labels), spec: { ...this.podSpec(w), restartPolicy: 'OnFailure' } },
          },
        },
      },
      status: {
        lastScheduleTime: formatTimestamp(scheduledMs),
        ...(jobUid
          ? { active: [{ apiVersion: 'batch/v1', kind: 'Job', name: jobName, namespace: w.namespace, uid: jobUid }] }
          : { lastSuccessfulTime: formatTimestamp(scheduledMs - 86_400_000 + 15 * 60_000) }),
      },
    });
  }

  /** A Job (owned by a CronJob when `owner` is given) and its Pod; returns the Job's uid. */
  private job(w: DemoWorkload, created: string, owner: Owner | undefined, name: string): string {
    const uid = this.uid();
    const finished = owner === undefined;
    const labels = {
      ...this.labels(w),
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': name,
      'controller-uid': uid,
      'job-name': name,
    };
    const completion = formatTimestamp(Date.parse(created) + 4 * 60_000);
    this.objects.push({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        ...this.meta(name, w.namespace, uid, created, owner ? this.labels(w) : labels, w.annotations),
        ...(owner ? { ownerReferences: [ownerRef(owner)] } : {}),
      },
      spec: {
        parallelism: 1,
        completions: 1,
        backoffLimit: owner ? 2 : 6,
        completionMode: 'NonIndexed',
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
        template: {
          metadata: { labels, ...(w.templateAnnotations ? { annotations: w.templateAnnotations } : {}) },
          spec: { ...this.podSpec(w), restartPolicy: owner ? 'OnFailure' : 'Never' },
        },
      },
      status: finished
        ? {
            startTime: created,
            completionTime: completion,
            succeeded: 1,
            ready: 0,
            conditions: [
              { type: 'Complete', status: 'True', lastProbeTime: completion, lastTransitionTime: completion },
            ],
          }
        : { startTime: created, active: 1, ready: 1 },
    });
    this.pod(
      w,
      created,
      { labels, name: `${name}-${this.hash(5)}`, restartPolicy: owner ? 'OnFailure' : 'Never' },
      { apiVersion: 'batch/v1', kind: 'Job', name, uid },
      this.nextNode(),
      finished ? 'Succeeded' : 'Running',
    );
    return uid;
  }

  private replicationController(w: DemoWorkload, created: string): void {
    const replicas = w.replicas ?? 1;
    const labels = this.labels(w);
    const uid = this.uid();
    this.objects.push({
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: this.meta(w.name, w.namespace, uid, created, labels, w.annotations),
      spec: { replicas, selector: this.selectorLabels(w), template: this.template(w, labels) },
      status: { replicas, fullyLabeledReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas },
    });
    this.service(w, created);
    const owner = { apiVersion: 'v1', kind: 'ReplicationController', name: w.name, uid };
    for (let i = 0; i < replicas; i++) {
      this.pod(w, created, { labels, name: `${w.name}-${this.hash(5)}` }, owner, this.nextNode());
    }
  }

  // ---- Pods ----

  private pod(
    w: DemoWorkload,
    created: string,
    opts: { labels: Record<string, string>; name?: string; hostname?: string; restartPolicy?: string },
    owner: Owner | undefined,
    node: string,
    phase: 'Running' | 'Succeeded' = 'Running',
  ): void {
    const name = opts.name ?? w.name;
    const started = formatTimestamp(Date.parse(created) + 30_000);
    // The API server defaults a container's missing requests to its limits when a Pod is created.
    const containers = w.containers.map((c) => ({
      ...this.container(c),
      resources: resources(c.limits ? { ...c.limits, ...c.requests } : c.requests, c.limits),
    }));
    const ip = this.nextPodIp();
    const hostIp = `10.0.1.${10 + this.nodes.indexOf(node) + 1}`;
    const ready = phase === 'Running';
    this.objects.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...this.meta(
          name,
          w.namespace,
          this.uid(),
          created,
          opts.labels,
          owner ? w.templateAnnotations : w.annotations,
        ),
        // StatefulSet Pods have fixed names; the other controllers' Pods are named by generateName.
        ...(owner && !opts.hostname ? { generateName: name.slice(0, name.lastIndexOf('-') + 1) } : {}),
        ...(owner ? { ownerReferences: [ownerRef(owner)] } : {}),
      },
      spec: {
        containers,
        dnsPolicy: 'ClusterFirst',
        enableServiceLinks: true,
        ...(opts.hostname ? { hostname: opts.hostname, subdomain: w.name } : {}),
        nodeName: node,
        preemptionPolicy: 'PreemptLowerPriority',
        priority: 0,
        restartPolicy: opts.restartPolicy ?? 'Always',
        schedulerName: 'default-scheduler',
        serviceAccount: 'default',
        serviceAccountName: 'default',
        terminationGracePeriodSeconds: 30,
        tolerations: [
          { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
          { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
        ],
      },
      status: {
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
        qosClass: qosClass(containers.map((c) => c.resources)),
        containerStatuses: w.containers.map((c) => ({
          name: c.name,
          image: c.image,
          imageID: `${c.image.split(':')[0]}@sha256:${this.hex(64)}`,
          containerID: `containerd://${this.hex(64)}`,
          ready,
          restartCount: 0,
          started: ready,
          state: ready
            ? { running: { startedAt: started } }
            : {
                terminated: {
                  exitCode: 0,
                  reason: 'Completed',
                  startedAt: started,
                  finishedAt: formatTimestamp(Date.parse(started) + 3 * 60_000),
                },
              },
        })),
      },
    });
    if (phase === 'Running') {
      this.profiles.set(
        `${w.namespace}/${name}`,
        w.containers.map((c) => ({ name: c.name, cpuMillicores: c.uses[0], memoryBytes: c.uses[1] * MI })),
      );
    }
  }

  // ---- shared pieces ----

  private labels(w: DemoWorkload): Record<string, string> {
    return { ...this.selectorLabels(w), 'app.kubernetes.io/part-of': w.namespace };
  }

  private selectorLabels(w: DemoWorkload): Record<string, string> {
    return { 'app.kubernetes.io/name': w.name };
  }

  private template(w: DemoWorkload, labels: Record<string, string>): { metadata: Obj; spec: Obj } {
    return {
      metadata: { labels, ...(w.templateAnnotations ? { annotations: w.templateAnnotations } : {}) },
      spec: this.podSpec(w),
    };
  }

  private podSpec(w: DemoWorkload): Obj {
    return {
      containers: w.containers.map((c) => ({ ...this.container(c), resources: resources(c.requests, c.limits) })),
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
    };
  }

  private container(c: DemoContainer): Obj {
    return {
      name: c.name,
      image: c.image,
      imagePullPolicy: 'IfNotPresent',
      ...(c.port ? { ports: [{ containerPort: c.port, protocol: 'TCP' }] } : {}),
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    };
  }

  private meta(
    name: string,
    namespace: string,
    uid: string,
    created: string,
    labels: Record<string, string>,
    annotations?: Record<string, string>,
  ): Obj {
    return {
      name,
      namespace,
      uid,
      generation: 1,
      creationTimestamp: created,
      labels,
      ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
    };
  }

  private service(w: DemoWorkload, created: string, headless = false): void {
    const port = w.containers.find((c) => c.port)?.port;
    if (port === undefined) return;
    const clusterIP = headless ? 'None' : `10.96.${Math.floor(this.serviceIp / 250)}.${this.serviceIp++ % 250}`;
    this.objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: this.meta(w.name, w.namespace, this.uid(), created, this.labels(w)),
      spec: {
        type: 'ClusterIP',
        clusterIP,
        clusterIPs: [clusterIP],
        selector: this.selectorLabels(w),
        ports: [{ name: 'main', port, targetPort: port, protocol: 'TCP' }],
        sessionAffinity: 'None',
      },
      status: { loadBalancer: {} },
    });
  }

  private namespace(name: string): void {
    if (this.namespaces.has(name)) return;
    this.namespaces.add(name);
    const created = this.timestamp(90 * 24 * 60);
    this.objects.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, uid: this.uid(), creationTimestamp: created, labels: { 'kubernetes.io/metadata.name': name } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
    this.objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: this.meta(
        'kube-root-ca.crt',
        name,
        this.uid(),
        created,
        {},
        {
          'kubernetes.io/description':
            'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
        },
      ),
      data: {
        'ca.crt':
          '-----BEGIN CERTIFICATE-----\nMIIC/demo/simulator/not/a/real/certificate\n-----END CERTIFICATE-----\n',
      },
    });
  }

  private node(i: number): void {
    const name = `worker-${i}`;
    const zone = `eu-west-1${'abc'[(i - 1) % 3]}`;
    const created = this.timestamp(120 * 24 * 60);
    this.nodes.push(name);
    this.objects.push({
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
          { type: 'InternalIP', address: `10.0.1.${10 + i}` },
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
    });
  }

  private nextNode(): string {
    return this.nodes[this.nodeCursor++ % this.nodes.length];
  }

  private nextPodIp(): string {
    const n = this.podIp++;
    return `10.244.${1 + (n % NODE_COUNT)}.${10 + Math.floor(n / NODE_COUNT)}`;
  }

  /** `minutesAgo` before the base time. */
  private timestamp(minutesAgo: number): string {
    return formatTimestamp(BASE_TIME_MS - minutesAgo * 60_000);
  }

  private uid(): string {
    const h = this.hex(32).split('');
    h[12] = '4';
    h[16] = '89ab'[Math.floor(this.rng() * 4)];
    const s = h.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }

  /** The alphabet Kubernetes uses for generated name suffixes and pod-template-hash (no vowels). */
  private hash(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += HASH_ALPHABET[Math.floor(this.rng() * HASH_ALPHABET.length)];
    return out;
  }

  private hex(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += Math.floor(this.rng() * 16).toString(16);
    return out;
  }
}

function ownerRef(owner: Owner): Obj {
  return { ...owner, controller: true, blockOwnerDeletion: true };
}

function condition(type: string, reason: string, at: string): Obj {
  return { type, status: 'True', reason, lastUpdateTime: at, lastTransitionTime: at };
}

function resources(requests?: Quantities, limits?: Quantities): Obj {
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

/** The Pod's QoS class, as the API server computes it. */
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
