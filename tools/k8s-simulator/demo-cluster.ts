/**
 * The demo cluster: the `demo` profile of the synthetic-cluster generator (tools/synthetic-cluster), a realistic
 * small cluster (≈40 hand-written workloads over seven namespaces, with the ReplicaSets, Jobs and Pods their
 * controllers would have created, ownerReferences chains and controller labels included, and the Namespaces,
 * Nodes and Services around them) and a metrics provider whose usage varies per poll around a per-container
 * base. Same seed, same objects and same usage series.
 */
import { parseCpu, parseMemory } from '@opsagent/core/quantity';
import {
  ClusterGenerator,
  type ContainerUsageBase,
  type TopKind,
  type WorkloadPlan,
} from '../synthetic-cluster/generator';
import { cpuQuantity, memoryQuantity, type ContainerUsage, type MetricsProvider } from './metrics';
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
  /** OOM-killed this many hours before the demo's day started (UTC), after `restarts` restarts. */
  oomKilled?: { hoursAgo: number; restarts: number };
  /**
   * Share of its CFS periods throttled (cAdvisor's counters, which only the Prometheus source reads: `npm run demo
   * -- --prometheus`); containers with a CPU limit and no share are throttled in 0.5 % of them.
   */
  throttled?: number;
}

type DemoKind = TopKind;

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
    name: 'image-resizer',
    replicas: 2,
    why: 'OOMKilled within the usage window at its 256Mi limit: memory-oom-killed, and no memory cut',
    containers: [
      {
        name: 'resizer',
        image: 'ghcr.io/example/image-resizer:1.3.0',
        requests: r('100m', '256Mi'),
        limits: r('500m', '256Mi'),
        uses: [60, 90],
        port: 8080,
        oomKilled: { hoursAgo: 2, restarts: 4 },
      },
    ],
  },
  {
    namespace: 'shop',
    kind: 'Deployment',
    name: 'session-cache',
    replicas: 1,
    why: 'uses 1.6× its memory request: memory-underprovisioned (eviction risk under node memory pressure)',
    containers: [
      {
        name: 'redis',
        image: 'redis:7.4',
        requests: r('50m', '128Mi'),
        limits: r('200m', '512Mi'),
        uses: [20, 205],
        port: 6379,
      },
    ],
  },
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
    why: 'good on metrics-server; with the Prometheus source its bursts hit the CPU limit in 25 % of its CFS periods: cpu-throttled, and no CPU cut',
    containers: [
      {
        name: 'api',
        image: 'ghcr.io/example/payments-api:4.2.0',
        requests: r('500m', '512Mi'),
        limits: r('1', '1Gi'),
        uses: [330, 390],
        port: 8443,
        throttled: 0.25,
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
    why: 'memory limit missing; CPU over-provisioned (~12 % of 500m), its cost counted over its Pods (one per node)',
    containers: [
      {
        name: 'fluent-bit',
        image: 'cr.fluentbit.io/fluent/fluent-bit:3.2.2',
        requests: r('500m', '128Mi'),
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
  // team-a: a namespace whose LimitRange (CONTEXT_OBJECTS) gives containers their requests and limits.
  {
    namespace: 'team-a',
    kind: 'Deployment',
    name: 'notebook',
    replicas: 1,
    why: "no resources; team-a's LimitRange sets them (`*-missing` info, over-provisioned)",
    containers: [{ name: 'notebook', image: 'quay.io/jupyter/base-notebook:2025-11-10', uses: [30, 60], port: 8888 }],
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

type Obj = Record<string, unknown>;

export interface DemoCluster {
  objects: Record<string, unknown>[];
  /** Usage per Running Pod and poll: seeded noise around each container's base usage. */
  metricsProvider: MetricsProvider;
  workloads: readonly DemoWorkloadSummary[];
}

/**
 * A demo workload as the generator's plan: DaemonSets on every node, a bare Job finished, a CronJob's Job running.
 * OOM kills are placed before `dayStart` (the start of the demo's UTC day), so they stay within the usage window
 * whenever the demo runs, and the same seed on the same day gives the same objects.
 */
function toPlan(w: DemoWorkload, dayStart: number): WorkloadPlan {
  const pods = w.kind === 'DaemonSet' ? NODE_COUNT : w.kind === 'CronJob' ? (w.replicas ?? 0) : (w.replicas ?? 1);
  return {
    kind: w.kind,
    namespace: w.namespace,
    name: w.name,
    pods,
    containers: w.containers.map((c) => ({
      name: c.name,
      image: c.image,
      ...(c.port !== undefined ? { port: c.port } : {}),
      ...(c.requests ? { requests: c.requests } : {}),
      ...(c.limits ? { limits: c.limits } : {}),
      cpuUse: c.uses[0],
      memoryUse: c.uses[1] * MI,
      ...(c.oomKilled
        ? { oomKilled: { at: dayStart - c.oomKilled.hoursAgo * 3_600_000, restarts: c.oomKilled.restarts } }
        : {}),
    })),
    ...(w.annotations ? { annotations: w.annotations } : {}),
    ...(w.templateAnnotations ? { templateAnnotations: w.templateAnnotations } : {}),
    ...(w.schedule ? { schedule: w.schedule } : {}),
    finished: w.kind === 'Job',
  };
}

/**
 * What the rules account for beside the workloads (issue 13 §3–4): team-a's LimitRange, and an HPA that scales
 * shop/catalog on CPU at 60 % utilization (its CPU recommendation is p95 ÷ 0.6, not the bare p95).
 */
const CONTEXT_OBJECTS: readonly Obj[] = [
  {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'team-a-defaults', namespace: 'team-a', uid: '6f1c2a3e-0b4d-4c5e-9a1f-13a000000001' },
    spec: {
      limits: [
        {
          type: 'Container',
          default: { cpu: '500m', memory: '512Mi' },
          defaultRequest: { cpu: '250m', memory: '256Mi' },
          max: { cpu: '2', memory: '2Gi' },
        },
      ],
    },
  },
  {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'catalog', namespace: 'shop', uid: '6f1c2a3e-0b4d-4c5e-9a1f-13a000000002' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'catalog' },
      minReplicas: 2,
      maxReplicas: 8,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
      ],
    },
  },
];

/** Each demo container's share of throttled CFS periods, by `namespace/workload/container` (see `throttled`). */
export function demoThrottling(): ReadonlyMap<string, number> {
  const shares = new Map<string, number>();
  for (const w of WORKLOADS) {
    for (const c of w.containers) {
      if (c.limits?.cpu !== undefined) shares.set(`${w.namespace}/${w.name}/${c.name}`, c.throttled ?? 0.005);
    }
  }
  return shares;
}

/**
 * Builds the demo cluster. Deterministic: the same seed (on the same UTC day of `now`, which places the OOM kills
 * inside the usage window) gives the same objects and usage series.
 */
export function buildDemoCluster(seed: number = DEFAULT_DEMO_SEED, now: number = Date.now()): DemoCluster {
  const gen = new ClusterGenerator({ seed, nodes: NODE_COUNT, clusterObjects: true, podMetrics: false });
  const objects: Obj[] = [...gen.nodeObjects()];
  const dayStart = Math.floor(now / 86_400_000) * 86_400_000;
  for (const w of WORKLOADS) for (const o of gen.workload(toPlan(w, dayStart))) objects.push(o);
  for (const o of CONTEXT_OBJECTS) objects.push(structuredClone(o));
  return {
    objects,
    metricsProvider: demoMetricsProvider(seed, gen.usage),
    workloads: WORKLOADS.map(({ namespace, kind, name, why }) => ({ namespace, kind, name, why })),
  };
}

/**
 * CPU varies ±30 % per poll around the base (so p95 sits ~25 % above it); memory ±5 %. Pods the
 * generator did not create (added by a test) get half their requests, or 25m / 64Mi without any.
 */
export function demoMetricsProvider(
  seed: number,
  profiles: ReadonlyMap<string, readonly ContainerUsageBase[]>,
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

function fallbackProfile(pod: Readonly<Obj>): ContainerUsageBase[] {
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
