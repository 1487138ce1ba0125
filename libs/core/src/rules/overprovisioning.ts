import { formatQuantity, readableQuantity, type ResourceName } from '../quantity';
import { confidenceOf, type OverProvisioning } from '../issue';
import type { RuleContext, RuleFinding } from './rule';
import { effectiveRequest } from './resources';

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
  const { container, usage, settings, workload } = ctx;
  const request = effectiveRequest(container, resource);
  if (request === undefined || usage === undefined || usage.samples < settings.minSamples) return undefined;
  const used = resource === 'cpu' ? usage.cpuP95 : usage.memoryMax;
  const threshold = settings[resource];
  if (request < threshold.ratio * used || request - used < threshold.minWaste) return undefined;

  const recommended = recommend(resource, used);
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
  }
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
  // Readable units for a person (2.3Gi, not 2418398Ki); the exact figures are in `overProvisioning`. The
  // recommendation is also given exactly when rounding changed it, since it is the value to write in the manifest.
  const fmt = (n: number) => readableQuantity(n, resource);
  const exact = formatQuantity(recommended, resource);
  const recommendation = fmt(recommended) === exact ? exact : `${fmt(recommended)} (${exact})`;
  const measure = resource === 'cpu' ? 'p95 usage' : 'peak usage';
  const total =
    figures.wasteTotal !== undefined
      ? ` (${fmt(figures.wasteTotal)} over ${plural(figures.replicas ?? 0, 'replica')})`
      : '';
  return {
    message:
      `container "${container.name}" requests ${fmt(request)} ${resource} but its ${measure} is ${fmt(used)} ` +
      `over ${plural(usage.samples, 'sample')}${trust}; recommend ${recommendation}, saving ${fmt(wastePerPod)} per Pod${total}`,
    overProvisioning: figures,
  };
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
