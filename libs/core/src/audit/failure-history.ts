import { isRecord } from '../manifests/object-reader';
import { parseQuantity } from '../quantity';
import type { Workload } from '../workload';
import type { OwnerIndex, UsageAttribution } from './usage-attribution';

/**
 * One container's OOM kill as its Pod's status records it (`status.containerStatuses[]` or
 * `initContainerStatuses[]`: `state.terminated` or `lastState.terminated` with `reason: OOMKilled`).
 */
export interface OomKill {
  pod: string;
  container: string;
  /** `terminated.finishedAt`, ms since the epoch. */
  at: number;
  /** The container's `restartCount` when the Pod was read. */
  restartCount: number;
  exitCode?: number;
  /**
   * The container's memory as the killed Pod's own spec declares it (what admission gave it, LimitRange defaults
   * included), bytes: the limit it was killed at, which the workload's template may have changed since. Absent
   * when the Pod's spec does not name the container (a cut spec, or a Pod read without one).
   */
  podMemory?: { limit?: number; request?: number };
}

/** Where the audit gets each workload container's latest OOM kill within the usage window from. */
export interface FailureSource {
  /** By container name; a container absent here was not OOM-killed within the window. */
  oomKillsFor(workload: Workload): ReadonlyMap<string, OomKill>;
}

export const NO_FAILURES: FailureSource = { oomKillsFor: () => new Map() };

/**
 * The OOM kills in a Pod's status (the full object from a file, or the cluster reader's cut of it: only
 * `name`, `restartCount` and `state`/`lastState.terminated.{reason, exitCode, finishedAt}` are left there), each
 * with the memory its container's entry in the Pod's `spec` declares (the cut keeps `name` and `resources`).
 * Only OOMKilled terminations are kept: most Pods have none, so a Pod costs nothing more. A termination
 * without a readable `finishedAt` has no time to judge the window by and is left out.
 */
export function oomKillsOf(pod: string, object: Record<string, unknown>): OomKill[] | undefined {
  const status = object.status;
  if (!isRecord(status)) return undefined;
  let kills: OomKill[] | undefined;
  for (const list of [status.containerStatuses, status.initContainerStatuses]) {
    if (!Array.isArray(list)) continue;
    for (const entry of list) {
      if (!isRecord(entry) || typeof entry.name !== 'string') continue;
      const restartCount =
        typeof entry.restartCount === 'number' && Number.isFinite(entry.restartCount) ? entry.restartCount : 0;
      // The current state first: a container that stays terminated (restartPolicy Never) has its kill there.
      let latest: OomKill | undefined;
      for (const state of [entry.state, entry.lastState]) {
        const terminated = isRecord(state) ? state.terminated : undefined;
        if (!isRecord(terminated) || terminated.reason !== 'OOMKilled') continue;
        const at = typeof terminated.finishedAt === 'string' ? Date.parse(terminated.finishedAt) : NaN;
        if (Number.isNaN(at) || (latest && latest.at >= at)) continue;
        latest = { pod, container: entry.name, at, restartCount };
        if (typeof terminated.exitCode === 'number') latest.exitCode = terminated.exitCode;
      }
      if (latest) {
        const memory = podMemoryOf(object.spec, entry.name);
        if (memory) latest.podMemory = memory;
        (kills ??= []).push(latest);
      }
    }
  }
  return kills;
}

/**
 * `resources.{limits,requests}.memory` of the named container in a Pod's `spec.containers` or `initContainers`.
 * The API server admitted these values, so they parse; one that does not (a hand-written file) counts as unset.
 */
function podMemoryOf(spec: unknown, container: string): { limit?: number; request?: number } | undefined {
  if (!isRecord(spec)) return undefined;
  for (const list of [spec.containers, spec.initContainers]) {
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      if (!isRecord(c) || c.name !== container) continue;
      const resources = isRecord(c.resources) ? c.resources : {};
      const memory: { limit?: number; request?: number } = {};
      const limit = memoryOf(resources.limits);
      const request = memoryOf(resources.requests);
      if (limit !== undefined) memory.limit = limit;
      if (request !== undefined) memory.request = request;
      return memory;
    }
  }
  return undefined;
}

function memoryOf(values: unknown): number | undefined {
  const value = isRecord(values) ? values.memory : undefined;
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  try {
    return parseQuantity(value, 'memory');
  } catch {
    return undefined;
  }
}

/**
 * The latest OOM kill of each workload container at or after `since` (the start of the usage window), over the
 * Pods of one read, each attributed to its workload as usage is (UsageAttribution: the controller chain, labels
 * where none is known). The same in `opsagent scan` and the service.
 */
export class OomKillHistory implements FailureSource {
  private readonly byWorkload = new Map<Workload, Map<string, OomKill>>();

  constructor(owners: OwnerIndex, attribution: UsageAttribution, since: number) {
    for (const { namespace, name, labels, oomKills } of owners.podsWithOomKills()) {
      const recent = oomKills.filter((k) => k.at >= since);
      if (recent.length === 0) continue;
      for (const workload of attribution.workloadsOf({ namespace, pod: name, labels })) {
        let byContainer = this.byWorkload.get(workload);
        if (!byContainer) this.byWorkload.set(workload, (byContainer = new Map()));
        for (const kill of recent) {
          const known = byContainer.get(kill.container);
          if (!known || kill.at > known.at) byContainer.set(kill.container, kill);
        }
      }
    }
  }

  oomKillsFor(workload: Workload): ReadonlyMap<string, OomKill> {
    return this.byWorkload.get(workload) ?? EMPTY;
  }
}

const EMPTY: ReadonlyMap<string, OomKill> = new Map();

/** The newest `finishedAt` of any OOM kill in the index (ms), or undefined: a file's snapshot time, with others. */
export function newestOomKill(owners: OwnerIndex): number | undefined {
  let newest: number | undefined;
  for (const { oomKills } of owners.podsWithOomKills()) {
    for (const k of oomKills) if (newest === undefined || k.at > newest) newest = k.at;
  }
  return newest;
}
