import type { Rule } from './rule';
import { evaluateOverProvisioning, isThrottled } from './overprovisioning';

export const cpuOverprovisioned: Rule = {
  id: 'cpu-overprovisioned',
  title: 'CPU over-provisioned',
  defaultSeverity: 'medium',
  resource: 'cpu',
  needsUsage: true,
  description:
    'The CPU request (or the limit it defaults from) is at least `overProvisioning.cpu.ratio` times the 95th ' +
    'percentile of measured usage and above it by at least `overProvisioning.cpu.minWaste`, over at least ' +
    '`overProvisioning.minSamples` samples, and the container is not throttled (`cpu-throttled`). Reserved but ' +
    'unused CPU blocks other Pods from the node.',
  remediation:
    'Lower `resources.requests.cpu` to the recommended value (p95 usage, rounded up to whole millicores, floor ' +
    '10m), then watch throttling and latency after the change.',
  // A throttled container's usage is capped by its limit, not by what it needs: never cut it then.
  evaluate: (ctx) => (isThrottled(ctx) ? undefined : evaluateOverProvisioning(ctx, 'cpu')),
};
