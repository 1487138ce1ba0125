/**
 * The chart's PolicyReport pieces (issue 14): write access on the report kinds only when config.reports turns them
 * on, the CRDs only behind reports.installCRDs, and a default render with no write verb anywhere.
 */
import type { IClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import type { IClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { buildReports, REPORT_TYPES, type SeenIssue } from '@opsagent/core/reports/policy-report';
import { ensureHelm, helm, NAMESPACE, only, render, SETUP_TIMEOUT_MS, templateArgs, type K8sObject } from './helm';
import { schemaProblems } from './k8s-schema';

const READ = ['get', 'list', 'watch'];
const WRITE_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

beforeAll(ensureHelm, SETUP_TIMEOUT_MS);

/** Every rule of every Role and ClusterRole, as `group/resource verb,verb`. */
function grants(objects: K8sObject[]): string[] {
  return objects
    .filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')
    .flatMap((o) =>
      ((o as IClusterRole).rules ?? []).flatMap((rule) =>
        (rule.apiGroups ?? []).flatMap((group) =>
          (rule.resources ?? []).map((resource) => `${group || 'core'}/${resource} ${rule.verbs.join(',')}`),
        ),
      ),
    );
}

const writer = (objects: K8sObject[]) => objects.find((o) => o.metadata.name === 'opsagent-reports-writer');

describe('chart: PolicyReports and Reports', () => {
  it('the default render is read-only: no write verb in any role, no CRD, no writer role', () => {
    const objects = render();
    for (const grant of grants(objects)) {
      const verbs = grant.split(' ')[1].split(',');
      for (const verb of verbs) expect(READ).toContain(verb);
    }
    expect(objects.filter((o) => o.kind === 'CustomResourceDefinition')).toEqual([]);
    expect(writer(objects)).toBeUndefined();
  });

  it('config.reports.policyReports: a writer ClusterRole on policyreports only, bound to the agent', () => {
    const objects = render({ values: { config: { reports: { policyReports: true } } } });
    const role = only<IClusterRole>(objects, 'ClusterRole', 'opsagent-reports-writer');
    expect(role.rules).toEqual([{ apiGroups: ['wgpolicyk8s.io'], resources: ['policyreports'], verbs: WRITE_VERBS }]);
    const binding = only<IClusterRoleBinding>(objects, 'ClusterRoleBinding', 'opsagent-reports-writer-binding');
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'opsagent-reports-writer',
    });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'opsagent', namespace: NAMESPACE }]);
    // The reader role is unchanged: read verbs only.
    for (const rule of only<IClusterRole>(objects, 'ClusterRole', 'opsagent-reader').rules ?? []) {
      for (const verb of rule.verbs) expect(READ).toContain(verb);
    }
    expect(objects.flatMap(schemaProblems)).toEqual([]);
  });

  it('config.reports.openReports: write verbs on reports.openreports.io, and with both, on both', () => {
    const open = render({ values: { config: { reports: { openReports: true } } } });
    expect(only<IClusterRole>(open, 'ClusterRole', 'opsagent-reports-writer').rules).toEqual([
      { apiGroups: ['openreports.io'], resources: ['reports'], verbs: WRITE_VERBS },
    ]);
    const both = render({ values: { config: { reports: { policyReports: true, openReports: true } } } });
    expect(grants([writer(both)!]).sort()).toEqual([
      `openreports.io/reports ${WRITE_VERBS.join(',')}`,
      `wgpolicyk8s.io/policyreports ${WRITE_VERBS.join(',')}`,
    ]);
  });

  it('rbac.create false renders no writer role either', () => {
    const objects = render({ values: { rbac: { create: false }, config: { reports: { policyReports: true } } } });
    expect(writer(objects)).toBeUndefined();
  });

  it('reports.installCRDs installs the CRD of each report kind switched on, kept on uninstall', () => {
    const crds = (values: unknown) =>
      render({ values }).filter((o) => o.kind === 'CustomResourceDefinition') as (K8sObject & { spec: CrdSpec })[];
    const policy = crds({ reports: { installCRDs: true }, config: { reports: { policyReports: true } } });
    expect(policy.map((c) => c.metadata.name)).toEqual(['policyreports.wgpolicyk8s.io']);
    expect(policy[0].metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    expect(policy[0].spec).toMatchObject({
      group: 'wgpolicyk8s.io',
      scope: 'Namespaced',
      names: { kind: 'PolicyReport', plural: 'policyreports', shortNames: ['polr'] },
    });
    expect(policy[0].spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([['v1alpha2', true, true]]);
    const both = crds({
      reports: { installCRDs: true },
      config: { reports: { policyReports: true, openReports: true } },
    });
    expect(both.map((c) => c.metadata.name)).toEqual(['policyreports.wgpolicyk8s.io', 'reports.openreports.io']);
    expect(crds({ config: { reports: { policyReports: true } } })).toEqual([]);
    expect(both.flatMap(schemaProblems)).toEqual([]);
  });

  it('reports.installCRDs without a report kind switched on is an error naming both keys', () => {
    const result = helm(templateArgs({}), { reports: { installCRDs: true } });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      'reports.installCRDs: set config.reports.policyReports or config.reports.openReports',
    );
  });

  it("the installed CRDs' schemas keep every field the agent writes (the API server would prune an unknown one)", () => {
    const both = render({
      values: { reports: { installCRDs: true }, config: { reports: { policyReports: true, openReports: true } } },
    }) as (K8sObject & { spec: CrdSpec })[];
    const issue: SeenIssue = {
      id: '0123456789abcdef',
      rule: 'memory-overprovisioned',
      severity: 'info',
      namespace: 'shop',
      kind: 'Deployment',
      name: 'api',
      container: 'app',
      message: 'm',
      remediation: 'r',
      overProvisioning: {
        resource: 'memory',
        unit: 'bytes',
        samples: 12,
        usage: 1,
        request: 2,
        recommended: 1,
        wastePerPod: 1,
        replicas: 2,
        wasteTotal: 2,
      },
      firstSeen: '2026-12-01T00:00:00Z',
      lastSeen: '2026-12-01T00:00:00Z',
    };
    for (const [type, crdName] of [
      [REPORT_TYPES.PolicyReport, 'policyreports.wgpolicyk8s.io'],
      [REPORT_TYPES.Report, 'reports.openreports.io'],
    ] as const) {
      const report = buildReports([issue], type, () => ({ uid: 'u-1' })).get('shop')!;
      const crd = both.find((o) => o.metadata.name === crdName)!;
      const schema = crd.spec.versions[0].schema.openAPIV3Schema;
      expect(unknownPaths(JSON.parse(JSON.stringify(report)), schema, '')).toEqual([]);
      expect(unknownPaths({ results: [{ bogus: 1 }] }, schema, '')).toEqual(['.results[0].bogus']);
    }
  });
});

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
}

interface CrdSpec {
  group: string;
  versions: { name: string; served: boolean; storage: boolean; schema: { openAPIV3Schema: JsonSchema } }[];
}

/** Paths of `value` that the structural schema does not declare, or whose type or enum it refuses. */
function unknownPaths(value: unknown, schema: JsonSchema, at: string): string[] {
  if (schema.enum && !schema.enum.includes(value)) return [`${at} (not in enum)`];
  if (Array.isArray(value)) {
    if (schema.type !== 'array' || !schema.items) return [`${at} (not an array)`];
    return value.flatMap((item, i) => unknownPaths(item, schema.items!, `${at}[${i}]`));
  }
  if (typeof value === 'object' && value !== null) {
    if (schema.type !== 'object') return [`${at} (not an object)`];
    if (at === '.metadata') return [];
    return Object.entries(value).flatMap(([key, child]) => {
      const sub = schema.properties?.[key] ?? schema.additionalProperties;
      return sub ? unknownPaths(child, sub, `${at}.${key}`) : [`${at}.${key}`];
    });
  }
  const type = typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value;
  return schema.type === type ? [] : [`${at} (${type}, not ${schema.type})`];
}
