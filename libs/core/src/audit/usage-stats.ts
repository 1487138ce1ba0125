import type { ContainerUsageStats } from '../rules/rule';
import type { UsageSample } from '../usage';
import type { Workload } from '../workload';
import { matchesSelector } from '../manifests/selector';

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
 * Usage from a fixed set of PodMetrics samples (manifest files, or one scan's list). A sample belongs
 * to a workload when it is in the same namespace and its Pod labels match the workload's selector;
 * a bare Pod owns the samples of the Pod with its name.
 */
export class SampleUsage implements UsageSource {
  private readonly byNamespace = new Map<string, UsageSample[]>();

  constructor(samples: Iterable<UsageSample>) {
    for (const s of samples) {
      const list = this.byNamespace.get(s.namespace) ?? [];
      list.push(s);
      this.byNamespace.set(s.namespace, list);
    }
  }

  statsFor(workload: Workload): ReadonlyMap<string, ContainerUsageStats> {
    const cpu = new Map<string, number[]>();
    const memory = new Map<string, number[]>();
    const times = new Map<string, { first: number; last: number; n: number }>();
    for (const sample of this.byNamespace.get(workload.namespace) ?? []) {
      const owned =
        workload.kind === 'Pod' ? sample.pod === workload.name : matchesSelector(workload.selector, sample.labels);
      if (!owned) continue;
      // A PodMetrics measures the `window` before its `timestamp`: that interval is what the sample covers.
      const end = sample.timestamp === undefined ? NaN : Date.parse(sample.timestamp);
      for (const c of sample.containers) {
        push(cpu, c.name, c.cpu);
        push(memory, c.name, c.memory);
        if (Number.isNaN(end)) continue;
        const start = end - (sample.windowMs ?? 0);
        const t = times.get(c.name);
        if (!t) times.set(c.name, { first: start, last: end, n: 1 });
        else {
          t.first = Math.min(t.first, start);
          t.last = Math.max(t.last, end);
          t.n++;
        }
      }
    }
    const stats = new Map<string, ContainerUsageStats>();
    for (const [name, values] of cpu) {
      const summary = summarizeUsage(values, memory.get(name) ?? []);
      // Coverage only when every sample of the container has a time: a figure must not claim more than it knows.
      const t = times.get(name);
      if (t && t.n === values.length) {
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
