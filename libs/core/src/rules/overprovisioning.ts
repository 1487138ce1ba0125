import { formatQuantity, readableQuantity, type ResourceName } from '../quantity';
import { formatMoney, monthlyCost, wasteOf } from '../cost';
import { confidenceOf, type OverProvisioning } from '../issue';
import type { ContainerContext, LimitRangeValue } from '../audit/workload-context';
import type { RuleContext, RuleFinding } from './rule';
import { admittedRequest } from './resources';

/** A CPU limit recommended from usage is twice the p95: only bursts above twice the steady load are throttled. */
export const CPU_LIMIT_HEADROOM = 2;

const MI = 1024 * 1024;
/** Floors for recommendations: below these a request is noise for the scheduler. */
export const MIN_CPU_RECOMMENDATION = 10; // millicores
export const MIN_MEMORY_RECOMMENDATION = 32 * MI; // bytes
/** Memory is not compressible: recommend 15 % above the observed maximum. */
const MEMORY_HEADROOM_PERCENT = 115;

/** CPU: the p95 rounded up to whole millicores (floor 10m). Memory: max × 1.15 rounded up to a whole Mi (floor 32Mi). */
export function recommend(resource: ResourceName, usage: number): number {
  if (resource === 'cpu') return Math.max(Math.ceil(usage), MIN_CPU_RECOMMENDATION);
  const withHeadroom = Math.ceil((usage * MEMORY_HEADROOM_PERCENT) / 100);
  return Math.max(Math.ceil(withHeadroom / MI) * MI, MIN_MEMORY_RECOMMENDATION);
}

/** `1.2Gi (1229Mi)`: the exact memory to write in a manifest beside a rounded one; `308Mi` alone when equal. */
export function withExact(readable: string, bytes: number): string {
  const exact = `${bytes / MI}Mi`;
  return readable === exact ? exact : `${readable} (${exact})`;
}

/** Bytes rounded up to a whole Mi. */
export function roundUpToMi(bytes: number): number {
  return Math.ceil(bytes / MI) * MI;
}

/**
 * A recommendation held to the lowest `max` of the namespace's LimitRanges (admission refuses a container above
 * it), with the words that say so; `note` is empty when nothing capped it.
 */
export function capByMax(
  recommended: number,
  resource: ResourceName,
  context: ContainerContext | undefined,
): { value: number; note: string; max?: LimitRangeValue } {
  const max = context?.max[resource];
  if (max === undefined || recommended <= max.value) return { value: recommended, note: '' };
  return {
    value: max.value,
    note: ` (capped at the max ${formatQuantity(max.value, resource)} of LimitRange "${max.limitRange}")`,
    max,
  };
}

/** Whether the container's CPU was throttled in at least `cpuThrottledRatio` of its CFS periods (Prometheus only). */
export function throttledRatio(ctx: Pick<RuleContext, 'usage'>): number | undefined {
  const periods = ctx.usage?.cpuPeriods;
  const throttled = ctx.usage?.cpuThrottledPeriods;
  if (periods === undefined || throttled === undefined || !(periods > 0)) return undefined;
  return throttled / periods;
}

export function isThrottled(ctx: Pick<RuleContext, 'usage' | 'settings'>): boolean {
  const ratio = throttledRatio(ctx);
  return ratio !== undefined && ratio >= ctx.settings.underProvisioning.cpuThrottledRatio;
}

/**
 * A finding when there are enough samples, the request is at least `ratio` × usage, and the
 * request exceeds usage by at least `minWaste`. No request (after defaulting) or no usage: none.
 */
export function evaluateOverProvisioning(ctx: RuleContext, resource: ResourceName): RuleFinding | undefined {
  const { container, usage, settings, workload, observedPods } = ctx;
  const admitted = admittedRequest(container, resource, ctx.context);
  if (admitted === undefined || usage === undefined || usage.samples < settings.minSamples) return undefined;
  const request = admitted.value;
  const used = resource === 'cpu' ? usage.cpuP95 : usage.memoryMax;
  const hpa = ctx.context?.hpa[resource];
  // An HPA on Utilization holds usage ÷ request at its target: the request that keeps its replica count is
  // usage ÷ (averageUtilization / 100) (100m at 70 % → 143m), not the bare usage, which would make it scale out.
  const utilization = hpa?.target === 'Utilization' ? (hpa.averageUtilization ?? 100) / 100 : undefined;
  const needed = utilization === undefined ? used : used / utilization;
  const threshold = settings[resource];
  if (request < threshold.ratio * needed || request - needed < threshold.minWaste) return undefined;

  const noCut = hpa?.target === 'AverageValue';
  const wanted = noCut ? request : utilization === undefined ? recommend(resource, used) : roundUp(resource, needed);
  // AverageValue targets keep the request as it is: nothing to cap.
  const { value: recommended, note: cap, max } = capByMax(wanted, resource, noCut ? undefined : ctx.context);
  const wastePerPod = Math.max(request - recommended, 0);
  const figures: OverProvisioning = {
    resource,
    unit: resource === 'cpu' ? 'millicores' : 'bytes',
    samples: usage.samples,
    usage: used,
    request,
    recommended,
    wastePerPod,
  };
  if (workload.replicas !== undefined) {
    figures.replicas = workload.replicas;
    figures.wasteTotal = wastePerPod * workload.replicas;
  } else if (workload.kind === 'DaemonSet' && observedPods !== undefined && observedPods > 0) {
    // A DaemonSet runs one Pod per eligible node: its spec has no count, so the Pods the scan saw are the count.
    figures.observedPods = observedPods;
    figures.wasteTotal = wastePerPod * observedPods;
  }
  const cost = monthlyCost(resource, wasteOf(figures), settings.cost);
  figures.wasteMonthlyCost = cost;
  figures.currency = settings.cost.currency;
  let trust = '';
  if (usage.firstSampleAt !== undefined && usage.lastSampleAt !== undefined) {
    const span = Math.max(0, usage.lastSampleAt - usage.firstSampleAt);
    figures.coverage = {
      from: new Date(usage.firstSampleAt).toISOString(),
      to: new Date(usage.lastSampleAt).toISOString(),
    };
    figures.confidence = confidenceOf(span);
    trust = ` (${formatSpan(span)} of data, confidence ${figures.confidence})`;
  }
  if (hpa) {
    figures.hpa = {
      name: hpa.hpa,
      metric: hpa.type,
      target: hpa.target,
      ...(hpa.averageUtilization === undefined ? {} : { averageUtilization: hpa.averageUtilization }),
      ...(hpa.averageValue === undefined ? {} : { averageValue: hpa.averageValue }),
    };
  }
  if (admitted.limitRange !== undefined) figures.requestDefaultedBy = admitted.limitRange;
  if (max) figures.cappedBy = { limitRange: max.limitRange, max: max.value };
  // Readable units for a person (2.3Gi, not 2418398Ki); the exact figures are in `overProvisioning`. The
  // recommendation is also given exactly when rounding changed it, since it is the value to write in the manifest.
  const fmt = (n: number) => readableQuantity(n, resource);
  const exact = formatQuantity(recommended, resource);
  const recommendation = fmt(recommended) === exact ? exact : `${fmt(recommended)} (${exact})`;
  const measure = resource === 'cpu' ? 'p95 usage' : 'peak usage';
  const over =
    figures.replicas !== undefined
      ? plural(figures.replicas, 'replica')
      : `${plural(figures.observedPods ?? 0, 'Pod')} observed`;
  const total = figures.wasteTotal !== undefined ? ` (${fmt(figures.wasteTotal)} over ${over})` : '';
  const money = `, worth ${formatMoney(cost, settings.cost.currency)} a month`;
  const defaulted =
    admitted.limitRange === undefined ? '' : ` (set by LimitRange "${admitted.limitRange}" at admission)`;
  const head =
    `container "${container.name}" requests ${fmt(request)} ${resource}${defaulted} but its ${measure} is ` +
    `${fmt(used)} over ${plural(usage.samples, 'sample')}${trust}`;
  const scaledBy = hpa
    ? `HPA "${hpa.hpa}" scales it on ${hpa.type === 'ContainerResource' ? `this container's ` : ''}${resource}`
    : '';
  if (noCut) {
    return {
      severity: 'info',
      message:
        `${head}; no cut: ${scaledBy} at an AverageValue of ${fmt(hpa.averageValue ?? 0)} per Pod, so the usage ` +
        `measured follows the replica count the HPA chose rather than what one Pod needs, and a lower request ` +
        `would not change how it scales`,
      overProvisioning: figures,
    };
  }
  const why =
    utilization === undefined
      ? ''
      : ` (${scaledBy} at ${hpa?.averageUtilization ?? 100}% utilization: ${measure} ÷ ${utilization}, so it keeps its replica count)`;
  return {
    message: `${head}; recommend ${recommendation}${why}${cap}, saving ${fmt(wastePerPod)} per Pod${total}${money}`,
    overProvisioning: figures,
    recommendation: { requests: { [resource]: recommended } },
  };
}

/** Usage ÷ an HPA's utilization target, rounded up as recommendations are (whole millicores or Mi), no headroom. */
function roundUp(resource: ResourceName, value: number): number {
  if (resource === 'cpu') return Math.max(Math.ceil(value - 1e-9), MIN_CPU_RECOMMENDATION);
  return Math.max(Math.ceil(value / MI - 1e-9) * MI, MIN_MEMORY_RECOMMENDATION);
}

/** A span of data as a person reads it: `45m`, `20h`, `6.5d`. */
export function formatSpan(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes < 60) return `${Math.floor(minutes)}m`;
  const hours = minutes / 60;
  if (hours < 24) return `${Math.floor(hours)}h`;
  return `${Math.floor((hours / 24) * 10) / 10}d`;
}

/** `1 replica`, `3 replicas`, `0 replicas`. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * The value a `*-missing` finding recommends, from measured usage (at least `minSamples` samples), or undefined
 * without it. A request: as over-provisioning recommends (CPU p95 rounded up, floor 10m; memory peak + 15 % rounded
 * up to a whole Mi, floor 32Mi). A memory limit: the same, a CPU limit: from twice the p95; a limit is never below
 * the request the container runs with.
 */
export function recommendFromUsage(
  kind: 'request' | 'limit',
  resource: ResourceName,
  ctx: RuleContext,
): { value: number; text: string } | undefined {
  const { usage, settings, container, context } = ctx;
  if (usage === undefined || usage.samples < settings.minSamples) return undefined;
  const used = resource === 'cpu' ? usage.cpuP95 : usage.memoryMax;
  const scaled = kind === 'limit' && resource === 'cpu' ? used * CPU_LIMIT_HEADROOM : used;
  const request = kind === 'limit' ? admittedRequest(container, resource, context)?.value : undefined;
  const value = Math.max(recommend(resource, scaled), request ?? 0);
  const exact = formatQuantity(value, resource);
  const readable = readableQuantity(value, resource);
  const measure = resource === 'cpu' ? 'p95 usage' : 'peak usage';
  const basis = kind === 'limit' && resource === 'cpu' ? `twice its ${measure}` : `its ${measure}`;
  return {
    value,
    text:
      `${readable === exact ? exact : `${readable} (${exact})`} from ${basis} of ${readableQuantity(used, resource)} ` +
      `over ${plural(usage.samples, 'sample')}`,
  };
}
