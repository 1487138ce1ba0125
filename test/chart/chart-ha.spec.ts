/**
 * The chart's high-availability pieces under the real helm: more than one replica only with leader election, the
 * Lease Role only with it, a PodDisruptionBudget and pod anti-affinity with more than one replica, the Pod's name
 * and namespace from the downward API, and a default render that stays read-only.
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { IClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ensureHelm, helm, NAMESPACE, only, render, SETUP_TIMEOUT_MS, templateArgs, type K8sObject } from './helm';
import { schemaProblems } from './k8s-schema';
import { agentContainer } from './pod';

beforeAll(ensureHelm, SETUP_TIMEOUT_MS);

const SELECTOR_LABELS = { 'app.kubernetes.io/name': 'opsagent', 'app.kubernetes.io/instance': 'opsagent' };
const HA = { replicaCount: 2, config: { leaderElection: { enabled: true } } };
const kinds = (objects: K8sObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`);
const deploymentOf = (objects: K8sObject[]) => only<IDeployment>(objects, 'Deployment', 'opsagent');

describe('replicaCount', () => {
  it('above 1 without config.leaderElection.enabled: helm refuses to render, naming both keys', () => {
    for (const values of [{ replicaCount: 2 }, { replicaCount: 3, config: { leaderElection: { enabled: false } } }]) {
      const result = helm(templateArgs({}), values);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(
        /replicaCount [23] needs config\.leaderElection\.enabled: true .*without leader election every replica would scan and alert/,
      );
    }
  });

  it('above 1 with persistence.enabled: helm refuses to render, naming both keys', () => {
    const result = helm(templateArgs({}), { ...HA, persistence: { enabled: true } });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/persistence\.enabled needs replicaCount 1 \(it is 2\)/);
    expect(render({ values: { persistence: { enabled: true } } }).some((o) => o.kind === 'PersistentVolumeClaim')).toBe(
      true,
    );
  });

  it('above 1 with leader election renders, and the rendered objects pass the Kubernetes schemas', () => {
    const objects = render({ values: HA });
    expect(deploymentOf(objects).spec?.replicas).toBe(2);
    expect(objects.flatMap(schemaProblems)).toEqual([]);
  });
});

describe('default render: one replica, read-only', () => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = render();
  });

  it('has no Role, RoleBinding or PodDisruptionBudget, no anti-affinity, and rolls out by Recreate', () => {
    expect(kinds(objects).filter((k) => /^(Role|RoleBinding|PodDisruptionBudget)\//.test(k))).toEqual([]);
    const deployment = deploymentOf(objects);
    expect(deployment.spec?.strategy).toEqual({ type: 'Recreate' });
    expect(deployment.spec?.template.spec?.affinity).toBeUndefined();
  });

  it('grants only get, list and watch', () => {
    const role = only<IClusterRole>(objects, 'ClusterRole');
    const verbs = new Set((role.rules ?? []).flatMap((rule) => rule.verbs));
    expect([...verbs].sort()).toEqual(['get', 'list', 'watch']);
  });

  it("passes the Pod's name and namespace from the downward API (POD_NAME, POD_NAMESPACE)", () => {
    const env = agentContainer(deploymentOf(objects)).env ?? [];
    expect(env.filter((e) => e.name.startsWith('POD_'))).toEqual([
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ]);
  });
});

describe('leader election (config.leaderElection.enabled)', () => {
  it('adds a Role on leases (create; get and update on the Lease by name) in the release namespace, bound to the agent', () => {
    const objects = render({ values: { config: { leaderElection: { enabled: true } } } });
    const role = only<IRole>(objects, 'Role', 'opsagent-leader-election');
    expect(role.metadata?.namespace).toBe(NAMESPACE);
    expect(role.rules).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['opsagent'],
        verbs: ['get', 'update'],
      },
    ]);
    const binding = only<IRoleBinding>(objects, 'RoleBinding', 'opsagent-leader-election');
    expect(binding.metadata?.namespace).toBe(NAMESPACE);
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'opsagent-leader-election',
    });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'opsagent', namespace: NAMESPACE }]);
    // One replica: nothing to spread or protect from a drain.
    expect(kinds(objects).filter((k) => k.startsWith('PodDisruptionBudget/'))).toEqual([]);
    expect(deploymentOf(objects).spec?.template.spec?.affinity).toBeUndefined();
  });

  it('puts the Role in config.leaderElection.namespace and names the configured Lease', () => {
    const objects = render({
      values: { config: { leaderElection: { enabled: true, namespace: 'leases', leaseName: 'opsagent-eu' } } },
    });
    const role = only<IRole>(objects, 'Role', 'opsagent-leader-election');
    expect(role.metadata?.namespace).toBe('leases');
    expect(role.rules?.[1].resourceNames).toEqual(['opsagent-eu']);
    expect(only<IRoleBinding>(objects, 'RoleBinding').metadata?.namespace).toBe('leases');
  });

  it('rolls out with a surge (old and new pods may overlap: only the Lease holder scans)', () => {
    expect(deploymentOf(render({ values: HA })).spec?.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
  });

  it('has no Role without rbac.create', () => {
    const objects = render({ values: { ...HA, rbac: { create: false } } });
    expect(kinds(objects).filter((k) => /^(Role|RoleBinding)\//.test(k))).toEqual([]);
  });
});

describe('more than one replica', () => {
  it('adds a PodDisruptionBudget with minAvailable 1 over the agent pods', () => {
    const pdb = only<IPodDisruptionBudget>(render({ values: HA }), 'PodDisruptionBudget', 'opsagent');
    expect(pdb.metadata?.namespace).toBe(NAMESPACE);
    expect(pdb.spec).toEqual({ minAvailable: 1, selector: { matchLabels: SELECTOR_LABELS } });
  });

  it('prefers to put the replicas on different nodes', () => {
    expect(deploymentOf(render({ values: HA })).spec?.template.spec?.affinity).toEqual({
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: SELECTOR_LABELS } },
          },
        ],
      },
    });
  });

  it('keeps an affinity given in values instead', () => {
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['ops'] }] }],
        },
      },
    };
    expect(deploymentOf(render({ values: { ...HA, affinity } })).spec?.template.spec?.affinity).toEqual(affinity);
  });
});
