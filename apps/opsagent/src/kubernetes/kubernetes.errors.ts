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

/** Where in a kubeconfig the problem is; never any of its content (it holds credentials). */
export interface KubeConfigLocation {
  file?: string;
  /** 1-based, for a YAML error. */
  line?: number;
  column?: number;
}

/** No usable kubeconfig or in-cluster service account. */
export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;

  constructor(message: string, location: KubeConfigLocation = {}) {
    super(message);
    this.file = location.file;
    this.line = location.line;
    this.column = location.column;
  }
}
