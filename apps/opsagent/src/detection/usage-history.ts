import type { UsageSource } from '@opsagent/core/audit/usage-stats';
import { percentile } from '@opsagent/core/audit/usage-stats';
import { workloadMatchesSample } from '@opsagent/core/manifests/selector';
import type { ContainerUsageStats } from '@opsagent/core/rules/rule';
import type { UsageSample } from '@opsagent/core/usage';
import { workloadRef, type Workload } from '@opsagent/core/workload';

/**
 * One series per workload container: parallel arrays of sample time (ms), CPU (millicores) and memory
 * (bytes) — three float64s, about 24 bytes per container per sample. At the default 5-minute schedule and
 * 24h window that is 288 samples, about 7 KB per container.
 */
class Series {
  time: number[] = [];
  cpu: number[] = [];
  memory: number[] = [];

  push(time: number, cpu: number, memory: number): void {
    this.time.push(time);
    this.cpu.push(cpu);
    this.memory.push(memory);
  }

  dropBefore(cutoff: number): void {
    let n = 0;
    while (n < this.time.length && this.time[n] < cutoff) n++;
    if (n === 0) return;
    this.time.splice(0, n);
    this.cpu.splice(0, n);
    this.memory.splice(0, n);
  }
}

/**
 * The service's rolling usage window. Each scan adds, per workload container, ONE sample: the highest
 * CPU and the highest memory among the workload's Pods in that scan's PodMetrics. So `minSamples` counts
 * scans (12 = one hour at the default schedule), and U (p95 CPU, max memory) describes the busiest Pod.
 */
export class UsageHistory implements UsageSource {
  private readonly series = new Map<string, Map<string, Series>>();

  constructor(private readonly windowMs: number) {}

  /** Adds one scan's samples and forgets workloads that no longer exist among `workloads`. */
  record(workloads: readonly Workload[], samples: readonly UsageSample[], now: number, forgetMissing: boolean): void {
    const byNamespace = new Map<string, UsageSample[]>();
    for (const s of samples) {
      const list = byNamespace.get(s.namespace);
      if (list) list.push(s);
      else byNamespace.set(s.namespace, [s]);
    }
    const present = new Set<string>();
    for (const workload of workloads) {
      const key = workloadRef(workload);
      present.add(key);
      const peak = new Map<string, { cpu: number; memory: number }>();
      for (const sample of byNamespace.get(workload.namespace) ?? []) {
        if (!workloadMatchesSample(workload, sample)) continue;
        for (const c of sample.containers) {
          const p = peak.get(c.name);
          if (p) {
            p.cpu = Math.max(p.cpu, c.cpu);
            p.memory = Math.max(p.memory, c.memory);
          } else {
            peak.set(c.name, { cpu: c.cpu, memory: c.memory });
          }
        }
      }
      if (peak.size === 0) continue;
      let containers = this.series.get(key);
      if (!containers) this.series.set(key, (containers = new Map()));
      for (const [name, p] of peak) {
        let s = containers.get(name);
        if (!s) containers.set(name, (s = new Series()));
        s.push(now, p.cpu, p.memory);
      }
    }
    const cutoff = now - this.windowMs;
    for (const [key, containers] of this.series) {
      if (forgetMissing && !present.has(key)) {
        this.series.delete(key);
        continue;
      }
      for (const [name, s] of containers) {
        s.dropBefore(cutoff);
        if (s.time.length === 0) containers.delete(name);
      }
      if (containers.size === 0) this.series.delete(key);
    }
  }

  statsFor(workload: Workload): ReadonlyMap<string, ContainerUsageStats> {
    const stats = new Map<string, ContainerUsageStats>();
    for (const [name, s] of this.series.get(workloadRef(workload)) ?? []) {
      const sortedCpu = [...s.cpu].sort((a, b) => a - b);
      stats.set(name, {
        samples: s.cpu.length,
        cpuP95: percentile(sortedCpu, 95),
        memoryMax: s.memory.reduce((a, b) => Math.max(a, b), 0),
      });
    }
    return stats;
  }

  /** Samples held in all series (for tests and the memory figure). */
  get sampleCount(): number {
    let n = 0;
    for (const containers of this.series.values()) for (const s of containers.values()) n += s.time.length;
    return n;
  }
}
