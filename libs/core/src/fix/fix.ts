import { formatQuantity, type ResourceName } from '../quantity';
import type { ContainerSpec, ResourceValues, Workload } from '../workload';

/**
 * What a finding recommends writing into one container's `resources`: CPU in millicores, memory in bytes. Only the
 * keys it changes; the others stay as they are.
 */
export interface ResourceChange {
  requests?: ResourceValues;
  limits?: ResourceValues;
}

/** A finding's recommendation as a change to apply: a strategic merge patch of the workload, and the command. */
export interface Fix {
  /**
   * Strategic merge patch of the workload: only `resources` of that one container, in the Pod template
   * (`spec.template.spec.containers` / `initContainers`; a CronJob's under `spec.jobTemplate.spec.template`). A
   * strategic merge patch merges `containers` by `name`, so the other containers and keys stay as they are.
   */
  patch: Record<string, unknown>;
  /** `kubectl patch <kind> <name> -n <namespace> --type strategic -p '<patch>'`, quoted for a POSIX shell. */
  command: string;
}

/**
 * The kinds whose Pod template can be patched, in kubectl's lower-case form. A bare Pod's resources are immutable
 * (short of in-place resize), a Job's `spec.template` is immutable, and custom resources (Rollout, CloneSet) take
 * no strategic merge patch: those get no fix.
 */
export const PATCHABLE_KINDS: Readonly<Record<string, string>> = {
  Deployment: 'deployment',
  StatefulSet: 'statefulset',
  DaemonSet: 'daemonset',
  ReplicaSet: 'replicaset',
  ReplicationController: 'replicationcontroller',
  CronJob: 'cronjob',
};

const RESOURCES: readonly ResourceName[] = ['cpu', 'memory'];

/**
 * The fix of a finding on `container` of `workload`, or undefined when the kind cannot be patched or the change
 * leaves the container as it is. A raised request above the declared limit raises the limit with it (the API server
 * refuses a request above its limit); a limit is never set below the request the container keeps.
 */
export function buildFix(workload: Workload, container: ContainerSpec, change: ResourceChange): Fix | undefined {
  const kind = PATCHABLE_KINDS[workload.kind];
  if (kind === undefined) return undefined;
  const resources = changedResources(container, change);
  if (resources === undefined) return undefined;
  const listPath = container.path.replace(/\[\d+\]$/, '').split('.');
  let patch: Record<string, unknown> = { [listPath[listPath.length - 1]]: [{ name: container.name, resources }] };
  for (const key of listPath.slice(0, -1).reverse()) patch = { [key]: patch };
  return { patch, command: kubectlPatchCommand(kind, workload.namespace, workload.name, patch) };
}

/** The `resources` keys to write (Kubernetes quantities), or undefined when none differs from the container's. */
export function changedResources(
  container: ContainerSpec,
  change: ResourceChange,
): { requests?: Record<string, string>; limits?: Record<string, string> } | undefined {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  for (const resource of RESOURCES) {
    const request = change.requests?.[resource];
    let limit = change.limits?.[resource];
    const keptRequest = request ?? container.requests[resource];
    if (limit !== undefined && keptRequest !== undefined && limit < keptRequest) limit = keptRequest;
    const declaredLimit = limit ?? container.limits[resource];
    if (request !== undefined && declaredLimit !== undefined && declaredLimit < request) limit = request;
    if (request !== undefined && request !== container.requests[resource]) {
      requests[resource] = formatQuantity(request, resource);
    }
    if (limit !== undefined && limit !== container.limits[resource]) limits[resource] = formatQuantity(limit, resource);
  }
  const out: { requests?: Record<string, string>; limits?: Record<string, string> } = {};
  if (Object.keys(requests).length > 0) out.requests = requests;
  if (Object.keys(limits).length > 0) out.limits = limits;
  return out.limits || out.requests ? out : undefined;
}

/** The kubectl command applying `patch`; every word that is not plainly safe is single-quoted. */
export function kubectlPatchCommand(kind: string, namespace: string, name: string, patch: object): string {
  return [
    'kubectl',
    'patch',
    kind,
    shellQuote(name),
    '-n',
    shellQuote(namespace),
    '--type',
    'strategic',
    '-p',
    shellQuote(JSON.stringify(patch), true),
  ].join(' ');
}

/** A POSIX-shell word: as it is when it holds only safe characters, else in single quotes (`'` as `'\''`). */
export function shellQuote(word: string, always = false): string {
  if (!always && /^[A-Za-z0-9_.,:/=@%+-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
