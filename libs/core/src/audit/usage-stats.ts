import type { ContainerUsageStats } from '../rules/rule';
import type { UsageSample } from '../usage';
import type { Workload } from '../workload';
import { UsageAttribution } from './usage-attribution';

/** Where the audit gets measured usage of a workload's containers from. */
export interface UsageSource {
  /** Per container name; an absent container has no usage. */
  statsFor(workload: Workload): ReadonlyMap<string, ContainerUsageStats>;
}

export const NO_USAGE: UsageSource = { statsFor: () => new Map() };

/** Nearest-rank percentile (p in 0..100) of values sorted ascending. */
export function percentile(sortedAscending: ArrayLike<number>, p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sortedAscending.length));
  return sortedAscending[rank - 1];
}

/** U: the 95th percentile of CPU and the maximum of memory, over every sample of every Pod. */
export function summarizeUsage(cpu: number[], memory: number[]): ContainerUsageStats {
  const sortedCpu = [...cpu].sort((a, b) => a - b);
  return {
    samples: cpu.length,
    cpuP95: percentile(sortedCpu, 95),
    memoryMax: memory.reduce((a, b) => Math.max(a, b), 0),
  };
}

/** One workload's samples per container name, and the span of time they cover (with how many carry a time). */
interface WorkloadSamples {
  cpu: Map<string, number[]>;
  memory: Map<string, number[]>;
  times: Map<string, { first: number; last: number; n: number }>;
}

/**
 * Usage from a fixed set of PodMetrics samples (manifest files, or one read of a cluster): every sample of every
 * Pod of a workload, attributed as the service attributes them (UsageAttribution: the Pod's controller chain,
 * labels where no chain is known). Samples are grouped once, here, so `statsFor` costs only the workload's own.
 */
export class SampleUsage implements UsageSource {
  private readonly byWorkload = new Map<Workload, WorkloadSamples>();

  /** `attribution`: over the same workloads; default, by labels and bare-Pod names only (no Pods known). */
  constructor(workloads: readonly Workload[], samples: Iterable<UsageSample>, attribution?: UsageAttribution) {
    const attribute = attribution ?? new UsageAttribution(workloads);
    for (const sample of samples) {
      for (const workload of attribute.workloadsOf(sample)) {
        let values = this.byWorkload.get(workload);
        if (!values) this.byWorkload.set(workload, (values = { cpu: new Map(), memory: new Map(), times: new Map() }));
        // A PodMetrics measures the `window` before its `timestamp`: that interval is what the sample covers.
        const end = sample.timestamp === undefined ? NaN : Date.parse(sample.timestamp);
        for (const c of sample.containers) {
          push(values.cpu, c.name, c.cpu);
          push(values.memory, c.name, c.memory);
          if (Number.isNaN(end)) continue;
          const start = end - (sample.windowMs ?? 0);
          const t = values.times.get(c.name);
          if (!t) values.times.set(c.name, { first: start, last: end, n: 1 });
          else {
            t.first = Math.min(t.first, start);
            t.last = Math.max(t.last, end);
            t.n++;
          }
        }
      }
    }
  }

  statsFor(workload: Workload): ReadonlyMap<string, ContainerUsageStats> {
    const stats = new Map<string, ContainerUsageStats>();
    const values = this.byWorkload.get(workload);
    if (!values) return stats;
    for (const [name, cpu] of values.cpu) {
      const summary = summarizeUsage(cpu, values.memory.get(name) ?? []);
      // Coverage only when every sample of the container has a time: a figure must not claim more than it knows.
      const t = values.times.get(name);
      if (t && t.n === cpu.length) {
        summary.firstSampleAt = t.first;
        summary.lastSampleAt = t.last;
      }
      stats.set(name, summary);
    }
    return stats;
  }
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
