import os from 'node:os';
import path from 'node:path';

/**
 * What the service takes from its environment. This is the only place that reads `process.env`
 * (the Secret-provided variables are never read or logged here: they are for the container only).
 */
export class RuntimeEnvironment {
  constructor(
    /** Set in a Pod: then the service account is used instead of a kubeconfig. */
    readonly inCluster: boolean,
    /** The kubeconfig file used outside a cluster. */
    readonly kubeconfigPath: string,
  ) {}

  static fromProcess(env: NodeJS.ProcessEnv = process.env): RuntimeEnvironment {
    const fromEnv = env.KUBECONFIG?.split(path.delimiter).find((p) => p.length > 0);
    return new RuntimeEnvironment(
      Boolean(env.KUBERNETES_SERVICE_HOST),
      fromEnv ?? path.join(env.HOME ?? os.homedir(), '.kube', 'config'),
    );
  }
}
