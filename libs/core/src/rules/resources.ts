import type { ResourceName } from '../quantity';
import { formatQuantity } from '../quantity';
import type { ContainerContext, LimitRangeValue } from '../audit/workload-context';
import type { ContainerSpec } from '../workload';
import type { RuleFinding } from './rule';

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

/** The request the container runs with: its own (or its limit), else the one its namespace's LimitRange sets. */
export function admittedRequest(
  container: ContainerSpec,
  resource: ResourceName,
  context: ContainerContext | undefined,
): { value: number; limitRange?: string } | undefined {
  return admitted(effectiveRequest(container, resource), context?.requestDefault[resource]);
}

/** The limit the container runs with: its own, else the `default` its namespace's LimitRange sets. */
export function admittedLimit(
  container: ContainerSpec,
  resource: ResourceName,
  context: ContainerContext | undefined,
): { value: number; limitRange?: string } | undefined {
  return admitted(declaredLimit(container, resource), context?.limitDefault[resource]);
}

function admitted(
  own: number | undefined,
  defaulted: LimitRangeValue | undefined,
): { value: number; limitRange?: string } | undefined {
  if (own !== undefined) return { value: own };
  return defaulted ? { value: defaulted.value, limitRange: defaulted.limitRange } : undefined;
}

/**
 * The `*-missing` rules' one shape: a finding when the value is not set; severity `info`, naming the LimitRange
 * and the value, when the namespace's LimitRange sets it at admission.
 */
export function missingValue(
  kind: 'request' | 'limit',
  resource: ResourceName,
  declared: number | undefined,
  context: ContainerContext | undefined,
  message: string,
  fromUsage?: { value: number; text: string },
): RuleFinding | undefined {
  if (declared !== undefined) return undefined;
  // Where usage is known, the value to set: the issue's `fix` writes it.
  const advice = fromUsage ? `; recommend ${fromUsage.text}` : '';
  const recommendation = fromUsage ? { recommendation: { [`${kind}s`]: { [resource]: fromUsage.value } } } : {};
  const supplied = kind === 'request' ? context?.requestDefault[resource] : context?.limitDefault[resource];
  if (!supplied) return { message: message + advice, ...recommendation };
  return {
    severity: 'info',
    message:
      `${message}; LimitRange "${supplied.limitRange}" sets it to ${formatQuantity(supplied.value, resource)} ` +
      `(${supplied.field}.${resource}) at admission${advice}`,
    ...recommendation,
  };
}
