import { readableQuantity } from '../quantity';
import type { Rule } from './rule';
import { capByMax, recommend, roundUpToMi, withExact } from './overprovisioning';
import { admittedLimit, admittedRequest } from './resources';

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
    'The limit named is the one in the killed Pod’s own spec (what it ran with), and the template’s beside it ' +
    'when that changed since. Such a container never gets `memory-overprovisioned`, since its usage since the ' +
    'restart understates its need.',
  remediation:
    'Raise `resources.limits.memory` (and the request with it) to at least the recommended value: the limit at ' +
    'the time × 1.2 (the VPA recommender’s OOM bump), rounded up to a whole Mi, or the peak usage + 15 % when ' +
    'that is higher (capped by the namespace LimitRange’s `max`, which must be raised first to go beyond); then ' +
    'watch `restartCount` and the container’s `lastState`.',
  evaluate: ({ workload, container, oomKill, usage, context }) => {
    if (!oomKill) return undefined;
    // The killed Pod's spec holds what it ran with (admission's LimitRange defaults included); the template's
    // values (defaulted as admission would) stand in when the Pod's spec was not read.
    const template = {
      limit: admittedLimit(container, 'memory', context)?.value,
      request: admittedRequest(container, 'memory', context)?.value,
    };
    const atTheTime = oomKill.podMemory ?? template;
    const limit = atTheTime.limit;
    const base = limit ?? atTheTime.request;
    const fromUsage = usage ? recommend('memory', usage.memoryMax) : undefined;
    const bumped = base === undefined ? undefined : roundUpToMi(base * OOM_BUMP);
    const wanted = Math.max(bumped ?? 0, fromUsage ?? 0);
    const fmt = (n: number) => readableQuantity(n, 'memory');
    const { value: recommended, note: cap } = capByMax(wanted, 'memory', context);
    const had =
      limit !== undefined
        ? `a memory limit of ${fmt(limit)}`
        : base !== undefined
          ? `no memory limit (request ${fmt(base)})`
          : 'no memory limit or request';
    const changed =
      oomKill.podMemory && template.limit !== limit
        ? template.limit === undefined
          ? ' (the template now sets no memory limit)'
          : ` (the template's limit is now ${fmt(template.limit)})`
        : '';
    const advice =
      recommended > 0
        ? `; recommend at least ${withExact(fmt(recommended), recommended)}${cap}`
        : '; set a memory request and limit';
    const exit = oomKill.exitCode === undefined ? '' : `, exit code ${oomKill.exitCode}`;
    return {
      message:
        `container "${container.name}" was OOMKilled at ${new Date(oomKill.at).toISOString()} in Pod ` +
        `${workload.namespace}/${oomKill.pod} (restart count ${oomKill.restartCount}${exit}) with ${had}` +
        `${changed}${advice}`,
      // The template's limit, and its request with it where the request was the limit (Guaranteed) or there was
      // no limit: the fix patches the template, whatever the killed Pod ran with.
      ...(recommended > 0
        ? {
            recommendation: {
              limits: { memory: recommended },
              ...(template.limit === undefined || template.request === template.limit
                ? { requests: { memory: recommended } }
                : {}),
            },
          }
        : {}),
    };
  },
};
