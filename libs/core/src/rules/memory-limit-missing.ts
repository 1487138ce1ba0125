import type { Rule } from './rule';
import { recommendFromUsage } from './overprovisioning';
import { declaredLimit, missingValue } from './resources';

export const memoryLimitMissing: Rule = {
  id: 'memory-limit-missing',
  title: 'Memory limit missing',
  defaultSeverity: 'high',
  resource: 'memory',
  needsUsage: false,
  description:
    '`limits.memory` is not set, so a leaking container grows until the node runs out of memory and the kernel ' +
    'OOM-kills processes of other Pods too.',
  remediation:
    'Set `resources.limits.memory` (commonly equal to the memory request, so the container is OOM-killed alone ' +
    'instead of its neighbours).',
  evaluate: (ctx) =>
    missingValue(
      'limit',
      'memory',
      declaredLimit(ctx.container, 'memory'),
      ctx.context,
      `container "${ctx.container.name}" has no memory limit (limits.memory)`,
      recommendFromUsage('limit', 'memory', ctx),
    ),
};
