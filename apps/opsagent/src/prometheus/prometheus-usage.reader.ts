import {
  PrometheusUsage,
  type ControllerOwner,
  type PodContainerUsage,
  type PodOwner,
} from '@opsagent/core/audit/prometheus-usage';
import type { ScanWarning } from '@opsagent/core/issue';
import { PrometheusClient, PrometheusError, type VectorSample } from './prometheus.client';
import { WindowUsageReader, type WindowUsage, type WindowUsageRequest } from './window-usage-reader';

/**
 * What one query of a batch of namespaces may read, per series and summed over its Pods' series: the raw samples of
 * the window (at ASSUMED_SCRAPE_S) or the subquery's steps, whichever is more. It bounds the query's time (a range
 * function reads every raw sample of its range) and the points a subquery holds at once: Prometheus refuses a query
 * over `--query.max-samples` (50,000,000 by default), and a subquery holds steps × series. 20 million leaves room for
 * the series of Pods gone since (not in the live count).
 */
export const SAMPLES_PER_BATCH = 20_000_000;
/** kube-prometheus-stack scrapes cAdvisor every 30 s. */
const ASSUMED_SCRAPE_S = 30;
/** Containers a Pod is assumed to have when sizing batches (the live Pods are counted, not their containers). */
const CONTAINERS_PER_POD = 2;
/** Finest subquery step. */
const MIN_STEP_S = 60;
/** Steps per window at most: 30 days at 5 minutes. A longer window (or shorter range) gets a coarser step. */
const MAX_STEPS = 8_640;

const STAT_LABEL = 'opsagent_stat';

export interface PrometheusUsageSettings {
  windowMs: number;
  /** `usage.prometheus.rateRange`: range of the CPU `rate()` (5 minutes: 10 scrapes at kube-prometheus-stack's 30 s). */
  rateRangeMs: number;
  /** Default SAMPLES_PER_BATCH (tests lower it to see batches split). */
  samplesPerBatch?: number;
}

/**
 * Reads the scan's usage from Prometheus over `overProvisioning.window`, aggregated by Prometheus: per Pod
 * container the p95 of the CPU rate (`quantile_over_time` over a subquery of `rate()`), the peak working set
 * (`max_over_time`), its samples (`count_over_time`) and the times of the oldest and newest of them
 * (`timestamp()`), and the CFS periods throttled and in all (`increase()`). One query per batch of namespaces, sized by their live Pods, plus one for the owner series of
 * kube-state-metrics: never one per container.
 */
export class PrometheusUsageReader extends WindowUsageReader {
  private readonly windowS: number;
  private readonly stepS: number;
  private readonly samplesPerBatch: number;
  private readonly rateRange: string;

  constructor(
    private readonly client: PrometheusClient,
    settings: PrometheusUsageSettings,
  ) {
    super();
    this.samplesPerBatch = settings.samplesPerBatch ?? SAMPLES_PER_BATCH;
    const rateRangeS = Math.max(1, Math.round(settings.rateRangeMs / 1000));
    this.rateRange = `${rateRangeS}s`;
    this.windowS = Math.max(1, Math.round(settings.windowMs / 1000));
    // One step per rate range: the ranges tile the window, so every sample counts once, and the p95 is that of
    // the rate-range averages (5-minute averages by default: 4,032 of them over 14 days).
    this.stepS = Math.max(MIN_STEP_S, rateRangeS, Math.ceil(this.windowS / MAX_STEPS));
  }

  async read(request: WindowUsageRequest): Promise<WindowUsage> {
    const now = request.now ?? Date.now();
    const namespaces = [
      ...new Set(request.workloads.map((w) => w.namespace).filter((ns) => request.isNamespaceAudited(ns))),
    ].sort();
    if (namespaces.length === 0) {
      // Nothing to ask about: no warning about series Prometheus was never asked for.
      const empty = new PrometheusUsage({ ...parseOwners([]), workloads: [], usage: [], livePods: [] });
      return { ok: true, usage: empty, queries: 0, warnings: [] };
    }
    const batches = this.batches(namespaces, request);
    let queries = 0;
    const ask = async (query: string): Promise<VectorSample[]> => {
      queries++;
      return this.client.query(query, now, request.signal);
    };
    try {
      const usage: PodContainerUsage[] = [];
      const owners = parseOwners(await ask(this.ownersQuery(namespaces)));
      for (const batch of batches) usage.push(...parseUsage(await ask(this.usageQuery(batch))));
      const result = new PrometheusUsage({
        workloads: request.workloads,
        usage,
        ...owners,
        livePods: request.livePods,
      });
      return { ok: true, usage: result, queries, warnings: attributionWarnings(result, owners) };
    } catch (error) {
      if (!(error instanceof PrometheusError)) throw error;
      return { ok: false, reason: error.message, queries };
    }
  }

  /** Namespaces in batches whose live Pods keep a query within SAMPLES_PER_BATCH (a namespace is never split). */
  private batches(namespaces: readonly string[], request: WindowUsageRequest): string[][] {
    const pods = new Map<string, number>();
    for (const p of request.livePods) pods.set(p.namespace, (pods.get(p.namespace) ?? 0) + 1);
    const perSeries = Math.max(Math.ceil(this.windowS / this.stepS), Math.ceil(this.windowS / ASSUMED_SCRAPE_S));
    const budget = Math.max(1, Math.floor(this.samplesPerBatch / (perSeries * CONTAINERS_PER_POD)));
    const out: string[][] = [];
    let current: string[] = [];
    let weight = 0;
    for (const ns of namespaces) {
      const w = Math.max(1, pods.get(ns) ?? 0);
      if (current.length > 0 && weight + w > budget) {
        out.push(current);
        current = [];
        weight = 0;
      }
      current.push(ns);
      weight += w;
    }
    if (current.length > 0) out.push(current);
    return out;
  }

  private usageQuery(namespaces: readonly string[]): string {
    const sel = `{namespace=~"${namespaceRegex(namespaces)}",container!="",container!="POD"}`;
    const range = `${this.windowS}s`;
    const sub = `[${range}:${this.stepS}s]`;
    const by = 'by (namespace, pod, container)';
    const cpu = `container_cpu_usage_seconds_total${sel}`;
    const mem = `container_memory_working_set_bytes${sel}`;
    const cfs = (name: string) => `sum ${by} (increase(container_cpu_cfs_${name}_total${sel}[${range}]))`;
    const stat = (name: string, expr: string) => `label_replace(${expr}, "${STAT_LABEL}", "${name}", "", "")`;
    return [
      stat('cpu_p95', `max ${by} (quantile_over_time(0.95, rate(${cpu}[${this.rateRange}])${sub}))`),
      stat('memory_max', `max ${by} (max_over_time(${mem}[${range}]))`),
      stat('samples', `sum ${by} (count_over_time(${mem}[${range}]))`),
      // `timestamp()` of a bare selector in a subquery (the sample's own time) took 17.6 s where this took 1.1 s
      // (Prometheus 2.42, 300 series over 7 days); of an expression (`> -Inf` keeps every value) it is the time of
      // the step that sees a sample, so first and last are exact to within one step.
      stat('first', `min ${by} (min_over_time(timestamp(${mem} > -Inf)${sub}))`),
      stat('last', `max ${by} (max_over_time(timestamp(${mem} > -Inf)${sub}))`),
      // CPU throttling (cpu-throttled): CFS periods throttled and all CFS periods over the window; counters, so
      // `increase()` (which handles their resets at a container restart). Only containers with a CPU limit have them.
      stat('throttled', cfs('throttled_periods')),
      stat('periods', cfs('periods')),
    ].join(' or ');
  }

  private ownersQuery(namespaces: readonly string[]): string {
    const ns = `namespace=~"${namespaceRegex(namespaces)}"`;
    const range = `${this.windowS}s`;
    return [
      `max by (namespace, pod, owner_kind, owner_name) (max_over_time(kube_pod_owner{${ns},owner_is_controller!="false"}[${range}]))`,
      `max by (namespace, replicaset, owner_kind, owner_name) (max_over_time(kube_replicaset_owner{${ns}}[${range}]))`,
      `max by (namespace, job_name, owner_kind, owner_name) (max_over_time(kube_job_owner{${ns}}[${range}]))`,
    ].join(' or ');
  }
}

/** Namespace names are DNS-1123 labels (no regex metacharacters); escaped all the same. */
function namespaceRegex(namespaces: readonly string[]): string {
  return namespaces.map((ns) => ns.replace(/[\\^$.|?*+()[\]{}]/g, '\\\\$&')).join('|');
}

function parseUsage(vector: readonly VectorSample[]): PodContainerUsage[] {
  const rows = new Map<string, PodContainerUsage>();
  for (const { metric, value } of vector) {
    const { namespace, pod, container } = metric;
    if (!namespace || !pod || !container) continue;
    const key = `${namespace}\u0000${pod}\u0000${container}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { namespace, pod, container, samples: 0 }));
    switch (metric[STAT_LABEL]) {
      case 'cpu_p95':
        row.cpuP95 = value * 1000; // cores → millicores
        break;
      case 'memory_max':
        row.memoryMax = value;
        break;
      case 'samples':
        row.samples = value;
        break;
      case 'first':
        row.firstSampleAt = Math.round(value * 1000);
        break;
      case 'last':
        row.lastSampleAt = Math.round(value * 1000);
        break;
      case 'throttled':
        row.cpuThrottledPeriods = value;
        break;
      case 'periods':
        row.cpuPeriods = value;
        break;
    }
  }
  return [...rows.values()];
}

interface Owners {
  podOwners: PodOwner[];
  replicaSetOwners: ControllerOwner[];
  jobOwners: ControllerOwner[];
}

function parseOwners(vector: readonly VectorSample[]): Owners {
  const owners: Owners = { podOwners: [], replicaSetOwners: [], jobOwners: [] };
  for (const { metric } of vector) {
    const { namespace, owner_kind: kind = '', owner_name: owner = '' } = metric;
    if (!namespace) continue;
    if (metric.pod) owners.podOwners.push({ namespace, pod: metric.pod, kind, name: owner });
    else if (metric.replicaset) owners.replicaSetOwners.push({ namespace, name: metric.replicaset, kind, owner });
    else if (metric.job_name) owners.jobOwners.push({ namespace, name: metric.job_name, kind, owner });
  }
  return owners;
}

function attributionWarnings(usage: PrometheusUsage, owners: Owners): ScanWarning[] {
  const { pods, byLivePod, unattributed } = usage.counts;
  if (pods === 0) {
    return [
      {
        code: 'prometheus-no-usage',
        message:
          'Prometheus has no container_cpu_usage_seconds_total / container_memory_working_set_bytes series with ' +
          'namespace, pod and container labels for the audited namespaces (is cAdvisor scraped?)',
      },
    ];
  }
  const warnings: ScanWarning[] = [];
  if (owners.podOwners.length === 0) {
    warnings.push({
      code: 'prometheus-no-owners',
      message:
        'Prometheus has no kube_pod_owner series (is kube-state-metrics scraped?): Pods were attributed to ' +
        `workloads through the live Pods (${byLivePod} of ${pods} Pods with usage), so Pods gone since a rollout ` +
        `are not counted (${unattributed} Pods with usage belong to no live Pod)`,
    });
  } else if (owners.replicaSetOwners.length === 0 && owners.podOwners.some((o) => o.kind === 'ReplicaSet')) {
    warnings.push({
      code: 'prometheus-no-owners',
      message:
        'Prometheus has kube_pod_owner but no kube_replicaset_owner series: Pods of ReplicaSets owned by a ' +
        `Deployment cannot be attributed to it (${unattributed} of ${pods} Pods with usage unattributed)`,
    });
  }
  return warnings;
}
