import { apiGroup, nonEmptyString, ObjectReader, type ObjectContext } from '../manifests/object-reader';
import type { FieldPath } from '../manifests/errors';
import type { ResourceName } from '../quantity';
import type { ContainerSpec, ResourceValues, Workload } from '../workload';

/**
 * How a workload really runs beyond its own spec: the LimitRanges of its namespace (what admission fills in)
 * and the HorizontalPodAutoscaler that scales it (what a request cut would do to its replica count). Read from
 * manifest files by the CLI and from the API by the service, projected here, judged by the rules.
 */

const RESOURCES: readonly ResourceName[] = ['cpu', 'memory'];

/** The `type: Container` items of one LimitRange (core/v1), merged in their order. Other types are not read. */
export interface LimitRangeSpec {
  namespace: string;
  name: string;
  /** `default`: the limit admission gives a container that sets none. */
  default: ResourceValues;
  /** `defaultRequest`: the request admission gives a container that sets none (else `default`). */
  defaultRequest: ResourceValues;
  /** `max`: no container may request or limit more. */
  max: ResourceValues;
}

export type HpaMetricType = 'Resource' | 'ContainerResource';
export type HpaTargetType = 'Utilization' | 'AverageValue';

/** One resource metric of an HPA (`Resource`, or `ContainerResource` for one container). */
export interface HpaResourceMetric {
  type: HpaMetricType;
  resource: ResourceName;
  /** ContainerResource only: the container it is about. */
  container?: string;
  target: HpaTargetType;
  /** Utilization: percent of the request. */
  averageUtilization?: number;
  /** AverageValue: millicores or bytes per Pod. */
  averageValue?: number;
}

/** A HorizontalPodAutoscaler (autoscaling/v2; v1's `targetCPUUtilizationPercentage` reads as a CPU Utilization). */
export interface HpaSpec {
  namespace: string;
  name: string;
  scaleTargetRef: { kind: string; name: string; apiVersion?: string };
  metrics: HpaResourceMetric[];
}

/** A value a LimitRange gives a container that leaves it out. */
export interface LimitRangeValue {
  limitRange: string;
  field: 'defaultRequest' | 'default' | 'max';
  value: number;
}

/** The HPA behind a resource of one container. */
export interface HpaTarget extends HpaResourceMetric {
  hpa: string;
}

/** What the rules know about one container beyond its spec. */
export interface ContainerContext {
  /** The request admission sets, where the container sets neither request nor limit. */
  requestDefault: Partial<Record<ResourceName, LimitRangeValue>>;
  /** The limit admission sets, where the container sets none. */
  limitDefault: Partial<Record<ResourceName, LimitRangeValue>>;
  /** The lowest `max` of the namespace's LimitRanges. */
  max: Partial<Record<ResourceName, LimitRangeValue>>;
  /** The HPA metric on this resource of this container (ContainerResource before Resource). */
  hpa: Partial<Record<ResourceName, HpaTarget>>;
}

export const NO_CONTEXT: ContainerContext = Object.freeze({
  requestDefault: {},
  limitDefault: {},
  max: {},
  hpa: {},
}) as ContainerContext;

export function isLimitRange(object: Record<string, unknown>, ctx: Pick<ObjectContext, 'kind' | 'apiVersion'> = {}) {
  const kind = nonEmptyString(object.kind) ?? ctx.kind;
  const apiVersion = nonEmptyString(object.apiVersion) ?? ctx.apiVersion ?? 'v1';
  return kind === 'LimitRange' && apiVersion === 'v1';
}

export function isHpa(object: Record<string, unknown>, ctx: Pick<ObjectContext, 'kind' | 'apiVersion'> = {}) {
  const kind = nonEmptyString(object.kind) ?? ctx.kind;
  const apiVersion = nonEmptyString(object.apiVersion) ?? ctx.apiVersion ?? 'autoscaling/v2';
  return kind === 'HorizontalPodAutoscaler' && apiGroup(apiVersion) === 'autoscaling';
}

/** Projects a LimitRange; throws ManifestError naming the field for a malformed quantity. */
export function toLimitRange(object: Record<string, unknown>, ctx: ObjectContext): LimitRangeSpec {
  const r = new ObjectReader(object, ctx);
  r.objectRef = 'LimitRange';
  const name = r.requiredString(['metadata', 'name']);
  const namespace = nonEmptyString(r.get(['metadata', 'namespace'])) ?? ctx.defaultNamespace;
  r.objectRef = `LimitRange ${namespace}/${name}`;
  const spec: LimitRangeSpec = { namespace, name, default: {}, defaultRequest: {}, max: {} };
  r.list(['spec', 'limits']).forEach((_, i) => {
    const item: FieldPath = ['spec', 'limits', i];
    r.optionalRecord(item);
    if (r.get([...item, 'type']) !== 'Container') return;
    for (const field of ['default', 'defaultRequest', 'max'] as const) {
      r.optionalRecord([...item, field]);
      for (const resource of RESOURCES) {
        const value = r.quantity([...item, field, resource], resource);
        if (value === undefined) continue;
        const known = spec[field][resource];
        // Several Container items: admission applies the first default; every max binds, so the lowest.
        if (known === undefined || (field === 'max' && value < known)) spec[field][resource] = value;
      }
    }
  });
  return spec;
}

/** Projects an HPA's scale target and its resource metrics; other metric types are not read. */
export function toHpa(object: Record<string, unknown>, ctx: ObjectContext): HpaSpec {
  const r = new ObjectReader(object, ctx);
  r.objectRef = 'HorizontalPodAutoscaler';
  const name = r.requiredString(['metadata', 'name']);
  const namespace = nonEmptyString(r.get(['metadata', 'namespace'])) ?? ctx.defaultNamespace;
  r.objectRef = `HorizontalPodAutoscaler ${namespace}/${name}`;
  const apiVersion = nonEmptyString(object.apiVersion) ?? ctx.apiVersion ?? 'autoscaling/v2';
  const targetApiVersion = nonEmptyString(r.get(['spec', 'scaleTargetRef', 'apiVersion']));
  const spec: HpaSpec = {
    namespace,
    name,
    scaleTargetRef: {
      kind: r.requiredString(['spec', 'scaleTargetRef', 'kind']),
      name: r.requiredString(['spec', 'scaleTargetRef', 'name']),
      ...(targetApiVersion === undefined ? {} : { apiVersion: targetApiVersion }),
    },
    metrics: [],
  };
  if (apiVersion === 'autoscaling/v1') {
    const percent = r.get(['spec', 'targetCPUUtilizationPercentage']);
    if (percent !== undefined && percent !== null) {
      spec.metrics.push({
        type: 'Resource',
        resource: 'cpu',
        target: 'Utilization',
        averageUtilization: utilization(r, ['spec', 'targetCPUUtilizationPercentage']),
      });
    }
    return spec;
  }
  r.list(['spec', 'metrics']).forEach((_, i) => {
    const path: FieldPath = ['spec', 'metrics', i];
    const type = r.get([...path, 'type']);
    if (type !== 'Resource' && type !== 'ContainerResource') return;
    const source: FieldPath = [...path, type === 'Resource' ? 'resource' : 'containerResource'];
    const resource = r.get([...source, 'name']);
    if (resource !== 'cpu' && resource !== 'memory') return;
    const targetType = r.get([...source, 'target', 'type']);
    const metric: HpaResourceMetric = { type, resource, target: 'Utilization' };
    if (type === 'ContainerResource') metric.container = r.requiredString([...source, 'container']);
    if (targetType === 'Utilization') {
      metric.averageUtilization = utilization(r, [...source, 'target', 'averageUtilization']);
    } else if (targetType === 'AverageValue') {
      metric.target = 'AverageValue';
      const value = r.quantity([...source, 'target', 'averageValue'], resource);
      if (value === undefined) r.fail([...source, 'target', 'averageValue'], 'required field is missing');
      metric.averageValue = value;
    } else {
      r.fail(
        [...source, 'target', 'type'],
        `expected Utilization or AverageValue, found ${JSON.stringify(targetType)}`,
      );
    }
    spec.metrics.push(metric);
  });
  return spec;
}

function utilization(r: ObjectReader, path: FieldPath): number {
  const value = r.get(path);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    r.fail(path, `expected a whole percentage of at least 1, found ${JSON.stringify(value ?? null)}`);
  }
  return value;
}

/** The LimitRanges and HPAs of one scan, indexed for the audit: O(1) per container. */
export class WorkloadContext {
  private readonly limitRanges = new Map<string, LimitRangeSpec[]>();
  private readonly hpas = new Map<string, HpaSpec>();

  constructor(limitRanges: Iterable<LimitRangeSpec> = [], hpas: Iterable<HpaSpec> = []) {
    const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    for (const lr of [...limitRanges].sort(byName)) {
      const list = this.limitRanges.get(lr.namespace) ?? [];
      list.push(lr);
      this.limitRanges.set(lr.namespace, list);
    }
    // Two HPAs on one target: Kubernetes scales with neither (AmbiguousSelector); the first by name is named here.
    for (const hpa of [...hpas].sort(byName)) {
      const key = targetKey(hpa.scaleTargetRef.kind, hpa.namespace, hpa.scaleTargetRef.name);
      if (!this.hpas.has(key)) this.hpas.set(key, hpa);
    }
  }

  get isEmpty(): boolean {
    return this.limitRanges.size === 0 && this.hpas.size === 0;
  }

  /** The HPA whose scaleTargetRef names this workload (kind and name, in its namespace). */
  hpaOf(workload: Pick<Workload, 'kind' | 'namespace' | 'name'>): HpaSpec | undefined {
    return this.hpas.get(targetKey(workload.kind, workload.namespace, workload.name));
  }

  containerContext(workload: Workload, container: ContainerSpec): ContainerContext {
    const ranges = this.limitRanges.get(workload.namespace);
    const hpa = this.hpaOf(workload);
    if (!ranges && !hpa) return NO_CONTEXT;
    const ctx: ContainerContext = { requestDefault: {}, limitDefault: {}, max: {}, hpa: {} };
    for (const resource of RESOURCES) {
      for (const lr of ranges ?? []) {
        // The API server sets a missing request to the limit before admission; LimitRanger fills what is left.
        const setsRequest = container.requests[resource] !== undefined || container.limits[resource] !== undefined;
        if (!setsRequest && ctx.requestDefault[resource] === undefined) {
          const fromDefaultRequest = lr.defaultRequest[resource];
          const fromDefault = lr.default[resource];
          if (fromDefaultRequest !== undefined) {
            ctx.requestDefault[resource] = { limitRange: lr.name, field: 'defaultRequest', value: fromDefaultRequest };
          } else if (fromDefault !== undefined) {
            ctx.requestDefault[resource] = { limitRange: lr.name, field: 'default', value: fromDefault };
          }
        }
        const limit = lr.default[resource];
        if (
          container.limits[resource] === undefined &&
          ctx.limitDefault[resource] === undefined &&
          limit !== undefined
        ) {
          ctx.limitDefault[resource] = { limitRange: lr.name, field: 'default', value: limit };
        }
        const max = lr.max[resource];
        if (max !== undefined && (ctx.max[resource] === undefined || max < ctx.max[resource].value)) {
          ctx.max[resource] = { limitRange: lr.name, field: 'max', value: max };
        }
      }
      if (!hpa) continue;
      const metric =
        hpa.metrics.find(
          (m) => m.resource === resource && m.type === 'ContainerResource' && m.container === container.name,
        ) ?? hpa.metrics.find((m) => m.resource === resource && m.type === 'Resource');
      if (metric) ctx.hpa[resource] = { ...metric, hpa: hpa.name };
    }
    return ctx;
  }
}

function targetKey(kind: string, namespace: string, name: string): string {
  return `${kind}\u0000${namespace}\u0000${name}`;
}
