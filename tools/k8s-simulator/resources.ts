/**
 * The API resources the simulator serves and advertises through discovery, described the way the
 * API server's `APIResourceList` describes them.
 */

export interface ApiResource {
  /** `''` for the core group (served under `/api/v1`). */
  group: string;
  version: string;
  /** Plural, lower case: the path segment (`deployments`). */
  resource: string;
  singularName: string;
  kind: string;
  namespaced: boolean;
  /** Advertised as a real API server advertises them; the simulator itself only answers get and list. */
  verbs: readonly string[];
  shortNames?: readonly string[];
  categories?: readonly string[];
  /** Field selector keys accepted besides `metadata.name` and `metadata.namespace`. */
  fieldLabels?: readonly string[];
  /**
   * The simulator answers create, update, patch and delete on it (the others answer 405, so tests can assert
   * that the agent never writes to them).
   */
  writable?: boolean;
  /** Served by a CustomResourceDefinition: DELETE answers the object, strategic merge patch answers 415. */
  custom?: boolean;
  /** PUT of an absent object creates it (Leases, as their registry strategy allows); otherwise 404. */
  allowCreateOnUpdate?: boolean;
}

export interface GroupVersion {
  group: string;
  version: string;
  resources: readonly ApiResource[];
}

const READ_WRITE = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;
const NAMESPACE_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] as const;
const METRICS_VERBS = ['get', 'list'] as const;
const CREATE_ONLY = ['create'] as const;
/** What a CustomResourceDefinition's resource advertises. */
const CUSTOM_VERBS = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'] as const;

export const COORDINATION_GROUP = 'coordination.k8s.io';
export const POLICY_REPORT_GROUP = 'wgpolicyk8s.io';
export const OPEN_REPORTS_GROUP = 'openreports.io';

function gv(group: string, version: string, resources: Omit<ApiResource, 'group' | 'version'>[]): GroupVersion {
  return { group, version, resources: resources.map((r) => ({ group, version, ...r })) };
}

export const METRICS_GROUP = 'metrics.k8s.io';

/** Every group version the simulator knows, in the order discovery lists them. */
export const GROUP_VERSIONS: readonly GroupVersion[] = [
  gv('', 'v1', [
    {
      resource: 'configmaps',
      singularName: 'configmap',
      kind: 'ConfigMap',
      namespaced: true,
      verbs: READ_WRITE,
      shortNames: ['cm'],
    },
    {
      resource: 'limitranges',
      singularName: 'limitrange',
      kind: 'LimitRange',
      namespaced: true,
      verbs: READ_WRITE,
      shortNames: ['limits'],
    },
    {
      resource: 'namespaces',
      singularName: 'namespace',
      kind: 'Namespace',
      namespaced: false,
      verbs: NAMESPACE_VERBS,
      shortNames: ['ns'],
      fieldLabels: ['status.phase'],
    },
    {
      resource: 'nodes',
      singularName: 'node',
      kind: 'Node',
      namespaced: false,
      verbs: READ_WRITE,
      shortNames: ['no'],
      fieldLabels: ['spec.unschedulable'],
    },
    {
      resource: 'pods',
      singularName: 'pod',
      kind: 'Pod',
      namespaced: true,
      verbs: READ_WRITE,
      shortNames: ['po'],
      categories: ['all'],
      fieldLabels: ['spec.nodeName', 'spec.restartPolicy', 'spec.serviceAccountName', 'status.phase', 'status.podIP'],
    },
    {
      resource: 'replicationcontrollers',
      singularName: 'replicationcontroller',
      kind: 'ReplicationController',
      namespaced: true,
      verbs: READ_WRITE,
      shortNames: ['rc'],
      categories: ['all'],
      fieldLabels: ['status.replicas'],
    },
    {
      resource: 'services',
      singularName: 'service',
      kind: 'Service',
      namespaced: true,
      verbs: READ_WRITE,
      shortNames: ['svc'],
      categories: ['all'],
    },
  ]),
  gv('apps', 'v1', [
    {
      resource: 'daemonsets',
      singularName: 'daemonset',
      kind: 'DaemonSet',
      namespaced: true,
      verbs: READ_WRITE,
      shortNames: ['ds'],
      categories: ['all'],
    },
    {
      resource: 'deployments',
      singularName: 'deployment',
      kind: 'Deployment',
      namespaced: true,
      verbs: READ_WRITE,
      shortNames: ['deploy'],
      categories: ['all'],
    },
    {
      resource: 'replicasets',
      singularName: 'replicaset',
      kind: 'ReplicaSet',
      namespaced: true,
      verbs: READ_WRITE,
      shortNames: ['rs'],
      categories: ['all'],
    },
    {
      resource: 'statefulsets',
      singularName: 'statefulset',
      kind: 'StatefulSet',
      namespaced: true,
      verbs: READ_WRITE,
      shortNames: ['sts'],
      categories: ['all'],
    },
  ]),
  gv('autoscaling', 'v2', [
    {
      resource: 'horizontalpodautoscalers',
      singularName: 'horizontalpodautoscaler',
      kind: 'HorizontalPodAutoscaler',
      namespaced: true,
      verbs: READ_WRITE,
      shortNames: ['hpa'],
      categories: ['all'],
    },
  ]),
  gv('batch', 'v1', [
    {
      resource: 'cronjobs',
      singularName: 'cronjob',
      kind: 'CronJob',
      namespaced: true,
      verbs: READ_WRITE,
      shortNames: ['cj'],
      categories: ['all'],
    },
    {
      resource: 'jobs',
      singularName: 'job',
      kind: 'Job',
      namespaced: true,
      verbs: READ_WRITE,
      categories: ['all'],
      fieldLabels: ['status.successful'],
    },
  ]),
  gv(METRICS_GROUP, 'v1beta1', [
    { resource: 'nodes', singularName: '', kind: 'NodeMetrics', namespaced: false, verbs: METRICS_VERBS },
    { resource: 'pods', singularName: '', kind: 'PodMetrics', namespaced: true, verbs: METRICS_VERBS },
  ]),
  gv(COORDINATION_GROUP, 'v1', [
    {
      resource: 'leases',
      singularName: 'lease',
      kind: 'Lease',
      namespaced: true,
      verbs: READ_WRITE,
      writable: true,
      allowCreateOnUpdate: true,
    },
  ]),
  // The CRDs of kubernetes-sigs/wg-policy-prototypes (policy-report/crd/v1alpha2) and openreports/reports-api.
  gv(POLICY_REPORT_GROUP, 'v1alpha2', [
    {
      resource: 'clusterpolicyreports',
      singularName: 'clusterpolicyreport',
      kind: 'ClusterPolicyReport',
      namespaced: false,
      verbs: CUSTOM_VERBS,
      shortNames: ['cpolr'],
      writable: true,
      custom: true,
    },
    {
      resource: 'policyreports',
      singularName: 'policyreport',
      kind: 'PolicyReport',
      namespaced: true,
      verbs: CUSTOM_VERBS,
      shortNames: ['polr'],
      writable: true,
      custom: true,
    },
  ]),
  gv(OPEN_REPORTS_GROUP, 'v1alpha1', [
    {
      resource: 'clusterreports',
      singularName: 'clusterreport',
      kind: 'ClusterReport',
      namespaced: false,
      verbs: CUSTOM_VERBS,
      shortNames: ['creps'],
      writable: true,
      custom: true,
    },
    {
      resource: 'reports',
      singularName: 'report',
      kind: 'Report',
      namespaced: true,
      verbs: CUSTOM_VERBS,
      shortNames: ['reps'],
      writable: true,
      custom: true,
    },
  ]),
  gv('authorization.k8s.io', 'v1', [
    {
      resource: 'localsubjectaccessreviews',
      singularName: 'localsubjectaccessreview',
      kind: 'LocalSubjectAccessReview',
      namespaced: true,
      verbs: CREATE_ONLY,
    },
    {
      resource: 'selfsubjectaccessreviews',
      singularName: 'selfsubjectaccessreview',
      kind: 'SelfSubjectAccessReview',
      namespaced: false,
      verbs: CREATE_ONLY,
    },
    {
      resource: 'selfsubjectrulesreviews',
      singularName: 'selfsubjectrulesreview',
      kind: 'SelfSubjectRulesReview',
      namespaced: false,
      verbs: CREATE_ONLY,
    },
    {
      resource: 'subjectaccessreviews',
      singularName: 'subjectaccessreview',
      kind: 'SubjectAccessReview',
      namespaced: false,
      verbs: CREATE_ONLY,
    },
  ]),
  gv('authentication.k8s.io', 'v1', [
    {
      resource: 'selfsubjectreviews',
      singularName: 'selfsubjectreview',
      kind: 'SelfSubjectReview',
      namespaced: false,
      verbs: CREATE_ONLY,
    },
    {
      resource: 'tokenreviews',
      singularName: 'tokenreview',
      kind: 'TokenReview',
      namespaced: false,
      verbs: CREATE_ONLY,
    },
  ]),
];

/** `apps/v1` for a group, `v1` for the core group. */
export function groupVersionString(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** The API server's `GroupResource` string: `deployments.apps`, `pods`, `pods.metrics.k8s.io`. */
export function groupResource(r: Pick<ApiResource, 'group' | 'resource'>): string {
  return r.group === '' ? r.resource : `${r.resource}.${r.group}`;
}

/** Whether the resource can be read (the review resources are create-only). */
export function isReadable(r: ApiResource): boolean {
  return r.verbs.includes('list');
}

const BY_TYPE = new Map<string, ApiResource>();
for (const g of GROUP_VERSIONS) {
  for (const r of g.resources) BY_TYPE.set(`${groupVersionString(r.group, r.version)}/${r.kind}`, r);
}

/** The resource serving objects of this apiVersion and kind, if the simulator knows it. */
export function resourceForType(apiVersion: string, kind: string): ApiResource | undefined {
  return BY_TYPE.get(`${apiVersion}/${kind}`);
}

export function findGroupVersion(group: string, version: string): GroupVersion | undefined {
  return GROUP_VERSIONS.find((g) => g.group === group && g.version === version);
}

/** `APIResourceList` for one group version, as `/api/v1` and `/apis/{group}/{version}` answer. */
export function apiResourceList(g: GroupVersion): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersionString(g.group, g.version),
    resources: g.resources.map((r) => ({
      name: r.resource,
      singularName: r.singularName,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
    })),
  };
}

function apiGroup(name: string, versions: readonly GroupVersion[]): Record<string, unknown> {
  const list = versions.map((g) => ({ groupVersion: groupVersionString(g.group, g.version), version: g.version }));
  return { name, versions: list, preferredVersion: list[0] };
}

/** `APIGroupList` (`/apis`): every named group, skipping those `include` rejects. */
export function apiGroupList(include: (g: GroupVersion) => boolean): Record<string, unknown> {
  const groups = GROUP_VERSIONS.filter((g) => g.group !== '' && include(g));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((g) => apiGroup(g.group, [g])) };
}

/** `APIGroup` (`/apis/{group}`). */
export function apiGroupDocument(group: string): Record<string, unknown> | undefined {
  const versions = GROUP_VERSIONS.filter((g) => g.group === group && group !== '');
  if (versions.length === 0) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, versions) };
}

/** `APIVersions` (`/api`). */
export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** `/version`: what the simulator claims to be. */
export const VERSION_INFO = {
  major: '1',
  minor: '33',
  gitVersion: 'v1.33.0-opsagent-simulator',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-11-01T00:00:00Z',
  goVersion: 'go1.24.0',
  compiler: 'gc',
  platform: 'linux/amd64',
} as const;
