/** PodMetrics as metrics-server serves them (`metrics.k8s.io/v1beta1`). */
import { formatTimestamp, type StoredObject } from './store';

/** One container's usage in the wire format: CPU and memory as Kubernetes quantities. */
export interface ContainerUsage {
  name: string;
  usage: { cpu: string; memory: string };
}

/**
 * Usage of one Running Pod's containers at one poll. `poll` is 0 on the first request to a PodMetrics
 * endpoint and goes up by one per request, so values can vary between polls. Returning undefined or an
 * empty list leaves the Pod out (metrics-server has no sample for a Pod that just started).
 */
export type MetricsProvider = (
  pod: Readonly<Record<string, unknown>>,
  poll: number,
) => readonly ContainerUsage[] | undefined;

/** Millicores as metrics-server writes CPU: whole nanocores (`123456789n`). */
export function cpuQuantity(millicores: number): string {
  return `${Math.max(0, Math.round(millicores * 1e6))}n`;
}

/** Bytes as metrics-server writes memory: whole kibibytes (`81920Ki`). */
export function memoryQuantity(bytes: number): string {
  return `${Math.max(0, Math.round(bytes / 1024))}Ki`;
}

/** The resolution metrics-server reports: usage is averaged over this window. */
export const METRICS_WINDOW = '30s';

/** A PodMetrics list item (no kind/apiVersion) for a Pod, with the Pod's labels as metrics-server copies them. */
export function podMetricsItem(pod: StoredObject, containers: readonly ContainerUsage[], nowMs: number): string {
  const stamp = formatTimestamp(nowMs);
  const metadata: Record<string, unknown> = { name: pod.name, namespace: pod.namespace, creationTimestamp: stamp };
  if (Object.keys(pod.labels).length > 0) metadata.labels = pod.labels;
  return JSON.stringify({
    metadata,
    timestamp: stamp,
    window: METRICS_WINDOW,
    containers: containers.map((c) => ({ name: c.name, usage: { cpu: c.usage.cpu, memory: c.usage.memory } })),
  });
}

/** metrics-server only reports Pods that are running. */
export function isRunningPod(pod: StoredObject): boolean {
  const status = pod.object.status as Record<string, unknown> | undefined;
  return status?.phase === 'Running';
}
