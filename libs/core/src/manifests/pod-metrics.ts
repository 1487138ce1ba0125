import type { ResourceName } from '../quantity';
import type { ContainerUsage, UsageSample } from '../usage';
import { apiGroup, isRecord, nonEmptyString, ObjectReader, type ObjectContext } from './object-reader';

export const METRICS_API_GROUP = 'metrics.k8s.io';

/** A `PodMetrics` object of the metrics API (`metrics.k8s.io/v1beta1`, as served by metrics-server). */
export function isPodMetrics(
  object: Record<string, unknown>,
  ctx: Pick<ObjectContext, 'kind' | 'apiVersion'> = {},
): boolean {
  const kind = nonEmptyString(object.kind) ?? ctx.kind;
  const apiVersion = nonEmptyString(object.apiVersion) ?? ctx.apiVersion;
  return kind === 'PodMetrics' && (apiVersion === undefined || apiGroup(apiVersion) === METRICS_API_GROUP);
}

/**
 * Turns one PodMetrics object into a usage sample: CPU in millicores, memory in bytes per container.
 * metrics-server copies the Pod's labels onto its PodMetrics, which is how a sample finds its workload.
 */
export function toUsageSample(object: Record<string, unknown>, ctx: ObjectContext): UsageSample {
  const r: ObjectReader = new ObjectReader(object, ctx);
  const name = r.requiredString(['metadata', 'name']);
  const namespace = nonEmptyString(r.get(['metadata', 'namespace'])) ?? ctx.defaultNamespace;
  r.objectRef = `PodMetrics ${namespace}/${name}`;

  const containers: ContainerUsage[] = r.list(['containers']).map((c, i) => {
    if (!isRecord(c)) r.fail(['containers', i], 'expected a container (a mapping)');
    return {
      name: r.requiredString(['containers', i, 'name']),
      cpu: usage(r, i, 'cpu'),
      memory: usage(r, i, 'memory'),
    };
  });

  const sample: UsageSample = { namespace, pod: name, labels: r.stringMap(['metadata', 'labels']), containers };
  const timestamp = r.get(['timestamp']);
  if (timestamp instanceof Date) sample.timestamp = timestamp.toISOString();
  else if (nonEmptyString(timestamp)) sample.timestamp = timestamp as string;
  if (sample.timestamp !== undefined && Number.isNaN(Date.parse(sample.timestamp)))
    r.fail(['timestamp'], `timestamp ${JSON.stringify(sample.timestamp)} is not an RFC 3339 time`);
  const window = nonEmptyString(r.get(['window']));
  if (window !== undefined) {
    const ms = goDurationMs(window);
    if (ms === undefined) r.fail(['window'], `window ${JSON.stringify(window)} is not a duration (e.g. 30s, 1m0.5s)`);
    sample.windowMs = ms;
  }
  return sample;
}

function usage(r: ObjectReader, index: number, resource: ResourceName): number {
  const path = ['containers', index, 'usage', resource];
  const value = r.quantity(path, resource);
  // A missing figure is an input error, not zero: a zero would drag the measured usage down.
  if (value === undefined) r.fail(path, `usage.${resource} is missing`);
  return value;
}

const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const GO_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
const GO_UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The last window read and its value: every PodMetrics of a list has nearly always the same. */
let lastWindow: { text: string; ms: number | undefined } = { text: '', ms: undefined };

/** A Go duration as metrics-server writes PodMetrics `window` (`30s`, `1m0.5s`, `15.012s`), in ms. */
function goDurationMs(text: string): number | undefined {
  if (text === lastWindow.text) return lastWindow.ms;
  const ms = parseGoDurationMs(text);
  lastWindow = { text, ms };
  return ms;
}

function parseGoDurationMs(text: string): number | undefined {
  if (!GO_DURATION.test(text)) return undefined;
  let ms = 0;
  for (const [, value, unit] of text.matchAll(GO_PART)) ms += Number(value) * GO_UNIT_MS[unit];
  return ms;
}
