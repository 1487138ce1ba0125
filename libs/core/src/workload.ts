/**
 * The slim workload model the rules read. It is projected from a full Kubernetes object
 * (a manifest file or an API list item) and holds only what detection needs.
 */

export const WORKLOAD_KINDS = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
  'CronJob',
  'Pod',
] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** Quantities as declared in `resources`: CPU in millicores, memory in bytes; absent when not set. */
export interface ResourceValues {
  cpu?: number;
  memory?: number;
}

/**
 * `container`: spec.containers; `init`: spec.initContainers; `sidecar`: an init container with
 * `restartPolicy: Always` (native sidecar, Kubernetes ≥ 1.29), which runs for the Pod's lifetime.
 */
export type ContainerRole = 'container' | 'init' | 'sidecar';

export interface ContainerSpec {
  name: string;
  role: ContainerRole;
  /** JSON path of the container inside the object, e.g. `spec.template.spec.containers[0]`. */
  path: string;
  /** 1-based line of the container (its `name:`) in the manifest file, when read from one. */
  line?: number;
  requests: ResourceValues;
  limits: ResourceValues;
}

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelSelectorRequirement {
  key: string;
  operator: SelectorOperator;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface SourceLocation {
  file: string;
  /** 1-based line of the object's first line in the file, when known. */
  line?: number;
  /** On an issue: 1-based line of its container (the `- name:` line), when known. */
  containerLine?: number;
}

/**
 * A built-in workload kind, or the kind of a custom resource that carries a Pod template (`Rollout`, `CloneSet`),
 * which manifests can hold; the service lists the built-in kinds only.
 */
export type AuditedKind = WorkloadKind | (string & Record<never, never>);

export interface Workload {
  kind: AuditedKind;
  apiVersion: string;
  namespace: string;
  name: string;
  /** metadata.uid, when the object has one (objects read from the API server; rarely manifests). */
  uid?: string;
  /** metadata.annotations of the workload object. */
  annotations: Record<string, string>;
  /** metadata.annotations of the Pod template (the object's own for a bare Pod). */
  templateAnnotations: Record<string, string>;
  /**
   * Which Pods belong to this workload. `undefined` means none can be matched (for a Job or
   * CronJob whose Pod template has no labels); a bare Pod matches itself by name instead.
   */
  selector?: LabelSelector;
  /** Desired Pods where the kind has a count (Deployment, StatefulSet, ReplicaSet, RC, Job parallelism, Pod). */
  replicas?: number;
  containers: ContainerSpec[];
  source?: SourceLocation;
}

export function workloadRef(w: Pick<Workload, 'kind' | 'namespace' | 'name'>): string {
  return `${w.kind} ${w.namespace}/${w.name}`;
}
