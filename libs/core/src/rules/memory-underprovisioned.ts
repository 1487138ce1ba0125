import { readableQuantity } from '../quantity';
import type { Rule } from './rule';
import { capByMax, plural, recommend, withExact } from './overprovisioning';
import { admittedRequest } from './resources';

export const memoryUnderprovisioned: Rule = {
  id: 'memory-underprovisioned',
  title: 'Memory under-provisioned',
  defaultSeverity: 'medium',
  resource: 'memory',
  needsUsage: true,
  description:
    'The peak measured memory usage is at least `underProvisioning.memory.ratio` times the memory request (or ' +
    'the limit it defaults from, or the request its namespace’s LimitRange sets at admission), over at least ' +
    '`overProvisioning.minSamples` samples: the scheduler places the Pod on less memory than it uses.',
  remediation:
    'Raise `resources.requests.memory` to the recommended value (peak usage + 15 %, rounded up to a whole Mi, ' +
    'floor 32Mi, capped by the namespace LimitRange’s `max`) and keep the limit at or above it. Until then, under ' +
    'node memory pressure the kubelet evicts Pods that use more memory than they request first, so this workload ' +
    'is among the first evicted.',
  evaluate: ({ container, usage, settings, context }) => {
    // The request admission gives it: its own, its limit, else its namespace LimitRange's default.
    const admitted = admittedRequest(container, 'memory', context);
    if (admitted === undefined || usage === undefined || usage.samples < settings.minSamples) return undefined;
    const request = admitted.value;
    const peak = usage.memoryMax;
    if (peak < settings.underProvisioning.memoryRatio * request) return undefined;
    const { value: recommended, note: cap } = capByMax(recommend('memory', peak), 'memory', context);
    const fmt = (n: number) => readableQuantity(n, 'memory');
    const times = Math.floor((peak / request) * 100) / 100;
    const defaulted =
      admitted.limitRange === undefined ? '' : ` (set by LimitRange "${admitted.limitRange}" at admission)`;
    return {
      message:
        `container "${container.name}" requests ${fmt(request)} memory${defaulted} but its peak usage is ${fmt(peak)} ` +
        `(${times}× the request) over ${plural(usage.samples, 'sample')}; recommend ` +
        `${withExact(fmt(recommended), recommended)}${cap}; it risks eviction under node memory pressure`,
      recommendation: { requests: { memory: recommended } },
    };
  },
};
