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
  return sample;
}

function usage(r: ObjectReader, index: number, resource: ResourceName): number {
  const path = ['containers', index, 'usage', resource];
  const value = r.quantity(path, resource);
  // A missing figure is an input error, not zero: a zero would drag the measured usage down.
  if (value === undefined) r.fail(path, `usage.${resource} is missing`);
  return value;
}
