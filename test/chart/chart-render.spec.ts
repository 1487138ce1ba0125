/**
 * The Helm chart as `helm lint` and `helm template` see it: every scenario lints and renders objects the Kubernetes
 * schemas accept, and the default render is the deployment of the architecture document
 * (shared/seed/opsagent-architecture.zh.md), with the optional resources only when enabled.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import type { IClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import { parse } from 'yaml';
import { parseConfig } from '@opsagent/core/config/config.loader';
import { AGENT_NODE_OPTIONS } from '../../bench/agent-flags';
import { parseMemory } from '@opsagent/core/quantity';
import {
  CHART_DIR,
  ciValuesFiles,
  ensureHelm,
  helm,
  NAMESPACE,
  only,
  parseManifests,
  render,
  ROOT,
  SETUP_TIMEOUT_MS,
  templateArgs,
  type K8sObject,
} from './helm';
import { schemaProblems } from './k8s-schema';
import { admits } from './network-policy';
import { agentContainer, containerPort } from './pod';
import { EXPOSED_SERIES, selectedMetrics } from './promql';

const FULL = path.join(CHART_DIR, 'ci/full-values.yaml');
const EXISTING_SECRET = path.join(CHART_DIR, 'ci/existing-secret-values.yaml');
const CUSTOM_CONFIG = path.join(CHART_DIR, 'ci/custom-config-values.yaml');

const packageVersion = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;
const chart = parse(fs.readFileSync(path.join(CHART_DIR, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;

const SELECTOR_LABELS = { 'app.kubernetes.io/name': 'opsagent', 'app.kubernetes.io/instance': 'opsagent' };

function podSpec(deployment: IDeployment) {
  return deployment.spec!.template.spec!;
}

function configOf(objects: K8sObject[]): Record<string, unknown> {
  const configMap = only<IConfigMap>(objects, 'ConfigMap', 'opsagent-config');
  return parse(configMap.data!['config.yaml']) as Record<string, unknown>;
}

beforeAll(ensureHelm, SETUP_TIMEOUT_MS);

const SCENARIOS: [string, string[]][] = [
  ['defaults', []],
  ...ciValuesFiles().map((file): [string, string[]] => [path.basename(file), [file]]),
];

describe.each(SCENARIOS)('chart scenario %s', (_name, valuesFiles) => {
  it('passes helm lint --strict', () => {
    const result = helm([
      'lint',
      CHART_DIR,
      '--strict',
      '--namespace',
      NAMESPACE,
      ...valuesFiles.flatMap((f) => ['-f', f]),
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('0 chart(s) failed');
  });

  it('renders only objects that the Kubernetes API schemas of their kinds accept', () => {
    const objects = render({ valuesFiles });
    expect(objects.length).toBeGreaterThan(5);
    expect(objects.flatMap(schemaProblems)).toEqual([]);
  });

  it('renders a config.yaml that the agent accepts', () => {
    expect(() => parseConfig(configOf(render({ valuesFiles })))).not.toThrow();
  });

  it('sizes the V8 heap (NODE_OPTIONS) to at most 3/4 of the memory limit, leaving room for native memory', () => {
    const container = agentContainer(only<IDeployment>(render({ valuesFiles }), 'Deployment'));
    const nodeOptions = container.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
    const heapMi = Number(/^--max-old-space-size=(\d+) --max-semi-space-size=\d+$/.exec(nodeOptions)?.[1]);
    const limitMi = parseMemory(String(container.resources?.limits?.memory)) / 2 ** 20;
    expect(heapMi).toBeGreaterThanOrEqual(limitMi / 2);
    expect(heapMi).toBeLessThanOrEqual((limitMi * 3) / 4);
  });
});

describe('chart metadata', () => {
  it('is a v2 application chart named opsagent whose appVersion is the package version', () => {
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'opsagent', type: 'application' });
    expect(chart.appVersion).toBe(packageVersion);
  });
});

describe('default render (helm install opsagent charts/opsagent -n ops-system)', () => {
  let objects: K8sObject[];
  let deployment: IDeployment;
  beforeAll(() => {
    objects = render();
    deployment = only<IDeployment>(objects, 'Deployment', 'opsagent');
  });

  it('renders exactly the resources of the architecture document, named as there', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        'ClusterRole/opsagent-reader',
        'ClusterRoleBinding/opsagent-reader-binding',
        'ConfigMap/opsagent-config',
        'Deployment/opsagent',
        'Namespace/ops-system',
        'Pod/opsagent-test-connection',
        'Service/opsagent',
        'ServiceAccount/opsagent',
      ].sort(),
    );
  });

  it('puts every namespaced object in the release namespace', () => {
    const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);
    for (const object of objects.filter((o) => !clusterScoped.has(o.kind))) {
      expect([`${object.kind}/${object.metadata.name}`, object.metadata.namespace]).toEqual([
        `${object.kind}/${object.metadata.name}`,
        NAMESPACE,
      ]);
    }
    for (const object of objects.filter((o) => clusterScoped.has(o.kind))) {
      expect(object.metadata.namespace).toBeUndefined();
    }
  });

  it('labels every object as `helm create` does, with a component label', () => {
    for (const object of objects) {
      expect(object.metadata.labels).toMatchObject({
        'helm.sh/chart': `opsagent-${String(chart.version)}`,
        'app.kubernetes.io/instance': 'opsagent',
        'app.kubernetes.io/managed-by': 'Helm',
        'app.kubernetes.io/component': expect.any(String),
      });
      expect(object.metadata.labels?.['app.kubernetes.io/name']).toMatch(/^opsagent/);
    }
    expect(deployment.metadata?.labels?.['app.kubernetes.io/version']).toBe(packageVersion);
  });

  it('creates the namespace, enforcing the restricted Pod Security Standard, and keeps it on uninstall', () => {
    const namespace = only<K8sObject>(objects, 'Namespace');
    expect(namespace.metadata.name).toBe(NAMESPACE);
    expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(namespace.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
  });

  describe('RBAC', () => {
    const READ = ['get', 'list', 'watch'];

    it('grants get/list/watch on exactly what the agent reads', () => {
      const role = only<IClusterRole>(objects, 'ClusterRole', 'opsagent-reader');
      const granted = (role.rules ?? []).flatMap((rule) =>
        (rule.apiGroups ?? []).flatMap((group) =>
          (rule.resources ?? []).map((resource) => `${group || 'core'}/${resource} ${[...(rule.verbs ?? [])].sort()}`),
        ),
      );
      const expected = [
        'apps/deployments',
        'apps/statefulsets',
        'apps/daemonsets',
        'apps/replicasets',
        'core/pods',
        'core/services',
        'core/configmaps',
        'core/namespaces',
        'core/nodes',
        'core/replicationcontrollers',
        'batch/jobs',
        'batch/cronjobs',
        'core/limitranges',
        'autoscaling/horizontalpodautoscalers',
        'metrics.k8s.io/pods',
        'metrics.k8s.io/nodes',
      ].map((r) => `${r} ${[...READ].sort()}`);
      expect(granted.sort()).toEqual(expected.sort());
    });

    it('grants no Secret, no wildcard and no write verb', () => {
      const role = only<IClusterRole>(objects, 'ClusterRole', 'opsagent-reader');
      for (const rule of role.rules ?? []) {
        expect(rule.resources).not.toContain('secrets');
        expect(rule.resources).not.toContain('*');
        expect(rule.apiGroups).not.toContain('*');
        expect(rule.nonResourceURLs).toBeUndefined();
        expect(rule.resourceNames).toBeUndefined();
        for (const verb of rule.verbs) expect(READ).toContain(verb);
      }
    });

    it('grants create on tokenreviews and subjectaccessreviews only with server.auth.mode kubernetes', () => {
      const reviewRules = (objs: K8sObject[]) =>
        (only<IClusterRole>(objs, 'ClusterRole', 'opsagent-reader').rules ?? [])
          .filter((r) => r.verbs.includes('create'))
          .map((r) => `${r.apiGroups?.join()}/${r.resources?.join()} ${r.verbs.join()}`);
      expect(reviewRules(objects)).toEqual([]);
      const withAuth = render({ values: { config: { server: { auth: { mode: 'kubernetes' } } } } });
      expect(reviewRules(withAuth)).toEqual([
        'authentication.k8s.io/tokenreviews create',
        'authorization.k8s.io/subjectaccessreviews create',
      ]);
      // Still nothing else: every other rule stays read-only.
      const others = only<IClusterRole>(withAuth, 'ClusterRole', 'opsagent-reader').rules!.filter(
        (r) => !r.verbs.includes('create'),
      );
      for (const rule of others) for (const verb of rule.verbs) expect(READ).toContain(verb);
    });

    it('binds the role to the ServiceAccount the pod runs as', () => {
      const binding = only<IClusterRoleBinding>(objects, 'ClusterRoleBinding', 'opsagent-reader-binding');
      expect(binding.roleRef).toEqual({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'opsagent-reader',
      });
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'opsagent', namespace: NAMESPACE }]);
      expect(podSpec(deployment).serviceAccountName).toBe('opsagent');
      expect(only<K8sObject>(objects, 'ServiceAccount').metadata.name).toBe('opsagent');
    });
  });

  describe('ConfigMap opsagent-config', () => {
    it('holds config.yaml rendered from .Values.config: the default config of the agent', () => {
      const config = configOf(objects);
      const values = parse(fs.readFileSync(path.join(CHART_DIR, 'values.yaml'), 'utf8')) as { config: unknown };
      expect(config).toEqual(values.config);
      // …but for the usage history file, which the agent leaves unset and the chart puts on /app/.cache.
      const agent = JSON.parse(JSON.stringify(parseConfig(config))) as { usage: Record<string, unknown> };
      expect(agent.usage.historyFile).toBe('/app/.cache/usage-history');
      delete agent.usage.historyFile;
      expect(agent).toEqual(JSON.parse(JSON.stringify(parseConfig({}))));
    });

    it('is mounted at /app/config, where the container args point', () => {
      const container = agentContainer(deployment);
      expect(container.args).toEqual(['serve', '--config', '/app/config/config.yaml']);
      const mount = container.volumeMounts?.find((m) => m.mountPath === '/app/config');
      expect(mount).toMatchObject({ readOnly: true });
      const volume = podSpec(deployment).volumes?.find((v) => v.name === mount?.name);
      expect(volume?.configMap?.name).toBe('opsagent-config');
    });

    it('rolls the pod when it changes (checksum/config annotation)', () => {
      const checksum = (objs: K8sObject[]) =>
        only<IDeployment>(objs, 'Deployment').spec!.template.metadata!.annotations!['checksum/config'];
      expect(checksum(objects)).toMatch(/^[0-9a-f]{64}$/);
      expect(checksum(render({ values: { config: { logLevel: 'debug' } } }))).not.toBe(checksum(objects));
      expect(checksum(render({ values: { podAnnotations: { a: 'b' } } }))).toBe(checksum(objects));
    });
  });

  describe('Deployment opsagent', () => {
    it('runs one replica, replaced with Recreate so two agents never run at once', () => {
      expect(deployment.spec?.replicas).toBe(1);
      expect(deployment.spec?.strategy).toEqual({ type: 'Recreate' });
    });

    it('selects its pods by name and instance only', () => {
      expect(deployment.spec?.selector.matchLabels).toEqual(SELECTOR_LABELS);
      expect(deployment.spec?.template.metadata?.labels).toMatchObject({
        ...SELECTOR_LABELS,
        'app.kubernetes.io/component': 'agent',
      });
    });

    it('runs the image opsagent:<appVersion>', () => {
      const container = agentContainer(deployment);
      expect(container.image).toBe(`opsagent:${packageVersion}`);
      expect(container.imagePullPolicy).toBe('IfNotPresent');
      expect(podSpec(deployment).imagePullSecrets).toBeUndefined();
    });

    it('exposes http 18080 and metrics 9090, the ports of the config', () => {
      const config = configOf(objects) as { server: { port: number }; metrics: { port: number } };
      expect(agentContainer(deployment).ports).toEqual([
        { name: 'http', containerPort: 18080, protocol: 'TCP' },
        { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
      ]);
      expect([config.server.port, config.metrics.port]).toEqual([18080, 9090]);
    });

    it('probes liveness on GET /health every 30 s (3 failures) and readiness on GET /health/ready every 10 s', () => {
      const container = agentContainer(deployment);
      expect(container.livenessProbe).toMatchObject({
        httpGet: { path: '/health', port: 'http' },
        periodSeconds: 30,
        failureThreshold: 3,
      });
      expect(container.readinessProbe).toMatchObject({
        httpGet: { path: '/health/ready', port: 'http' },
        periodSeconds: 10,
      });
    });

    it('requests 200m/256Mi and is limited to 1000m/512Mi', () => {
      expect(agentContainer(deployment).resources).toEqual({
        requests: { cpu: '200m', memory: '256Mi' },
        limits: { cpu: '1000m', memory: '512Mi' },
      });
    });

    it('caps the V8 heap below the memory limit (NODE_OPTIONS)', () => {
      const env = agentContainer(deployment).env ?? [];
      expect(env.find((e) => e.name === 'NODE_OPTIONS')?.value).toBe(AGENT_NODE_OPTIONS);
      expect(AGENT_NODE_OPTIONS).toBe('--max-old-space-size=384 --max-semi-space-size=4');
    });

    it('mounts the ConfigMap at /app/config and emptyDirs at /tmp and /app/.cache, nothing else', () => {
      const container = agentContainer(deployment);
      const volumes = new Map((podSpec(deployment).volumes ?? []).map((v) => [v.name, v]));
      const mounted = (container.volumeMounts ?? []).map((m) => {
        const volume = volumes.get(m.name);
        const source = volume?.configMap ? `configMap:${volume.configMap.name}` : volume?.emptyDir ? 'emptyDir' : '?';
        return `${m.mountPath} ${source}`;
      });
      expect(mounted.sort()).toEqual([
        '/app/.cache emptyDir',
        '/app/config configMap:opsagent-config',
        '/tmp emptyDir',
      ]);
      expect(volumes.size).toBe(3);
    });

    it('runs hardened: non-root UID/GID 1000, RuntimeDefault seccomp, read-only root, no escalation, no capabilities', () => {
      expect(podSpec(deployment).securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        fsGroup: 1000,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(agentContainer(deployment).securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
    });

    it('gets no environment from a Secret by default', () => {
      expect(agentContainer(deployment).envFrom).toBeUndefined();
    });
  });

  describe('Service opsagent', () => {
    it('is a ClusterIP Service: 80 → http, 9090 → metrics, selecting the pods by their labels', () => {
      const service = only<IService>(objects, 'Service', 'opsagent');
      expect(service.spec?.type).toBe('ClusterIP');
      expect(service.spec?.ports).toEqual([
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
        { name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP' },
      ]);
      expect(service.spec?.selector).toEqual(SELECTOR_LABELS);
      expect(deployment.spec?.template.metadata?.labels).toMatchObject(service.spec!.selector!);
      const names = (agentContainer(deployment).ports ?? []).map((p) => p.name);
      for (const port of service.spec?.ports ?? []) expect(names).toContain(port.targetPort);
    });
  });

  describe('helm test pod', () => {
    it('GETs /health through the Service, from the agent image, and is not selected by the Service', () => {
      const pod = only<IPod>(objects, 'Pod', 'opsagent-test-connection');
      expect(pod.metadata?.annotations?.['helm.sh/hook']).toBe('test');
      const container = pod.spec!.containers[0];
      expect(container.image).toBe(agentContainer(deployment).image);
      expect(container.env).toContainEqual({
        name: 'OPSAGENT_HEALTH_URL',
        value: `http://opsagent.${NAMESPACE}.svc:80/health`,
      });
      const service = only<IService>(objects, 'Service');
      const selected = Object.entries(service.spec!.selector!).every(([k, v]) => pod.metadata?.labels?.[k] === v);
      expect(selected).toBe(false);
      expect(pod.spec?.securityContext).toEqual(podSpec(deployment).securityContext);
      expect(container.securityContext).toEqual(agentContainer(deployment).securityContext);
    });
  });

  it('renders no optional resource by default', () => {
    const kinds = objects.map((o) => o.kind);
    for (const kind of ['Secret', 'ServiceMonitor', 'PrometheusRule', 'NetworkPolicy'])
      expect(kinds).not.toContain(kind);
    expect(objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name)).toEqual(['opsagent-config']);
  });
});

describe('values passed through to the pod', () => {
  it('sets image, pull secrets, scheduling, annotations, labels and extra env from values', () => {
    const deployment = only<IDeployment>(render({ valuesFiles: [FULL] }), 'Deployment');
    const spec = podSpec(deployment);
    const container = agentContainer(deployment);
    expect(container.image).toBe('registry.example.com/platform/opsagent:0.1.0-rc.1');
    expect(container.imagePullPolicy).toBe('Always');
    expect(spec.imagePullSecrets).toEqual([{ name: 'registry-credentials' }]);
    expect(spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(spec.tolerations).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'platform', effect: 'NoSchedule' },
    ]);
    expect(spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toBeDefined();
    expect(spec.priorityClassName).toBe('system-cluster-critical');
    expect(deployment.spec?.template.metadata?.annotations).toMatchObject({ 'example.com/owner': 'platform' });
    expect(deployment.spec?.template.metadata?.labels).toMatchObject({ team: 'platform' });
    expect(container.env).toContainEqual({ name: 'TZ', value: 'UTC' });
  });

  it('takes the container ports from config.server.port and config.metrics.port; probes and Service follow by name', () => {
    const objects = render({ valuesFiles: [CUSTOM_CONFIG] });
    const deployment = only<IDeployment>(objects, 'Deployment');
    expect(containerPort(deployment, 'http')).toBe(8080);
    expect(containerPort(deployment, 'metrics')).toBe(8081);
    expect(agentContainer(deployment).livenessProbe?.httpGet?.port).toBe('http');
    const service = only<IService>(objects, 'Service');
    expect(service.spec?.ports?.map((p) => [p.port, p.targetPort])).toEqual([
      [8080, 'http'],
      [9100, 'metrics'],
    ]);
    expect(agentContainer(deployment).env).toContainEqual({
      name: 'NODE_OPTIONS',
      value: '--max-old-space-size=768 --max-semi-space-size=4',
    });
  });

  it('uses an existing ServiceAccount and renders no Namespace when told so', () => {
    const objects = render({ valuesFiles: [CUSTOM_CONFIG] });
    expect(objects.map((o) => o.kind)).not.toContain('Namespace');
    expect(objects.map((o) => o.kind)).not.toContain('ServiceAccount');
    expect(podSpec(only<IDeployment>(objects, 'Deployment')).serviceAccountName).toBe('platform-readers');
    expect(only<IClusterRoleBinding>(objects, 'ClusterRoleBinding').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'platform-readers', namespace: NAMESPACE },
    ]);
  });

  it('refuses a metrics port equal to the API port, as the agent would', () => {
    const result = helm(templateArgs({}), { config: { metrics: { port: 18080 } } });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('config.metrics.port: must differ from config.server.port');
  });
});

describe('Secret (secrets.create / secrets.existingSecret)', () => {
  const SECRET_VALUES = ['ghp-example-not-a-real-token', 'AKIAEXAMPLE'];

  it('creates opsagent-secrets from secrets.data and passes its keys as environment variables only', () => {
    const objects = render({ valuesFiles: [FULL] });
    const secret = only<ISecret>(objects, 'Secret', 'opsagent-secrets');
    const decoded = Object.fromEntries(
      Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
    );
    expect(decoded).toEqual({ GITHUB_TOKEN: SECRET_VALUES[0], AWS_ACCESS_KEY_ID: SECRET_VALUES[1] });
    const deployment = only<IDeployment>(objects, 'Deployment');
    expect(agentContainer(deployment).envFrom).toEqual([{ secretRef: { name: 'opsagent-secrets' } }]);
    expect(deployment.spec?.template.metadata?.annotations?.['checksum/secrets']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('never renders a secret value in clear, nor into the ConfigMap', () => {
    const result = helm(templateArgs({ valuesFiles: [FULL] }));
    for (const value of SECRET_VALUES) expect(result.stdout).not.toContain(value);
    const configYaml = only<IConfigMap>(parseManifests(result.stdout), 'ConfigMap', 'opsagent-config').data![
      'config.yaml'
    ];
    for (const value of SECRET_VALUES) {
      expect(configYaml).not.toContain(value);
      expect(configYaml).not.toContain(Buffer.from(value).toString('base64'));
    }
  });

  it('uses the existing Secret instead of rendering one', () => {
    const objects = render({ valuesFiles: [EXISTING_SECRET] });
    expect(objects.map((o) => o.kind)).not.toContain('Secret');
    const deployment = only<IDeployment>(objects, 'Deployment');
    expect(agentContainer(deployment).envFrom).toEqual([{ secretRef: { name: 'my-opsagent-credentials' } }]);
    expect(deployment.spec?.template.metadata?.annotations?.['checksum/secrets']).toBeUndefined();
  });
});

describe('checksum/secrets: rolls the pod when the Secret changes, reveals nothing about it', () => {
  const WEAK = { PASSWORD: 'hunter2', API_TOKEN: '1234' };
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const withSecret = (data: Record<string, string>, checksumSalt?: string) => ({
    secrets: { create: true, data, ...(checksumSalt === undefined ? {} : { checksumSalt }) },
  });
  const checksumOf = (objects: K8sObject[]) =>
    only<IDeployment>(objects, 'Deployment').spec!.template.metadata!.annotations!['checksum/secrets'];

  it('matches no sha256 of the rendered Secret, its data, its values or their base64', () => {
    const result = helm(templateArgs({}), withSecret(WEAK));
    expect(result.code).toBe(0);
    const objects = parseManifests(result.stdout);
    const secret = only<ISecret>(objects, 'Secret', 'opsagent-secrets');
    // The Secret's text as helm rendered it (what `include "secret.yaml" | sha256sum` hashed), with and without the
    // salt annotation a fixed implementation adds.
    const source = /# Source: opsagent\/templates\/secret\.yaml\n([\s\S]*?)\n(?=---|$)/.exec(result.stdout)![1];
    const withoutSalt = source.replace(/\n +annotations:\n +opsagent\.io\/checksum-salt: .*/, '');
    const values = Object.values(WEAK);
    const guesses = [
      source,
      withoutSalt,
      ...[source, withoutSalt].flatMap((text) => [`\n${text}`, `${text}\n`, `\n${text}\n`]),
      JSON.stringify(WEAK),
      JSON.stringify(secret.data),
      ...Object.entries(WEAK).map(([k, v]) => `${k}=${v}`),
      ...values,
      ...values.map((v) => Buffer.from(v).toString('base64')),
      values.join(''),
    ];
    const checksum = checksumOf(objects);
    expect(checksum).toMatch(/^[0-9a-f]{64}$/);
    for (const guess of guesses) expect([guess, sha256(guess)]).not.toEqual([guess, checksum]);
  });

  it('is keyed with a random salt that only the Secret carries, so two renders of the same Secret differ', () => {
    const first = render({ values: withSecret(WEAK) });
    const second = render({ values: withSecret(WEAK) });
    expect(checksumOf(first)).not.toBe(checksumOf(second));
    const salt = only<ISecret>(first, 'Secret').metadata!.annotations!['opsagent.io/checksum-salt'];
    expect(salt).toMatch(/^[A-Za-z0-9]{43}$/);
    const deployment = JSON.stringify(only<IDeployment>(first, 'Deployment'));
    expect(deployment).not.toContain(salt);
    // What `helm upgrade` does through lookup: the salt stored in the Secret reproduces the annotation.
    expect(checksumOf(render({ values: withSecret(WEAK, salt) }))).toBe(checksumOf(first));
  });

  it('with the same salt (kept in the Secret across upgrades): the same Secret keeps it, a changed Secret changes it', () => {
    const salt = 'x'.repeat(43);
    const base = checksumOf(render({ values: withSecret(WEAK, salt) }));
    expect(only<ISecret>(render({ values: withSecret(WEAK, salt) }), 'Secret').metadata?.annotations).toEqual({
      'opsagent.io/checksum-salt': salt,
    });
    expect(checksumOf(render({ values: withSecret(WEAK, salt) }))).toBe(base);
    expect(checksumOf(render({ values: { ...withSecret(WEAK, salt), podAnnotations: { a: 'b' } } }))).toBe(base);
    expect(checksumOf(render({ values: withSecret({ ...WEAK, PASSWORD: 'hunter3' }, salt) }))).not.toBe(base);
    expect(checksumOf(render({ values: withSecret({ ...WEAK, EXTRA: 'x' }, salt) }))).not.toBe(base);
    expect(checksumOf(render({ values: withSecret(WEAK, 'y'.repeat(43)) }))).not.toBe(base);
  });
});

describe('ServiceMonitor (serviceMonitor.enabled)', () => {
  it('scrapes the Service port named metrics at /metrics, with the interval, timeout and labels from values', () => {
    const objects = render({ valuesFiles: [FULL] });
    const monitor = only<IServiceMonitor>(objects, 'ServiceMonitor', 'opsagent');
    const service = only<IService>(objects, 'Service');
    expect(monitor.metadata?.namespace).toBe(NAMESPACE);
    expect(monitor.metadata?.labels).toMatchObject({ release: 'prometheus' });
    expect(monitor.spec.namespaceSelector).toEqual({ matchNames: [NAMESPACE] });
    const selector = monitor.spec.selector.matchLabels ?? {};
    expect(service.metadata?.labels).toMatchObject(selector);
    expect(Object.keys(selector).length).toBeGreaterThan(0);
    expect(monitor.spec.endpoints).toHaveLength(1);
    const [endpoint] = monitor.spec.endpoints!;
    expect(endpoint).toMatchObject({ port: 'metrics', path: '/metrics', interval: '1m', scrapeTimeout: '20s' });
    expect(service.spec?.ports?.map((p) => p.name)).toContain(endpoint.port);
  });
});

describe('PrometheusRule (prometheusRule.enabled)', () => {
  const rules = (objects: K8sObject[]) =>
    only<IPrometheusRule>(objects, 'PrometheusRule').spec.groups!.flatMap((group) => group.rules ?? []);

  it('alerts on failing scans, no successful scan for 3 intervals, and high/critical issues', () => {
    const alerts = rules(render({ valuesFiles: [FULL] }));
    expect(alerts.map((r) => r.alert)).toEqual([
      'OpsAgentScansFailing',
      'OpsAgentNoSuccessfulScan',
      'OpsAgentHighSeverityIssues',
    ]);
    const byName = new Map(alerts.map((r) => [r.alert, String(r.expr)]));
    expect(byName.get('OpsAgentScansFailing')).toContain('opsagent_detection_runs_total{status="failed"');
    // */5 * * * *: 3 intervals are 900 s.
    expect(byName.get('OpsAgentNoSuccessfulScan')).toContain('opsagent_last_successful_scan_timestamp_seconds');
    expect(byName.get('OpsAgentNoSuccessfulScan')).toContain('> 900');
    expect(byName.get('OpsAgentHighSeverityIssues')).toContain('severity=~"critical|high"');
    for (const alert of alerts) expect(alert.labels).toMatchObject({ severity: 'warning', team: 'platform' });
  });

  it('writes valid PromQL over metrics the agent exposes, selecting this release', () => {
    for (const rule of rules(render({ valuesFiles: [FULL] }))) {
      const expr = String(rule.expr);
      for (const metric of selectedMetrics(expr)) expect(EXPOSED_SERIES).toContain(metric);
      expect(expr).toContain(`job="opsagent", namespace="${NAMESPACE}"`);
    }
  });

  it.each([
    ['*/5 * * * *', 0, 900],
    ['0 */2 * * *', 0, 3 * 7200],
    ['@hourly', 0, 3 * 3600],
    ['*/30 * * * * *', 0, 90],
    ['0 9 * * 1-5', 86_400, 3 * 86_400],
  ])('derives the "3 intervals" of schedule %s (scanIntervalSeconds %d) as %d s', (schedule, seconds, window) => {
    const objects = render({
      values: { config: { schedule }, prometheusRule: { enabled: true, scanIntervalSeconds: seconds } },
    });
    const stale = rules(objects).find((r) => r.alert === 'OpsAgentNoSuccessfulScan');
    expect(String(stale?.expr)).toContain(`> ${window}`);
  });

  it('asks for scanIntervalSeconds when the schedule has no fixed interval it can read', () => {
    const result = helm(templateArgs({}), { config: { schedule: '0 9 * * 1-5' }, prometheusRule: { enabled: true } });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('prometheusRule.scanIntervalSeconds: cannot derive the scan interval');
  });
});

describe('NetworkPolicy (networkPolicy.enabled)', () => {
  const TEST_POD_PEER = {
    podSelector: {
      matchLabels: { 'app.kubernetes.io/name': 'opsagent-test', 'app.kubernetes.io/instance': 'opsagent' },
    },
  };

  it('lets in the API port from the configured peers and the metrics port from Prometheus; lets out DNS and the API server', () => {
    const objects = render({ valuesFiles: [FULL] });
    const policy = only<INetworkPolicy>(objects, 'NetworkPolicy', 'opsagent');
    const deployment = only<IDeployment>(objects, 'Deployment');
    expect(policy.spec?.podSelector.matchLabels).toEqual(SELECTOR_LABELS);
    expect(policy.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    const ports = new Set((agentContainer(deployment).ports ?? []).map((p) => p.name));
    const [api, metrics] = policy.spec!.ingress!;
    expect(api.ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
    expect(api.from).toEqual([
      TEST_POD_PEER,
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'platform-tools' } } },
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'dashboard' } } },
    ]);
    expect(metrics.ports).toEqual([{ port: 'metrics', protocol: 'TCP' }]);
    expect(metrics.from).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
      },
    ]);
    for (const rule of policy.spec!.ingress!) for (const port of rule.ports ?? []) expect(ports).toContain(port.port);
    const [dns, apiServer] = policy.spec!.egress!;
    expect(dns.ports).toEqual([
      { port: 53, protocol: 'UDP' },
      { port: 53, protocol: 'TCP' },
    ]);
    expect(dns.to?.[0].podSelector?.matchLabels).toEqual({ 'k8s-app': 'kube-dns' });
    expect(apiServer.to).toEqual([{ ipBlock: { cidr: '10.0.0.1/32' } }, { ipBlock: { cidr: '172.20.0.0/16' } }]);
    expect(apiServer.ports).toEqual([
      { port: 443, protocol: 'TCP' },
      { port: 6443, protocol: 'TCP' },
    ]);
    expect(policy.spec?.ingress).toHaveLength(2);
    expect(policy.spec?.egress).toHaveLength(2);
  });

  it('lets out to Prometheus (its namespace and pods, on networkPolicy.prometheus.ports) with usage.source: prometheus', () => {
    const on = { enabled: true, metrics: { podSelector: { matchLabels: { app: 'prometheus' } } } };
    const without = only<INetworkPolicy>(render({ values: { networkPolicy: on } }), 'NetworkPolicy');
    expect(without.spec?.egress).toHaveLength(2);
    const policy = only<INetworkPolicy>(
      render({
        values: {
          networkPolicy: { ...on, prometheus: { ports: [9090, 10902] } },
          config: {
            usage: { source: 'prometheus', prometheus: { url: 'http://prometheus-operated.monitoring:9090' } },
          },
        },
      }),
      'NetworkPolicy',
    );
    expect(policy.spec?.egress).toHaveLength(3);
    expect(policy.spec?.egress?.[2]).toEqual({
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
          podSelector: { matchLabels: { app: 'prometheus' } },
        },
      ],
      ports: [
        { port: 9090, protocol: 'TCP' },
        { port: 10902, protocol: 'TCP' },
      ],
    });
  });

  it('by default lets the API port be reached from the release namespace only (and the helm test pod)', () => {
    const policy = only<INetworkPolicy>(render({ values: { networkPolicy: { enabled: true } } }), 'NetworkPolicy');
    expect(policy.spec?.ingress?.[0].from).toEqual([TEST_POD_PEER, { podSelector: {} }]);
    expect(policy.spec?.egress?.[1].to).toEqual([{ ipBlock: { cidr: '0.0.0.0/0' } }]);
  });
});

describe('NetworkPolicy: who reaches the API port', () => {
  const policyOf = (objects: K8sObject[]) => only<INetworkPolicy>(objects, 'NetworkPolicy', 'opsagent');
  const testPodOf = (objects: K8sObject[]) => {
    const pod = only<IPod>(objects, 'Pod', 'opsagent-test-connection');
    return { namespace: pod.metadata!.namespace!, labels: pod.metadata!.labels! };
  };
  const ON = { networkPolicy: { enabled: true } };

  it.each(SCENARIOS)(
    'admits the helm test pod to the API port in scenario %s with the NetworkPolicy on',
    (_name, files) => {
      const objects = render({ valuesFiles: files, values: ON });
      expect(admits(policyOf(objects), testPodOf(objects), 'http')).toBe(true);
    },
  );

  it('admits the helm test pod even when networkPolicy.api.from names other peers only, or none', () => {
    for (const from of [[{ namespaceSelector: { matchLabels: { team: 'x' } } }], []]) {
      const objects = render({ values: { networkPolicy: { enabled: true, api: { from } } } });
      const policy = policyOf(objects);
      expect(admits(policy, testPodOf(objects), 'http')).toBe(true);
      // …and only it, in the release namespace: not the agent's neighbours.
      expect(admits(policy, { namespace: NAMESPACE, labels: { app: 'other' } }, 'http')).toBe(false);
    }
  });

  it('admits by default the pods of the release namespace, and no other namespace', () => {
    const policy = policyOf(render({ values: ON }));
    expect(admits(policy, { namespace: NAMESPACE, labels: { app: 'any' } }, 'http')).toBe(true);
    expect(admits(policy, { namespace: 'apps', labels: { 'app.kubernetes.io/name': 'dashboard' } }, 'http')).toBe(
      false,
    );
  });

  it("admits the README's example client (namespace apps) with the values the chart README gives for it", () => {
    const readme = fs.readFileSync(path.join(CHART_DIR, 'README.md'), 'utf8');
    const block = /```yaml\n(networkPolicy:\n[\s\S]*?)```/.exec(readme);
    expect(block).not.toBeNull();
    const objects = render({ values: parse(block![1]) });
    const policy = policyOf(objects);
    const dashboard = { namespace: 'apps', labels: { 'app.kubernetes.io/name': 'dashboard' } };
    expect(admits(policy, dashboard, 'http')).toBe(true);
    expect(admits(policy, { namespace: 'apps', labels: { app: 'other' } }, 'http')).toBe(false);
    expect(admits(policy, { ...dashboard, namespace: 'elsewhere' }, 'http')).toBe(false);
    expect(admits(policy, testPodOf(objects), 'http')).toBe(true);
    // The metrics port stays Prometheus'.
    expect(admits(policy, dashboard, 'metrics')).toBe(false);
  });
});

describe('V8 heap against the memory limit', () => {
  it.each<[number, unknown]>([
    [600, '512Mi'],
    [512, '512Mi'],
    [1000, '1G'],
    [2048, 2_147_483_648],
  ])('refuses maxOldSpaceSizeMi %d with a memory limit of %s, naming both', (heap, memory) => {
    const result = helm(templateArgs({}), { maxOldSpaceSizeMi: heap, resources: { limits: { cpu: '1', memory } } });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`maxOldSpaceSizeMi (${heap})`);
    expect(result.stderr).toMatch(new RegExp(`resources\\.limits\\.memory \\(${String(memory)} = \\d+ MiB\\)`));
  });

  it.each<[number, unknown]>([
    [384, '512Mi'],
    [768, '1Gi'],
    [900, '1G'],
    [1536, 2_147_483_648],
    [3000, '4e9'],
    [1500, '2.5Gi'],
  ])('renders maxOldSpaceSizeMi %d with a memory limit of %s', (heap, memory) => {
    const result = helm(templateArgs({}), { maxOldSpaceSizeMi: heap, resources: { limits: { cpu: '1', memory } } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('renders any maxOldSpaceSizeMi when there is no memory limit', () => {
    const values = { maxOldSpaceSizeMi: 4096, resources: { limits: { cpu: '1', memory: null } } };
    const result = helm(templateArgs({}), values);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('Grafana dashboard (grafanaDashboard.enabled)', () => {
  interface Panel {
    title: string;
    targets?: { expr: string }[];
  }

  it('is a ConfigMap the Grafana sidecar picks up (grafana_dashboard: "1") holding the dashboard file as is', () => {
    const configMap = only<IConfigMap>(render({ valuesFiles: [FULL] }), 'ConfigMap', 'opsagent-dashboard');
    expect(configMap.metadata?.labels).toMatchObject({ grafana_dashboard: '1' });
    expect(configMap.metadata?.namespace).toBe('monitoring');
    expect(configMap.metadata?.annotations).toEqual({ grafana_folder: 'Kubernetes' });
    const file = fs.readFileSync(path.join(CHART_DIR, 'dashboards/opsagent.json'), 'utf8');
    expect(createHash('sha256').update(configMap.data!['opsagent.json']).digest('hex')).toBe(
      createHash('sha256').update(file.trimEnd()).digest('hex'),
    );
  });

  it('shows runs, duration and issues by severity, with valid PromQL over metrics the agent exposes', () => {
    const dashboard = JSON.parse(fs.readFileSync(path.join(CHART_DIR, 'dashboards/opsagent.json'), 'utf8')) as {
      panels: Panel[];
    };
    const metricsOf = (panel: Panel) => (panel.targets ?? []).flatMap((t) => selectedMetrics(t.expr));
    const shown = new Set(dashboard.panels.flatMap(metricsOf));
    for (const metric of shown) expect(EXPOSED_SERIES).toContain(metric);
    expect(shown).toContain('opsagent_detection_runs_total');
    expect(shown).toContain('opsagent_detection_duration_seconds_bucket');
    expect(shown).toContain('opsagent_issues_by_severity');
    for (const waste of ['opsagent_waste_cpu_cores', 'opsagent_waste_memory_bytes', 'opsagent_waste_monthly_cost'])
      expect(shown).toContain(waste);
    const titles = dashboard.panels.map((p) => p.title);
    expect(titles).toEqual(expect.arrayContaining(['Detection runs', 'Detection duration', 'Issues by severity']));
  });
});

describe('NOTES.txt', () => {
  const notes = (valuesFiles: string[]) => {
    const args = ['install', 'opsagent', CHART_DIR, '--namespace', NAMESPACE, '--dry-run=client'];
    const result = helm([...args, ...valuesFiles.flatMap((f) => ['-f', f])]);
    expect(result.code).toBe(0);
    return result.stdout.slice(result.stdout.indexOf('NOTES:'));
  };

  it('tells how to reach the API and the metrics, with the ports of the values', () => {
    const text = notes([]);
    expect(text).toContain('kubectl -n ops-system port-forward svc/opsagent 18080:80');
    expect(text).toContain('curl http://localhost:18080/api/v1/issues');
    expect(text).toContain('kubectl -n ops-system port-forward svc/opsagent 9090:9090');
    expect(text).toContain('curl http://localhost:9090/metrics');
    expect(text).toContain('http://opsagent.ops-system.svc:80');
    expect(text).toContain('helm test opsagent -n ops-system');
    const custom = notes([CUSTOM_CONFIG]);
    expect(custom).toContain('port-forward svc/opsagent 8080:8080');
    expect(custom).toContain('port-forward svc/opsagent 8081:9100');
  });
});

describe('usage history volume (config.usage.historyFile, persistence)', () => {
  const cacheVolume = (deployment: IDeployment) => podSpec(deployment).volumes!.find((v) => v.name === 'cache')!;

  it('by default keeps the history file on the /app/.cache emptyDir, sized for it and its copy being written', () => {
    const objects = render();
    const deployment = only<IDeployment>(objects, 'Deployment');
    expect((configOf(objects).usage as Record<string, unknown>).historyFile).toBe('/app/.cache/usage-history');
    expect(agentContainer(deployment).volumeMounts).toContainEqual({ name: 'cache', mountPath: '/app/.cache' });
    expect(cacheVolume(deployment)).toEqual({ name: 'cache', emptyDir: { sizeLimit: '256Mi' } });
    expect(objects.map((o) => o.kind)).not.toContain('PersistentVolumeClaim');
  });

  it('with persistence.enabled mounts a ReadWriteOnce claim it creates, kept on uninstall', () => {
    const objects = render({ valuesFiles: [path.join(CHART_DIR, 'ci/persistence-values.yaml')] });
    const claim = only<K8sObject & { spec: Record<string, unknown> }>(objects, 'PersistentVolumeClaim');
    expect(claim.metadata.name).toBe('opsagent-cache');
    expect(claim.metadata.namespace).toBe(NAMESPACE);
    expect(claim.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    expect(claim.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'standard-rwo',
      resources: { requests: { storage: '2Gi' } },
    });
    expect(cacheVolume(only<IDeployment>(objects, 'Deployment'))).toEqual({
      name: 'cache',
      persistentVolumeClaim: { claimName: 'opsagent-cache' },
    });
  });

  it('uses persistence.existingClaim instead of creating one, and the default StorageClass when none is named', () => {
    const existing = render({ values: { persistence: { enabled: true, existingClaim: 'my-history' } } });
    expect(existing.map((o) => o.kind)).not.toContain('PersistentVolumeClaim');
    expect(cacheVolume(only<IDeployment>(existing, 'Deployment')).persistentVolumeClaim).toEqual({
      claimName: 'my-history',
    });
    const claim = only<K8sObject & { spec: Record<string, unknown> }>(
      render({ values: { persistence: { enabled: true } } }),
      'PersistentVolumeClaim',
    );
    expect(claim.spec).not.toHaveProperty('storageClassName');
    expect(claim.spec.resources).toEqual({ requests: { storage: '1Gi' } });
  });

  it("leaves the history in memory with historyFile '' (no key in config.yaml, which the agent accepts)", () => {
    const config = configOf(render({ values: { config: { usage: { historyFile: '' } } } }));
    const usage = config.usage as Record<string, unknown>;
    expect(usage).not.toHaveProperty('historyFile');
    expect(usage.sampleInterval).toBe('1m');
    expect(parseConfig(config).usage.historyFile).toBeUndefined();
  });
});
