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

/**
 * Usage from a fixed set of PodMetrics samples (manifest files, or one read of a cluster): every sample of every
 * Pod of a workload, attributed as the service attributes them (UsageAttribution: the Pod's controller chain,
 * labels where no chain is known). Samples are grouped once, here, so `statsFor` costs only the workload's own.
 */
export class SampleUsage implements UsageSource {
  private readonly byWorkload = new Map<Workload, { cpu: Map<string, number[]>; memory: Map<string, number[]> }>();

  /** `attribution`: over the same workloads; default, by labels and bare-Pod names only (no Pods known). */
  constructor(workloads: readonly Workload[], samples: Iterable<UsageSample>, attribution?: UsageAttribution) {
    const attribute = attribution ?? new UsageAttribution(workloads);
    for (const sample of samples) {
      for (const workload of attribute.workloadsOf(sample)) {
        let values = this.byWorkload.get(workload);
        if (!values) this.byWorkload.set(workload, (values = { cpu: new Map(), memory: new Map() }));
        for (const c of sample.containers) {
          push(values.cpu, c.name, c.cpu);
          push(values.memory, c.name, c.memory);
        }
      }
    }
  }

  statsFor(workload: Workload): ReadonlyMap<string, ContainerUsageStats> {
    const stats = new Map<string, ContainerUsageStats>();
    const values = this.byWorkload.get(workload);
    if (!values) return stats;
    for (const [name, cpu] of values.cpu) stats.set(name, summarizeUsage(cpu, values.memory.get(name) ?? []));
    return stats;
  }
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
