import type { ResourceName } from '../quantity';
import type { ContainerSpec } from '../workload';

/**
 * The request Kubernetes applies: when `requests.X` is unset but `limits.X` is set, the API
 * server defaults the request to the limit. Undefined when neither is set.
 */
export function effectiveRequest(container: ContainerSpec, resource: ResourceName): number | undefined {
  return container.requests[resource] ?? container.limits[resource];
}

export function declaredLimit(container: ContainerSpec, resource: ResourceName): number | undefined {
  return container.limits[resource];
}
