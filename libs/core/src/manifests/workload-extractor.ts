import type { ScanWarning } from '../issue';
import type { UsageSample } from '../usage';
import {
  WORKLOAD_KINDS,
  type ContainerSpec,
  type LabelSelector,
  type LabelSelectorRequirement,
  type ResourceValues,
  type SelectorOperator,
  type Workload,
  type WorkloadKind,
} from '../workload';
import { formatFieldPath, ManifestError, ManifestErrors, type FieldPath } from './errors';
import {
  apiGroup,
  isRecord,
  nonEmptyString,
  ObjectReader,
  type FieldLocator,
  type ObjectContext,
} from './object-reader';
import { OwnerIndex, recordOwnership } from '../audit/usage-attribution';
import { isPodMetrics, toUsageSample } from './pod-metrics';
import { isHpa, isLimitRange, toHpa, toLimitRange, type HpaSpec, type LimitRangeSpec } from '../audit/workload-context';

/** One object to project: a ManifestObject, or an API list item without a source location. */
export interface ManifestInput {
  object: Record<string, unknown>;
  file?: string;
  line?: number;
  locate?: FieldLocator;
}

export interface ExtractOptions {
  /** Namespace for objects without `metadata.namespace` (`default`, or the CLI's `--namespace`). */
  defaultNamespace: string;
}

export interface ExtractionResult {
  workloads: Workload[];
  /** Objects that are not audited, counted by kind; owned ones as e.g. `ReplicaSet (owned)`. */
  skipped: Record<string, number>;
  /**
   * Objects of other kinds that carry a Pod template (`spec.template.spec.containers`: Argo Rollouts' `Rollout`,
   * OpenKruise's `CloneSet`, …), audited like Deployments, counted by kind.
   */
  customWorkloads: Record<string, number>;
  samples: UsageSample[];
  /** The Pods, owned ReplicaSets and Jobs, and workloads read, for attributing the samples (UsageAttribution). */
  owners: OwnerIndex;
  /** LimitRanges (core/v1): what admission sets in their namespaces. */
  limitRanges: LimitRangeSpec[];
  /** HorizontalPodAutoscalers: which workloads are scaled on which resource. */
  hpas: HpaSpec[];
  warnings: ScanWarning[];
}

/** What one object projects to. */
export type WorkloadProjection =
  | { type: 'workload'; workload: Workload }
  /** `key` is the kind, `Kind (owned)` for a controlled ReplicaSet/Job/Pod, or `Kind (apiVersion)` for a foreign group. */
  | {
      type: 'skipped';
      key: string;
      /** A ReplicaSet, Job or Pod skipped because a controller owns it: a link of a usage attribution chain. */
      owned?: { kind: WorkloadKind; namespace: string; name: string };
    }
  | { type: 'warning'; warning: ScanWarning };

/**
 * Projects objects into workloads and PodMetrics into usage samples; everything else is counted in
 * `skipped`. Throws ManifestError for malformed input (missing name, bad quantity, bad selector).
 */
export function extractWorkloads(objects: Iterable<ManifestInput>, opts: ExtractOptions): ExtractionResult {
  const workloads: Workload[] = [];
  const samples: UsageSample[] = [];
  const limitRanges: LimitRangeSpec[] = [];
  const hpas: HpaSpec[] = [];
  const warnings: ScanWarning[] = [];
  const owners = new OwnerIndex();
  // A Map, so a kind named like an Object.prototype member cannot collide with one.
  const skipped = new Map<string, number>();

  const customWorkloads = new Map<string, number>();
  // Every bad object is reported (ManifestErrors), not only the first.
  const errors: ManifestError[] = [];

  for (const { object, file, line, locate } of objects) {
    const ctx: ObjectContext = { defaultNamespace: opts.defaultNamespace, file, line, locate };
    try {
      if (isPodMetrics(object)) {
        samples.push(toUsageSample(object, ctx));
        continue;
      }
      if (isLimitRange(object)) {
        limitRanges.push(toLimitRange(object, ctx));
        continue;
      }
      if (isHpa(object)) {
        hpas.push(toHpa(object, ctx));
        continue;
      }
      const projection = toWorkload(object, ctx);
      recordOwnership(owners, object, projection, () =>
        new ObjectReader(object, ctx).stringMap(['metadata', 'labels']),
      );
      if (projection.type === 'workload') {
        workloads.push(projection.workload);
        const { kind } = projection.workload;
        if (!isWorkloadKind(kind)) customWorkloads.set(kind, (customWorkloads.get(kind) ?? 0) + 1);
      } else if (projection.type === 'warning') warnings.push(projection.warning);
      else skipped.set(projection.key, (skipped.get(projection.key) ?? 0) + 1);
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      errors.push(err);
    }
  }
  ManifestErrors.throwIfAny(errors);
  return {
    workloads,
    skipped: Object.fromEntries(skipped),
    customWorkloads: Object.fromEntries(customWorkloads),
    samples,
    owners,
    limitRanges,
    hpas,
    warnings,
  };
}

/**
 * The API groups each workload kind is served from (`extensions` for manifests older than
 * Kubernetes 1.16). A `Deployment` of another group is a custom resource, not a workload.
 */
const KIND_GROUPS: Record<WorkloadKind, readonly string[]> = {
  Deployment: ['apps', 'extensions'],
  StatefulSet: ['apps'],
  DaemonSet: ['apps', 'extensions'],
  ReplicaSet: ['apps', 'extensions'],
  ReplicationController: [''],
  Job: ['batch'],
  CronJob: ['batch'],
  Pod: [''],
};

/** Kinds whose objects are normally created by a controller; those are audited through their owner. */
export const OWNABLE_KINDS: ReadonlySet<WorkloadKind> = new Set(['ReplicaSet', 'Job', 'Pod']);

/** Where the Pod template (metadata + spec) sits in each kind; a bare Pod is its own template. */
export const TEMPLATE_PATH: Record<WorkloadKind, FieldPath> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
  Pod: [],
};

/** Where custom resources with a Pod template keep it (Argo Rollouts, OpenKruise CloneSet, …). */
const CUSTOM_TEMPLATE_PATH: FieldPath = ['spec', 'template'];

function kustomizationWarning(ctx: ObjectContext): ScanWarning {
  const where = ctx.file ?? 'the input';
  return {
    code: 'kustomization',
    message:
      `${where} is a Kustomization: render it with \`kubectl kustomize\` first ` +
      `(\`kubectl kustomize DIR | opsagent scan -\`); its resources are not read`,
    kind: 'Kustomization',
    ...(ctx.file === undefined ? {} : { file: ctx.file }),
  };
}

const OPERATORS: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

function isWorkloadKind(kind: string): kind is WorkloadKind {
  return (WORKLOAD_KINDS as readonly string[]).includes(kind);
}

/**
 * Projects one object (from a manifest or an API list) into a workload. Does not read files:
 * `ctx.file`/`line`/`locate` only enrich `source` and error messages.
 */
export function toWorkload(object: Record<string, unknown>, ctx: ObjectContext): WorkloadProjection {
  const r: ObjectReader = new ObjectReader(object, ctx);
  const kind = nonEmptyString(object.kind) ?? ctx.kind;
  if (kind === undefined) r.fail(['kind'], 'object has no kind');
  const apiVersion = nonEmptyString(object.apiVersion) ?? ctx.apiVersion ?? '';

  if (!isWorkloadKind(kind)) {
    if (kind === 'Kustomization' && apiGroup(apiVersion).startsWith('kustomize.config.k8s.io')) {
      return { type: 'warning', warning: kustomizationWarning(ctx) };
    }
    // A custom resource that carries a Pod template runs Pods like a Deployment does: audit it as one.
    const containers = r.get(['spec', 'template', 'spec', 'containers']);
    if (!Array.isArray(containers) || containers.length === 0) return { type: 'skipped', key: kind };
  }
  // Without an apiVersion (hand-written input) the kind alone decides.
  if (isWorkloadKind(kind) && apiVersion !== '' && !KIND_GROUPS[kind].includes(apiGroup(apiVersion))) {
    return { type: 'skipped', key: `${kind} (${apiVersion})` };
  }

  r.objectRef = kind;
  const name = r.requiredString(['metadata', 'name']);
  const namespace = nonEmptyString(r.get(['metadata', 'namespace'])) ?? ctx.defaultNamespace;
  r.objectRef = `${kind} ${namespace}/${name}`;

  if (isWorkloadKind(kind) && OWNABLE_KINDS.has(kind) && hasControllerOwner(r)) {
    return { type: 'skipped', key: `${kind} (owned)`, owned: { kind, namespace, name } };
  }

  const templatePath = isWorkloadKind(kind) ? TEMPLATE_PATH[kind] : CUSTOM_TEMPLATE_PATH;
  const podSpecPath = [...templatePath, 'spec'];
  const podSpec = r.get(podSpecPath);
  const containersPath = [...podSpecPath, 'containers'];
  const declared = r.get(containersPath);
  if (!isRecord(podSpec) || !Array.isArray(declared) || declared.length === 0) {
    return {
      type: 'warning',
      warning: {
        code: 'no-pod-spec',
        message: `${r.objectRef} has no containers at ${formatFieldPath(containersPath)}; not audited`,
        namespace,
        kind,
        name,
        ...(ctx.file === undefined ? {} : { file: ctx.file }),
      },
    };
  }

  const containers = [
    ...readContainers(r, containersPath, false),
    ...readContainers(r, [...podSpecPath, 'initContainers'], true),
    // ephemeralContainers (kubectl debug) declare no resources and are never audited.
  ];
  const templateLabels = r.stringMap([...templatePath, 'metadata', 'labels']);

  const selector = selectorOf(r, kind, templateLabels);
  const replicas = replicasOf(r, kind);
  // Not validated: only the reports name it, and a manifest's stray uid must not fail the scan.
  const uid = nonEmptyString(r.get(['metadata', 'uid']));
  const workload: Workload = {
    kind,
    apiVersion,
    namespace,
    name,
    ...(uid === undefined ? {} : { uid }),
    annotations: r.stringMap(['metadata', 'annotations']),
    templateAnnotations: r.stringMap([...templatePath, 'metadata', 'annotations']),
    ...(selector === undefined ? {} : { selector }),
    ...(replicas === undefined ? {} : { replicas }),
    containers,
  };
  if (ctx.file !== undefined) {
    workload.source = ctx.line === undefined ? { file: ctx.file } : { file: ctx.file, line: ctx.line };
  }
  return { type: 'workload', workload };
}

/** `controller: true` marks the managing owner (a Deployment's ReplicaSet, a CronJob's Job, …). */
function hasControllerOwner(r: ObjectReader): boolean {
  return r.list(['metadata', 'ownerReferences']).some((ref) => isRecord(ref) && ref.controller === true);
}

function readContainers(r: ObjectReader, listPath: FieldPath, init: boolean): ContainerSpec[] {
  return r.list(listPath).map((c, i) => {
    const path = [...listPath, i];
    if (!isRecord(c)) r.fail(path, 'expected a container (a mapping)');
    r.optionalRecord([...path, 'resources']);
    return {
      name: r.requiredString([...path, 'name']),
      // An init container with restartPolicy Always is a native sidecar (Kubernetes ≥ 1.29).
      role: !init ? 'container' : c.restartPolicy === 'Always' ? 'sidecar' : 'init',
      path: formatFieldPath(path),
      // The container's `- name:` line in the file, for SARIF regions; absent for objects not read from text.
      ...lineOf(r, [...path, 'name'], path),
      requests: resourceValues(r, [...path, 'resources', 'requests']),
      limits: resourceValues(r, [...path, 'resources', 'limits']),
    };
  });
}

function lineOf(r: ObjectReader, ...paths: FieldPath[]): { line?: number } {
  for (const p of paths) {
    const line = r.ctx.locate?.(p);
    if (line !== undefined) return { line };
  }
  return {};
}

/** As declared: CPU in millicores, memory in bytes; a resource that is not set is absent. */
function resourceValues(r: ObjectReader, path: FieldPath): ResourceValues {
  r.optionalRecord(path);
  const values: ResourceValues = {};
  const cpu = r.quantity([...path, 'cpu'], 'cpu');
  const memory = r.quantity([...path, 'memory'], 'memory');
  if (cpu !== undefined) values.cpu = cpu;
  if (memory !== undefined) values.memory = memory;
  return values;
}

/**
 * The Pods a workload owns. An empty selector would select every Pod in the namespace, so it becomes
 * undefined (matches nothing) rather than `{}`.
 */
function selectorOf(r: ObjectReader, kind: string, templateLabels: Record<string, string>): LabelSelector | undefined {
  const fromTemplate = (): LabelSelector | undefined => nonEmptySelector(templateLabels, []);
  if (!isWorkloadKind(kind)) {
    // As a Deployment's: spec.selector, or the template labels where a resource has none.
    return r.get(['spec', 'selector']) == null ? fromTemplate() : labelSelector(r, ['spec', 'selector']);
  }
  switch (kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
      // Required in apps/v1; extensions/v1beta1 defaulted a missing selector to the template labels.
      return r.get(['spec', 'selector']) == null ? fromTemplate() : labelSelector(r, ['spec', 'selector']);
    case 'ReplicationController':
      // A plain map (equality-based selector), defaulted to the template labels by the API server.
      return r.get(['spec', 'selector']) == null
        ? fromTemplate()
        : nonEmptySelector(r.stringMap(['spec', 'selector']), []);
    case 'Job':
      // Unless manualSelector is set, the API server generates the selector from the controller-uid label it
      // adds to the template; the template labels are what a manifest-only view can match on.
      return r.get(['spec', 'manualSelector']) === true ? labelSelector(r, ['spec', 'selector']) : fromTemplate();
    case 'CronJob':
      return fromTemplate();
    case 'Pod':
      return undefined;
  }
}

function labelSelector(r: ObjectReader, path: FieldPath): LabelSelector | undefined {
  r.optionalRecord(path);
  const matchLabels = r.stringMap([...path, 'matchLabels']);
  const expressionsPath = [...path, 'matchExpressions'];
  const matchExpressions = r.list(expressionsPath).map((e, i): LabelSelectorRequirement => {
    const at = [...expressionsPath, i];
    if (!isRecord(e)) r.fail(at, 'expected a label selector requirement (a mapping)');
    const key = r.requiredString([...at, 'key']);
    const operator = e.operator;
    if (typeof operator !== 'string' || !(OPERATORS as readonly string[]).includes(operator)) {
      r.fail([...at, 'operator'], `operator must be one of ${OPERATORS.join(', ')}, found ${JSON.stringify(operator)}`);
    }
    const requirement: LabelSelectorRequirement = { key, operator: operator as SelectorOperator };
    if (e.values != null) {
      requirement.values = r.list([...at, 'values']).map((v) => (typeof v === 'string' ? v : String(v)));
    }
    return requirement;
  });
  return nonEmptySelector(matchLabels, matchExpressions);
}

function nonEmptySelector(
  matchLabels: Record<string, string>,
  matchExpressions: LabelSelectorRequirement[],
): LabelSelector | undefined {
  const selector: LabelSelector = {};
  if (Object.keys(matchLabels).length > 0) selector.matchLabels = matchLabels;
  if (matchExpressions.length > 0) selector.matchExpressions = matchExpressions;
  return selector.matchLabels || selector.matchExpressions ? selector : undefined;
}

/** Desired Pods: spec.replicas (default 1), a Job's parallelism (default 1), 1 for a Pod; unknown otherwise. */
function replicasOf(r: ObjectReader, kind: string): number | undefined {
  if (!isWorkloadKind(kind)) return count(r, ['spec', 'replicas']); // as a Deployment's, default 1
  switch (kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'ReplicaSet':
    case 'ReplicationController':
      return count(r, ['spec', 'replicas']);
    case 'Job':
      return count(r, ['spec', 'parallelism']);
    case 'Pod':
      return 1;
    case 'DaemonSet': // one per eligible node: not known from the object
    case 'CronJob': // depends on the schedule and concurrencyPolicy
      return undefined;
  }
}

function count(r: ObjectReader, path: FieldPath): number {
  const value = r.get(path);
  if (value === undefined || value === null) return 1;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    r.fail(path, `expected a non-negative integer, found ${JSON.stringify(value)}`);
  }
  return value;
}
