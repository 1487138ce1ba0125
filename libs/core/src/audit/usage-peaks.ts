import type { UsageSample } from '../usage';
import type { Workload } from '../workload';
import { UsageAttribution } from './usage-attribution';

/** The highest CPU (millicores) and memory (bytes) one container used among its workload's Pods. */
export interface ContainerPeak {
  cpu: number;
  memory: number;
}

/**
 * One scan's usage reduced to what the usage history keeps: per workload container, the highest CPU and the
 * highest memory among the workload's Pods. Samples are added one at a time as they are read and dropped at
 * once, so a scan never holds a list of them (60,000 PodMetrics are about 23 MB as objects).
 *
 * Which workload a sample belongs to is UsageAttribution's answer (the Pod's controller chain, labels where no
 * chain is known). Without one, attribution is by labels and bare-Pod names only, as for samples with no Pods read.
 */
export class UsagePeaks {
  private readonly attribution: UsageAttribution;
  private readonly peaks = new Map<Workload, Map<string, ContainerPeak>>();
  private count = 0;

  /** `attribution` must be built over the same `workloads` (one can serve every UsagePeaks of a read). */
  constructor(workloads: readonly Workload[], attribution?: UsageAttribution) {
    this.attribution = attribution ?? new UsageAttribution(workloads);
  }

  /** Samples added. */
  get samples(): number {
    return this.count;
  }

  add(sample: UsageSample): void {
    this.count++;
    for (const workload of this.attribution.workloadsOf(sample)) {
      let containers = this.peaks.get(workload);
      if (!containers) this.peaks.set(workload, (containers = new Map()));
      for (const c of sample.containers) {
        const p = containers.get(c.name);
        if (p) {
          if (c.cpu > p.cpu) p.cpu = c.cpu;
          if (c.memory > p.memory) p.memory = c.memory;
        } else {
          containers.set(c.name, { cpu: c.cpu, memory: c.memory });
        }
      }
    }
  }

  /** Takes in the peaks of `other` (built over the same workloads, e.g. from another namespace's list). */
  absorb(other: UsagePeaks): void {
    this.count += other.count;
    for (const [workload, containers] of other.peaks) {
      const mine = this.peaks.get(workload);
      if (!mine) {
        this.peaks.set(workload, containers);
        continue;
      }
      for (const [name, p] of containers) {
        const q = mine.get(name);
        if (!q) mine.set(name, p);
        else {
          if (p.cpu > q.cpu) q.cpu = p.cpu;
          if (p.memory > q.memory) q.memory = p.memory;
        }
      }
    }
  }

  /** The workload's container peaks; undefined when no sample matched it. */
  of(workload: Workload): ReadonlyMap<string, ContainerPeak> | undefined {
    return this.peaks.get(workload);
  }
}
