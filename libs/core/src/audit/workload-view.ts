import type { Issue, OverProvisioning } from '../issue';
import type { ResourceName } from '../quantity';
import type { ContainerUsageStats } from '../rules/rule';
import type { ContainerRole, ResourceValues, Workload } from '../workload';
import type { FailureSource } from './failure-history';
import type { UsageSlot } from './usage-history';
import type { UsageSource } from './usage-stats';
import type { ContainerContext, HpaSpec, WorkloadContext } from './workload-context';

/**
 * One workload as the dashboard's workload view shows it (issue 15 §1): per container its requests and limits,
 * the usage behind the rules (figures and, with the sampled history, the chart of the window), the LimitRange and
 * HPA context, its latest OOM kill, the recommendation per resource and the issues. CPU in millicores, memory in
 * bytes, times in RFC 3339.
 */
export interface WorkloadView {
  kind: string;
  namespace: string;
  name: string;
  /** Desired Pods, where the kind has a count. */
  replicas?: number;
  /** The HPA whose scaleTargetRef names this workload. */
  hpa?: HpaSpec;
  containers: ContainerView[];
  /** Issues of the workload that name no container of its spec (none today; kept so nothing is dropped). */
  otherIssues: Issue[];
}

export interface ContainerView {
  name: string;
  role: ContainerRole;
  requests: ResourceValues;
  limits: ResourceValues;
  /** The usage figures the rules judged (p95 CPU, peak memory), absent when no sample is held. */
  usage?: {
    samples: number;
    cpuP95: number;
    memoryMax: number;
    from?: string;
    to?: string;
  };
  /** The history's slots, oldest first (sampled usage only; the Prometheus source keeps no slots). */
  history: HistorySlotView[];
  context: ContainerContext;
  oomKill?: { pod: string; at: string; restartCount: number; exitCode?: number };
  /** Per resource, the figures of the finding that recommends a value (over-/under-provisioning, OOM). */
  recommendation: Partial<Record<ResourceName, OverProvisioning & { rule: string }>>;
  issues: Issue[];
}

export interface HistorySlotView {
  from: string;
  to: string;
  samples: number;
  cpuP50: number;
  cpuP95: number;
  cpuMax: number;
  memoryMax: number;
}

export interface WorkloadViewSources {
  context: WorkloadContext;
  failures: FailureSource;
  usage: UsageSource;
  /** The usage history's per-container slots, when the usage is sampled (not Prometheus). */
  timeline?: (workload: Workload) => ReadonlyMap<string, UsageSlot[]>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Builds the view of `workload` from the last scan's sources and its current issues. */
export function workloadView(workload: Workload, sources: WorkloadViewSources, issues: readonly Issue[]): WorkloadView {
  const stats = sources.usage.statsFor(workload);
  const kills = sources.failures.oomKillsFor(workload);
  const slots = sources.timeline?.(workload) ?? new Map<string, UsageSlot[]>();
  const names = new Set(workload.containers.map((c) => c.name));
  const hpa = sources.context.hpaOf(workload);
  return {
    kind: workload.kind,
    namespace: workload.namespace,
    name: workload.name,
    ...(workload.replicas !== undefined ? { replicas: workload.replicas } : {}),
    ...(hpa ? { hpa } : {}),
    containers: workload.containers.map((c): ContainerView => {
      const own = issues.filter((i) => i.container === c.name);
      const kill = kills.get(c.name);
      return {
        name: c.name,
        role: c.role,
        requests: c.requests,
        limits: c.limits,
        ...usageOf(stats.get(c.name)),
        history: (slots.get(c.name) ?? []).map((s) => ({
          from: iso(s.from),
          to: iso(s.to),
          samples: s.samples,
          cpuP50: s.cpuP50,
          cpuP95: s.cpuP95,
          cpuMax: s.cpuMax,
          memoryMax: s.memoryMax,
        })),
        context: sources.context.containerContext(workload, c),
        ...(kill
          ? {
              oomKill: {
                pod: kill.pod,
                at: iso(kill.at),
                restartCount: kill.restartCount,
                ...(kill.exitCode !== undefined ? { exitCode: kill.exitCode } : {}),
              },
            }
          : {}),
        recommendation: recommendationOf(own),
        issues: [...own],
      };
    }),
    otherIssues: issues.filter((i) => !names.has(i.container)),
  };
}

function usageOf(stats: ContainerUsageStats | undefined): Pick<ContainerView, 'usage'> {
  if (!stats || stats.samples === 0) return {};
  return {
    usage: {
      samples: stats.samples,
      cpuP95: stats.cpuP95,
      memoryMax: stats.memoryMax,
      ...(stats.firstSampleAt !== undefined ? { from: iso(stats.firstSampleAt) } : {}),
      ...(stats.lastSampleAt !== undefined ? { to: iso(stats.lastSampleAt) } : {}),
    },
  };
}

/** One recommendation per resource: rules never give one resource of one container two (see the rules' exclusions). */
function recommendationOf(issues: readonly Issue[]): ContainerView['recommendation'] {
  const out: ContainerView['recommendation'] = {};
  for (const i of issues) {
    const op = i.overProvisioning;
    if (op && out[op.resource] === undefined) out[op.resource] = { ...op, rule: i.rule };
  }
  return out;
}
