/** One PodMetrics sample (metrics.k8s.io/v1beta1): CPU in millicores, memory in bytes per container. */
export interface UsageSample {
  namespace: string;
  pod: string;
  /** Labels of the Pod (PodMetrics from metrics-server carry the Pod's labels). */
  labels: Record<string, string>;
  /** RFC 3339 timestamp of the sample, when given: the end of the interval it measures. */
  timestamp?: string;
  /** The interval the sample measures (PodMetrics `window`), ms, when given. */
  windowMs?: number;
  containers: ContainerUsage[];
}

export interface ContainerUsage {
  name: string;
  cpu: number;
  memory: number;
}
