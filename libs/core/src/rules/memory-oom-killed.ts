import { readableQuantity } from '../quantity';
import type { Rule } from './rule';
import { recommend, roundUpToMi, withExact } from './overprovisioning';
import { declaredLimit, effectiveRequest } from './resources';

/** The VPA recommender's bump after an OOM kill: at least 20 % above the memory the container was killed at. */
const OOM_BUMP = 1.2;

export const memoryOomKilled: Rule = {
  id: 'memory-oom-killed',
  title: 'Memory OOM-killed',
  defaultSeverity: 'high',
  resource: 'memory',
  needsUsage: false,
  description:
    "A container of the workload was OOM-killed (`reason: OOMKilled` in a Pod's `state` or `lastState.terminated`) " +
    'within `overProvisioning.window`: its memory limit is below what it needs, and it restarts, losing its work. ' +
    'Such a container never gets `memory-overprovisioned`, since its usage since the restart understates its need.',
  remediation:
    'Raise `resources.limits.memory` (and the request with it) to at least the recommended value: the limit at ' +
    'the time × 1.2 (the VPA recommender’s OOM bump), rounded up to a whole Mi, or the peak usage + 15 % when ' +
    'that is higher; then watch `restartCount` and the container’s `lastState`.',
  evaluate: ({ workload, container, oomKill, usage }) => {
    if (!oomKill) return undefined;
    const limit = declaredLimit(container, 'memory');
    const base = limit ?? effectiveRequest(container, 'memory');
    const fromUsage = usage ? recommend('memory', usage.memoryMax) : undefined;
    const bumped = base === undefined ? undefined : roundUpToMi(base * OOM_BUMP);
    const recommended = Math.max(bumped ?? 0, fromUsage ?? 0);
    const fmt = (n: number) => readableQuantity(n, 'memory');
    const had =
      limit !== undefined
        ? `a memory limit of ${fmt(limit)}`
        : base !== undefined
          ? `no memory limit (request ${fmt(base)})`
          : 'no memory limit or request';
    const advice =
      recommended > 0
        ? `; recommend at least ${withExact(fmt(recommended), recommended)}`
        : '; set a memory request and limit';
    const exit = oomKill.exitCode === undefined ? '' : `, exit code ${oomKill.exitCode}`;
    return {
      message:
        `container "${container.name}" was OOMKilled at ${new Date(oomKill.at).toISOString()} in Pod ` +
        `${workload.namespace}/${oomKill.pod} (restart count ${oomKill.restartCount}${exit}) with ${had}${advice}`,
      // The limit, and the request with it where the request was the limit (Guaranteed) or there was no limit.
      ...(recommended > 0
        ? {
            recommendation: {
              limits: { memory: recommended },
              ...(limit === undefined || container.requests.memory === limit
                ? { requests: { memory: recommended } }
                : {}),
            },
          }
        : {}),
    };
  },
};
