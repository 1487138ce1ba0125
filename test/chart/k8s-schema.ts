/**
 * Validation of rendered objects against the Kubernetes API's own schemas, offline:
 *
 * - kubernetes-models validates an object against the OpenAPI schema of its kind (Kubernetes 1.32 for the built-in
 *   kinds; the prometheus-operator CRD schemas for ServiceMonitor and PrometheusRule): types, required fields,
 *   enums, formats and patterns.
 * - OpenAPI schemas allow fields they do not know, which the API server drops (or, with strict field validation,
 *   refuses). So built-in kinds also go through @kubernetes/client-node's typed models and back: a field that does
 *   not survive the round trip is unknown to the API, as `kubectl apply --validate=strict` would say. CRD kinds have
 *   no typed model there, so for them the schema check above is the whole check.
 */
import { dumpYaml, loadYaml } from '@kubernetes/client-node';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import {
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Pod,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1';
import { parse } from 'yaml';
import type { K8sObject } from './helm';

type Model = new (data: never) => { validate(): void };

/** Every kind the chart may render. A kind missing here fails the validation: add its model. */
const MODELS: Record<string, { model: Model; crd: boolean }> = {
  'v1/Namespace': { model: Namespace, crd: false },
  'v1/ServiceAccount': { model: ServiceAccount, crd: false },
  'v1/ConfigMap': { model: ConfigMap, crd: false },
  'v1/Secret': { model: Secret, crd: false },
  'v1/Service': { model: Service, crd: false },
  'v1/Pod': { model: Pod, crd: false },
  'v1/PersistentVolumeClaim': { model: PersistentVolumeClaim, crd: false },
  'apps/v1/Deployment': { model: Deployment, crd: false },
  'rbac.authorization.k8s.io/v1/ClusterRole': { model: ClusterRole, crd: false },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { model: ClusterRoleBinding, crd: false },
  'networking.k8s.io/v1/NetworkPolicy': { model: NetworkPolicy, crd: false },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': { model: CustomResourceDefinition, crd: false },
  'rbac.authorization.k8s.io/v1/Role': { model: Role, crd: false },
  'rbac.authorization.k8s.io/v1/RoleBinding': { model: RoleBinding, crd: false },
  'policy/v1/PodDisruptionBudget': { model: PodDisruptionBudget, crd: false },
  'monitoring.coreos.com/v1/ServiceMonitor': { model: ServiceMonitor, crd: true },
  'monitoring.coreos.com/v1/PrometheusRule': { model: PrometheusRule, crd: true },
};

/** The problems found in one object, each prefixed with `Kind/name`; empty when it is valid. */
export function schemaProblems(object: K8sObject): string[] {
  const id = `${object.kind}/${object.metadata?.name}`;
  const entry = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!entry) return [`${id}: no schema for ${object.apiVersion} ${object.kind}`];
  const problems: string[] = [];
  try {
    new entry.model(structuredClone(object) as never).validate();
  } catch (error) {
    problems.push(`${id}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!entry.crd) problems.push(...unknownFields(object).map((field) => `${id}: unknown field ${field}`));
  return problems;
}

/** Paths of the fields the typed client model does not know (they are lost in a round trip through it). */
function unknownFields(object: K8sObject): string[] {
  const roundTripped: unknown = parse(dumpYaml(loadYaml(JSON.stringify(object))));
  return lostPaths(object, roundTripped, '');
}

function lostPaths(original: unknown, kept: unknown, at: string): string[] {
  if (Array.isArray(original)) {
    const keptItems = Array.isArray(kept) ? kept : [];
    return original.flatMap((item, i) => lostPaths(item, keptItems[i], `${at}[${i}]`));
  }
  if (isMapping(original)) {
    const keptMap = isMapping(kept) ? kept : {};
    return Object.entries(original).flatMap(([key, value]) =>
      key in keptMap ? lostPaths(value, keptMap[key], `${at}.${key}`) : [`${at}.${key}`],
    );
  }
  return [];
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
