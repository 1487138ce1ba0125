import type { Rule } from './rule';
import { recommendFromUsage } from './overprovisioning';
import { effectiveRequest, missingValue } from './resources';

export const cpuRequestMissing: Rule = {
  id: 'cpu-request-missing',
  title: 'CPU request missing',
  defaultSeverity: 'medium',
  resource: 'cpu',
  needsUsage: false,
  description:
    'Neither `requests.cpu` nor `limits.cpu` is set, so the scheduler places the Pod as if it used no CPU and it ' +
    'gets the smallest CPU share under contention (BestEffort/Burstable).',
  remediation:
    'Set `resources.requests.cpu` to the CPU the container needs at steady load (for example its p95 usage, ' +
    'as shown by `kubectl top pod --containers`).',
  evaluate: (ctx) =>
    missingValue(
      'request',
      'cpu',
      effectiveRequest(ctx.container, 'cpu'),
      ctx.context,
      `container "${ctx.container.name}" has no CPU request (neither requests.cpu nor limits.cpu)`,
      recommendFromUsage('request', 'cpu', ctx),
    ),
};
