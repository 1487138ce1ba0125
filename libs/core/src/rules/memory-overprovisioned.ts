import type { Rule } from './rule';
import { evaluateOverProvisioning } from './overprovisioning';

export const memoryOverprovisioned: Rule = {
  id: 'memory-overprovisioned',
  title: 'Memory over-provisioned',
  defaultSeverity: 'medium',
  resource: 'memory',
  needsUsage: true,
  description:
    'The memory request (or the limit it defaults from) is at least `overProvisioning.memory.ratio` times the ' +
    'peak measured usage and above it by at least `overProvisioning.memory.minWaste`, over at least ' +
    '`overProvisioning.minSamples` samples, and the container was not OOM-killed within `overProvisioning.window`. ' +
    'Reserved but unused memory blocks other Pods from the node.',
  remediation:
    'Lower `resources.requests.memory` to the recommended value (peak usage + 15 %, rounded up to a whole Mi, ' +
    'floor 32Mi); keep the limit at or above it.',
  // Usage since an OOM kill's restart says nothing about what the container needs: never cut it then.
  evaluate: (ctx) => (ctx.oomKill ? undefined : evaluateOverProvisioning(ctx, 'memory')),
};
