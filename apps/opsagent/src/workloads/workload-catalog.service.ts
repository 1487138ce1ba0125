import { Injectable } from '@nestjs/common';
import { NO_FAILURES } from '@opsagent/core/audit/failure-history';
import { NO_USAGE } from '@opsagent/core/audit/usage-stats';
import { WorkloadContext } from '@opsagent/core/audit/workload-context';
import { workloadView, type WorkloadView, type WorkloadViewSources } from '@opsagent/core/audit/workload-view';
import type { Workload } from '@opsagent/core/workload';
import { IssueStore } from '../issues/issue-store.service';

/**
 * The workloads of the last scan that judged the cluster, with what the rules read beside them (LimitRanges,
 * HPAs, OOM kills, usage): what GET /api/v1/workloads/{namespace}/{kind}/{name} shows. DetectionService hands
 * each scan's over; a replica that has not scanned (a follower) knows no workload.
 */
@Injectable()
export class WorkloadCatalog {
  private workloads = new Map<string, Workload>();
  private sources: () => WorkloadViewSources = () => EMPTY;

  constructor(private readonly issues: IssueStore) {}

  /** A scan judged these workloads with these sources. */
  scanned(workloads: readonly Workload[], sources: () => WorkloadViewSources): void {
    const next = new Map<string, Workload>();
    for (const w of workloads) next.set(key(w.namespace, w.kind, w.name), w);
    this.workloads = next;
    let built: WorkloadViewSources | undefined;
    this.sources = () => (built ??= sources());
  }

  /** The view of one workload, or undefined when the last scan did not find it. */
  view(namespace: string, kind: string, name: string): WorkloadView | undefined {
    const workload = this.workloads.get(key(namespace, kind, name));
    if (!workload) return undefined;
    const issues = this.issues.query({ namespace, kind, name }, Number.MAX_SAFE_INTEGER).items;
    return workloadView(workload, this.sources(), issues);
  }
}

const EMPTY: WorkloadViewSources = { context: new WorkloadContext(), failures: NO_FAILURES, usage: NO_USAGE };
const key = (namespace: string, kind: string, name: string) => `${namespace}\u0000${kind}\u0000${name}`;
