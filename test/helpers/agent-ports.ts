/**
 * In-memory stand-ins of the agent's own ports and its metrics, shared by the unit specs of the services that use
 * them (detection.service.spec.ts, usage-history.service.spec.ts). The real implementations have their e2e specs.
 */
import { OwnerIndex } from '@opsagent/core/audit/usage-attribution';
import { UsagePeaks } from '@opsagent/core/audit/usage-peaks';
import type { UsageSample } from '@opsagent/core/usage';
import type { Workload } from '@opsagent/core/workload';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ClusterSnapshot, ReadOptions } from '../../apps/opsagent/src/kubernetes/cluster-reader';
import { METRIC } from '../../apps/opsagent/src/metrics/metrics.names';
import { MetricsService } from '../../apps/opsagent/src/metrics/metrics.service';
import {
  collectBytes,
  HistoryStore,
  type HistoryBytes,
  type HistoryPart,
} from '../../apps/opsagent/src/usage/history-store';

/** A snapshot of one read of a fake cluster: nothing failed, eight kinds listed; `snapshot` overrides any field. */
export function fakeSnapshot(snapshot: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
  const workloads = snapshot.workloads ?? [];
  return {
    workloads,
    skipped: {},
    failures: [],
    kindsAttempted: 8,
    warnings: [],
    requests: 8,
    bytes: 100,
    ...snapshot,
    attribution: { workloads, owners: new OwnerIndex() },
  };
}

/** The peaks a PodMetrics read of `samples` gives (those `acceptSample` lets through), as the reader keeps them. */
export function peaksOf(
  workloads: readonly Workload[],
  samples: readonly UsageSample[],
  options: Pick<ReadOptions, 'acceptSample'>,
): UsagePeaks {
  const peaks = new UsagePeaks(workloads);
  for (const s of samples) if (!options.acceptSample || options.acceptSample(s)) peaks.add(s);
  return peaks;
}

/** The history files as an in-memory port, under `/data/`; `failWith` makes every save throw it. */
export class MemoryHistoryStore extends HistoryStore {
  readonly parts = new Map<HistoryPart, Buffer>();
  failWith?: Error;
  saves = 0;
  where(part: HistoryPart): string {
    return `/data/${part}`;
  }
  async load(part: HistoryPart): Promise<Buffer | undefined> {
    return this.parts.get(part);
  }
  async save(part: HistoryPart, data: HistoryBytes): Promise<void> {
    if (this.failWith) throw this.failWith;
    const bytes = collectBytes(data);
    this.saves++;
    this.parts.set(part, bytes);
  }
}

/** A MetricsService whose metrics are registered in `registry` (a fresh one per test keeps them apart). */
export function metricsService(registry: Registry): MetricsService {
  const r = { registers: [registry] };
  return new MetricsService(
    new Counter({ name: METRIC.runs, help: 'h', labelNames: ['status'], ...r }),
    new Counter({ name: METRIC.issuesFound, help: 'h', labelNames: ['rule', 'severity'], ...r }),
    new Histogram({ name: METRIC.duration, help: 'h', ...r }),
    new Gauge({ name: METRIC.bySeverity, help: 'h', labelNames: ['severity'], ...r }),
    new Gauge({ name: METRIC.lastSuccess, help: 'h', ...r }),
    new Counter({ name: METRIC.skipped, help: 'h', ...r }),
    new Counter({ name: METRIC.kubeRequests, help: 'h', labelNames: ['resource', 'code'], ...r }),
    new Gauge({ name: METRIC.buildInfo, help: 'h', labelNames: ['version', 'node_version'], ...r }),
    new Gauge({ name: METRIC.leader, help: 'h', ...r }),
    new Gauge({ name: METRIC.wasteCpu, help: 'h', labelNames: ['namespace'], ...r }),
    new Gauge({ name: METRIC.wasteMemory, help: 'h', labelNames: ['namespace'], ...r }),
    new Gauge({ name: METRIC.wasteCost, help: 'h', labelNames: ['namespace'], ...r }),
  );
}
