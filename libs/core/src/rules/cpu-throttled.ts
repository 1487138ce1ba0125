import { readableQuantity } from '../quantity';
import type { Rule } from './rule';
import { isThrottled, throttledRatio } from './overprovisioning';
import { declaredLimit } from './resources';

export const cpuThrottled: Rule = {
  id: 'cpu-throttled',
  title: 'CPU throttled',
  defaultSeverity: 'medium',
  resource: 'cpu',
  needsUsage: true,
  description:
    'With `usage.source: prometheus`: the container was throttled (cAdvisor `container_cpu_cfs_throttled_periods_total` ' +
    '÷ `container_cpu_cfs_periods_total` over `overProvisioning.window`, summed over its Pods) in at least ' +
    '`underProvisioning.cpu.throttledRatio` of its CFS periods: its CPU limit holds it back. Such a container ' +
    'never gets `cpu-overprovisioned`.',
  remediation:
    'Raise `resources.limits.cpu` (or remove the CPU limit and keep the request), then check that the throttled ' +
    'share of periods falls; do not lower its CPU request while it is throttled.',
  evaluate: (ctx) => {
    if (!isThrottled(ctx)) return undefined;
    const { container, usage } = ctx;
    const ratio = throttledRatio(ctx)!;
    const limit = declaredLimit(container, 'cpu');
    const fmt = (n: number) => readableQuantity(n, 'cpu');
    const percent = Math.round(ratio * 1000) / 10;
    return {
      message:
        `container "${container.name}" was CPU-throttled in ${percent} % of its CFS periods over the window ` +
        `(${Math.round(usage!.cpuThrottledPeriods!)} of ${Math.round(usage!.cpuPeriods!)})` +
        (limit !== undefined ? ` at a CPU limit of ${fmt(limit)}` : '') +
        `, p95 usage ${fmt(usage!.cpuP95)}; raise or remove its CPU limit`,
    };
  },
};
