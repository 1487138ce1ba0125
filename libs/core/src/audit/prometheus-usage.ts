import type { ContainerUsageStats } from '../rules/rule';
import { workloadRef, type Workload } from '../workload';
import { matchesSelector } from '../manifests/selector';
import type { UsageSource } from './usage-stats';

/**
 * One Pod container's usage over the window, as Prometheus aggregated it from cAdvisor's series (one row per
 * `namespace`/`pod`/`container`; the Pod-level series with `container=""` or `"POD"` are never asked for).
 */
export interface PodContainerUsage {
  namespace: string;
  pod: string;
  container: string;
  /** 95th percentile over the window of the CPU rate, millicores. */
  cpuP95?: number;
  /** Maximum over the window of the working set, bytes. */
  memoryMax?: number;
  /** Prometheus samples of the working-set series inside the window (one per scrape). */
  samples: number;
  /** Times (ms since the epoch) of the oldest and newest sample inside the window. */
  firstSampleAt?: number;
  lastSampleAt?: number;
  /**
   * `increase()` over the window of cAdvisor's `container_cpu_cfs_throttled_periods_total` and
   * `container_cpu_cfs_periods_total` (CFS periods, 100 ms each by default); absent for a container without a CPU
   * limit (cAdvisor has no CFS series for it).
   */
  cpuThrottledPeriods?: number;
  cpuPeriods?: number;
}

/** `kube_pod_owner` (kube-state-metrics): the controller of a Pod; `kind` is `<none>` for a bare Pod. */
export interface PodOwner {
  namespace: string;
  pod: string;
  kind: string;
  name: string;
}

/** `kube_replicaset_owner` / `kube_job_owner`: the controller of a ReplicaSet (a Deployment) or Job (a CronJob). */
export interface ControllerOwner {
  namespace: string;
  /** The ReplicaSet's or Job's name. */
  name: string;
  kind: string;
  owner: string;
}

/** A Pod of the cluster as the scan read it: the fallback when Prometheus has no owner series. */
export interface LivePod {
  namespace: string;
  name: string;
  labels: Readonly<Record<string, string>>;
}

export interface PrometheusUsageInput {
  workloads: readonly Workload[];
  usage: readonly PodContainerUsage[];
  /** From `kube_pod_owner`; empty when Prometheus has no such series (then the live Pods decide). */
  podOwners: readonly PodOwner[];
  replicaSetOwners: readonly ControllerOwner[];
  jobOwners: readonly ControllerOwner[];
  livePods: readonly LivePod[];
}

/** How the Pods with usage were attributed, for the scan's counts and warnings. */
export interface AttributionCounts {
  /** Pods with usage in Prometheus. */
  pods: number;
  /** …attributed through kube-state-metrics' owner series. */
  byOwner: number;
  /** …attributed through a live Pod's labels (no owner series for it). */
  byLivePod: number;
  /** …attributed to no audited workload (its workload is gone, or not audited). */
  unattributed: number;
}

/**
 * Usage read from Prometheus over the whole window, attributed to workloads. A Pod belongs to the workload at the
 * top of its controller chain as kube-state-metrics recorded it: Pod → ReplicaSet → Deployment, Pod → Job →
 * CronJob, Pod → StatefulSet, DaemonSet or ReplicationController, a Pod with no controller to itself. Owner series
 * outlive the Pod in the window, so a Pod replaced by a rollout still counts for the workload. A Pod without owner
 * series is attributed as the offline audit does, through a live Pod of that name: a workload's selector matching
 * its labels (a bare Pod by name).
 *
 * A workload container's figure combines its Pods' figures: **CPU is the highest of the Pods' p95s, memory the
 * highest of their peaks** (so the figure describes the busiest Pod, as the service's own history does), `samples`
 * is the sum of the Pods' Prometheus samples, and the coverage runs from the oldest to the newest of those samples.
 * A container gets a figure only when Prometheus has both its CPU and its memory.
 */
export class PrometheusUsage implements UsageSource {
  private readonly stats = new Map<string, Map<string, ContainerUsageStats>>();
  readonly counts: AttributionCounts;

  constructor(input: PrometheusUsageInput) {
    const owners = ownerIndex(input);
    const byRef = new Map<string, Workload>(input.workloads.map((w) => [workloadRef(w), w]));
    const livePodWorkloads = new LivePodIndex(input.workloads, input.livePods);
    const podWorkload = new Map<string, string | null>();
    const counts: AttributionCounts = { pods: 0, byOwner: 0, byLivePod: 0, unattributed: 0 };
    const merged = new Map<string, Map<string, Merged>>();

    for (const row of input.usage) {
      const podKey = `${row.namespace}/${row.pod}`;
      let ref = podWorkload.get(podKey);
      if (ref === undefined) {
        counts.pods++;
        // An owner chain that ends at no audited workload (a ReplicaSet whose owner series is missing) falls
        // back to the live Pod, as a Pod without owner series does.
        const owned = owners.workloadOf(row.namespace, row.pod);
        if (owned !== undefined && byRef.has(owned)) {
          ref = owned;
          counts.byOwner++;
        } else {
          ref = livePodWorkloads.workloadOf(row.namespace, row.pod) ?? null;
          if (ref) counts.byLivePod++;
          else counts.unattributed++;
        }
        podWorkload.set(podKey, ref);
      }
      if (!ref) continue;
      let containers = merged.get(ref);
      if (!containers) merged.set(ref, (containers = new Map()));
      const m = containers.get(row.container);
      if (!m) containers.set(row.container, fromRow(row));
      else mergeRow(m, row);
    }
    for (const [ref, containers] of merged) {
      const out = new Map<string, ContainerUsageStats>();
      for (const [name, m] of containers) {
        if (m.cpuP95 === undefined || m.memoryMax === undefined) continue;
        out.set(name, {
          samples: m.samples,
          cpuP95: m.cpuP95,
          memoryMax: m.memoryMax,
          ...(m.firstSampleAt !== undefined ? { firstSampleAt: m.firstSampleAt } : {}),
          ...(m.lastSampleAt !== undefined ? { lastSampleAt: m.lastSampleAt } : {}),
          // Throttling: the workload container's throttled periods ÷ all its periods, over all its Pods.
          ...(m.cpuPeriods !== undefined && m.cpuThrottledPeriods !== undefined
            ? { cpuPeriods: m.cpuPeriods, cpuThrottledPeriods: m.cpuThrottledPeriods }
            : {}),
        });
      }
      if (out.size > 0) this.stats.set(ref, out);
    }
    this.counts = counts;
  }

  statsFor(workload: Workload): ReadonlyMap<string, ContainerUsageStats> {
    return this.stats.get(workloadRef(workload)) ?? new Map();
  }

  /** Prometheus samples behind every figure (the scan's `usageSamples`). */
  get sampleCount(): number {
    let n = 0;
    for (const containers of this.stats.values()) for (const s of containers.values()) n += s.samples;
    return n;
  }
}

type Merged = Omit<PodContainerUsage, 'namespace' | 'pod' | 'container'>;

function fromRow(row: PodContainerUsage): Merged {
  return {
    cpuP95: row.cpuP95,
    memoryMax: row.memoryMax,
    samples: row.samples,
    firstSampleAt: row.firstSampleAt,
    lastSampleAt: row.lastSampleAt,
    cpuThrottledPeriods: row.cpuThrottledPeriods,
    cpuPeriods: row.cpuPeriods,
  };
}

function mergeRow(m: Merged, row: PodContainerUsage): void {
  m.cpuP95 = maxOf(m.cpuP95, row.cpuP95);
  m.memoryMax = maxOf(m.memoryMax, row.memoryMax);
  m.samples += row.samples;
  m.firstSampleAt =
    row.firstSampleAt === undefined ? m.firstSampleAt : Math.min(m.firstSampleAt ?? Infinity, row.firstSampleAt);
  m.lastSampleAt = maxOf(m.lastSampleAt, row.lastSampleAt);
  m.cpuThrottledPeriods = sumOf(m.cpuThrottledPeriods, row.cpuThrottledPeriods);
  m.cpuPeriods = sumOf(m.cpuPeriods, row.cpuPeriods);
}

function sumOf(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a + b;
}

function maxOf(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}

/** The kube-state-metrics owner chains: `namespace/pod` → the workload ref at the top of its chain. */
function ownerIndex(input: PrometheusUsageInput): { workloadOf(namespace: string, pod: string): string | undefined } {
  const pods = new Map<string, PodOwner>(input.podOwners.map((o) => [`${o.namespace}/${o.pod}`, o]));
  const up = (list: readonly ControllerOwner[]) => new Map(list.map((o) => [`${o.namespace}/${o.name}`, o]));
  const replicaSets = up(input.replicaSetOwners);
  const jobs = up(input.jobOwners);
  return {
    workloadOf(namespace, pod) {
      const owner = pods.get(`${namespace}/${pod}`);
      if (!owner) return undefined;
      if (owner.kind === '<none>' || owner.kind === '') return workloadRef({ kind: 'Pod', namespace, name: pod });
      const parents = owner.kind === 'ReplicaSet' ? replicaSets : owner.kind === 'Job' ? jobs : undefined;
      const parent = parents?.get(`${namespace}/${owner.name}`);
      if (parent && parent.kind !== '<none>' && parent.kind !== '') {
        return workloadRef({ kind: parent.kind, namespace, name: parent.owner });
      }
      return workloadRef({ kind: owner.kind, namespace, name: owner.name });
    },
  };
}

/** Live Pods by name, each to the first workload (in the given order) whose selector matches its labels. */
class LivePodIndex {
  private readonly byNamespace = new Map<string, Workload[]>();
  private readonly pods = new Map<string, LivePod>();
  private readonly bare = new Set<string>();

  constructor(workloads: readonly Workload[], livePods: readonly LivePod[]) {
    for (const w of workloads) {
      if (w.kind === 'Pod' || !w.selector) continue;
      const list = this.byNamespace.get(w.namespace) ?? [];
      list.push(w);
      this.byNamespace.set(w.namespace, list);
    }
    for (const w of workloads) if (w.kind === 'Pod') this.bare.add(`${w.namespace}/${w.name}`);
    for (const p of livePods) this.pods.set(`${p.namespace}/${p.name}`, p);
  }

  workloadOf(namespace: string, pod: string): string | undefined {
    const key = `${namespace}/${pod}`;
    if (this.bare.has(key)) return workloadRef({ kind: 'Pod', namespace, name: pod });
    const live = this.pods.get(key);
    if (!live) return undefined;
    const match = (this.byNamespace.get(namespace) ?? []).find((w) => matchesSelector(w.selector, live.labels));
    return match ? workloadRef(match) : undefined;
  }
}
