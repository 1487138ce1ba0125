import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where Kubernetes mounts the Pod's service account: its `namespace` file names the Pod's namespace. */
export const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The Pod, as the chart's downward API and the service account mount describe it. */
export interface PodIdentity {
  /** `POD_NAME` (the chart sets it from `metadata.name`). */
  name?: string;
  /** The service account's namespace file, else `POD_NAMESPACE`. */
  namespace?: string;
  /** os.hostname(): the Pod's name in a Pod, whatever the environment says. */
  hostname: string;
}

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
    /** Defaults of the leader election's Lease namespace and identity. */
    readonly pod: PodIdentity = { hostname: os.hostname() },
  ) {}

  static fromProcess(env: NodeJS.ProcessEnv = process.env, namespaceFile = SERVICE_ACCOUNT_NAMESPACE_FILE) {
    const fromEnv = env.KUBECONFIG?.split(path.delimiter).find((p) => p.length > 0);
    return new RuntimeEnvironment(
      Boolean(env.KUBERNETES_SERVICE_HOST),
      fromEnv ?? path.join(env.HOME ?? os.homedir(), '.kube', 'config'),
      {
        name: nonEmpty(env.POD_NAME),
        namespace: nonEmpty(readIfPresent(namespaceFile)) ?? nonEmpty(env.POD_NAMESPACE),
        hostname: os.hostname(),
      },
    );
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function readIfPresent(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // outside a Pod (or automountServiceAccountToken: false)
  }
}
