/** A request to the Kubernetes API that failed for good (after retries). */
export class ClusterReadError extends Error {
  constructor(
    readonly resource: string,
    readonly reason: string,
    readonly code?: number,
  ) {
    super(`${resource}: ${reason}`);
    this.name = 'ClusterReadError';
  }
}

/** No usable kubeconfig or in-cluster service account. */
export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
}
