import fs from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import type { RuntimeEnvironment } from '../config/environment';
import { KubeConfigError } from './kubernetes.errors';

/** In a Pod: the service account (its token is re-read as it rotates). Elsewhere: the kubeconfig file. */
export function loadKubeConfig(environment: RuntimeEnvironment, context: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (environment.inCluster) {
    kc.loadFromCluster();
    return kc;
  }
  const file = environment.kubeconfigPath;
  if (!fs.existsSync(file)) {
    throw new KubeConfigError(
      `no kubeconfig at ${file} and not running in a cluster (KUBERNETES_SERVICE_HOST unset); set KUBECONFIG`,
    );
  }
  try {
    kc.loadFromFile(file);
  } catch (error) {
    throw new KubeConfigError(`cannot read kubeconfig ${file}: ${error instanceof Error ? error.message : error}`);
  }
  if (context !== undefined) {
    if (!kc.getContexts().some((c) => c.name === context)) {
      const known =
        kc
          .getContexts()
          .map((c) => c.name)
          .join(', ') || 'none';
      throw new KubeConfigError(`kubernetes.context: no context "${context}" in ${file} (contexts: ${known})`);
    }
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentCluster()) throw new KubeConfigError(`kubeconfig ${file} has no current context/cluster`);
  return kc;
}
