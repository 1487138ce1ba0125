import type { Rule } from './rule';
import { recommendFromUsage } from './overprovisioning';
import { declaredLimit, missingValue } from './resources';

export const cpuLimitMissing: Rule = {
  id: 'cpu-limit-missing',
  title: 'CPU limit missing',
  defaultSeverity: 'low',
  resource: 'cpu',
  needsUsage: false,
  description:
    '`limits.cpu` is not set, so one busy container can use all idle CPU on its node. Many teams run without CPU ' +
    'limits on purpose; hence the low default severity.',
  remediation:
    'Set `resources.limits.cpu`, or exempt the workload with the annotation `opsagent.io/ignore: cpu-limit-missing` ' +
    'if unthrottled CPU is intended.',
  evaluate: (ctx) =>
    missingValue(
      'limit',
      'cpu',
      declaredLimit(ctx.container, 'cpu'),
      ctx.context,
      `container "${ctx.container.name}" has no CPU limit (limits.cpu)`,
      recommendFromUsage('limit', 'cpu', ctx),
    ),
};
