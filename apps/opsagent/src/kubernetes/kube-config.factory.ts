import fs from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import type { RuntimeEnvironment } from '../config/environment';
import { guardExecPlugins } from './exec-plugin-guard';
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
      { file },
    );
  }
  try {
    kc.loadFromFile(file);
  } catch (error) {
    throw loadError(file, error);
  }
  if (context !== undefined) {
    if (!kc.getContexts().some((c) => c.name === context)) {
      const known =
        kc
          .getContexts()
          .map((c) => c.name)
          .join(', ') || 'none';
      throw new KubeConfigError(`kubernetes.context: no context "${context}" in ${file} (contexts: ${known})`, {
        file,
      });
    }
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentCluster()) throw new KubeConfigError(`kubeconfig ${file} has no current context/cluster`, { file });
  guardExecPlugins(kc);
  return kc;
}

/** js-yaml's error (client-node parses kubeconfigs with it): `mark` is 0-based. */
interface YamlException extends Error {
  reason?: string;
  mark?: { line: number; column: number };
}

/** client-node's structural complaints name a path, never a value: `users[0].name is missing`. */
const STRUCTURAL = /^(?:(?:clusters|users|contexts)\[\d+\]\.[\w.-]+ is missing|Duplicate (?:cluster|user|context): )/;

/**
 * The error of a kubeconfig that does not load, naming the file and, for a YAML error, the line and column.
 * A kubeconfig holds credentials (tokens, client keys), so its text is never quoted: js-yaml's message carries an
 * excerpt of the lines around the error, and some of its reasons quote a value (an alias or tag name); only the
 * reason's wording, up to such a value, is kept.
 */
function loadError(file: string, error: unknown): KubeConfigError {
  const prefix = `cannot read kubeconfig ${file}`;
  const e = error as YamlException & { code?: string };
  if (e?.name === 'YAMLException') {
    const reason = (e.reason ?? e.message).split(/[:"'!(<\n]/)[0].trim() || 'malformed YAML';
    if (!e.mark) return new KubeConfigError(`${prefix}: invalid YAML: ${reason}`, { file });
    const line = e.mark.line + 1;
    const column = e.mark.column + 1;
    return new KubeConfigError(`${prefix}: invalid YAML at line ${line}, column ${column}: ${reason}`, {
      file,
      line,
      column,
    });
  }
  if (typeof e?.code === 'string' && e.code.startsWith('E')) {
    // An fs error (EACCES, EISDIR): the code and its wording, without the message's repeat of the path.
    const wording = /^\w+: ([^,]+)/.exec(e.message)?.[1];
    return new KubeConfigError(`${prefix}: ${e.code}${wording ? ` (${wording})` : ''}`, { file });
  }
  if (error instanceof TypeError) {
    // An empty file, or one whose top level is not a mapping: client-node reads `.clusters` of it.
    return new KubeConfigError(`${prefix}: not a kubeconfig (expected a YAML mapping)`, { file });
  }
  if (error instanceof Error && STRUCTURAL.test(error.message)) {
    return new KubeConfigError(`${prefix}: ${error.message}`, { file });
  }
  return new KubeConfigError(`${prefix}: not a valid kubeconfig (${error instanceof Error ? error.name : 'error'})`, {
    file,
  });
}
