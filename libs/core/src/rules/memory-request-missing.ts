import type { Rule } from './rule';
import { recommendFromUsage } from './overprovisioning';
import { effectiveRequest, missingValue } from './resources';

export const memoryRequestMissing: Rule = {
  id: 'memory-request-missing',
  title: 'Memory request missing',
  defaultSeverity: 'high',
  resource: 'memory',
  needsUsage: false,
  description:
    'Neither `requests.memory` nor `limits.memory` is set, so the scheduler can pack the node past its memory ' +
    'and the Pod is among the first evicted under node memory pressure.',
  remediation: 'Set `resources.requests.memory` to the working set the container needs (its peak usage plus headroom).',
  evaluate: (ctx) =>
    missingValue(
      'request',
      'memory',
      effectiveRequest(ctx.container, 'memory'),
      ctx.context,
      `container "${ctx.container.name}" has no memory request (neither requests.memory nor limits.memory)`,
      recommendFromUsage('request', 'memory', ctx),
    ),
};
