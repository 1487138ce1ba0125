/**
 * From chart to running agent: render the chart, start the built agent with exactly the container's argv (the
 * image's ENTRYPOINT + the rendered args), environment (NODE_OPTIONS, the Secret's keys), user, working directory and
 * mounted config.yaml, against the Kubernetes API simulator (through KUBECONFIG, standing in for the service
 * account), and check that what the chart declares (probe paths and ports, Service target ports, the helm test, the
 * ClusterRole) holds for the process.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IService } from 'kubernetes-models/v1/Service';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { waitFor } from '../e2e/harness';
import { freePorts, startContainer, waitForStatus, writeKubeconfig, type RunningContainer } from './container';
import { readDockerfile } from './dockerfile';
import { ensureHelm, only, render, SETUP_TIMEOUT_MS, type K8sObject } from './helm';
import { agentContainer, containerSpecOf, containerPort, servicePortTarget } from './pod';

const SECRET_VALUE = 'do-not-log-this-1f9c2e';

/** A namespace with one Deployment without requests or limits: the first scan finds issues in it. */
const CLUSTER: Record<string, unknown>[] = [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
    },
  },
];

let objects: K8sObject[];
let deployment: IDeployment;
let simulator: Simulator;
let kubeconfig: { file: string; remove(): void };
let agent: RunningContainer;

const local = (port: number, route: string) => `http://127.0.0.1:${port}${route}`;

beforeAll(async () => {
  ensureHelm();
  // Free ports instead of 18080/9090, which another process on this machine may hold.
  const [apiPort, metricsPort] = await freePorts(2);
  objects = render({
    values: {
      config: { server: { port: apiPort }, metrics: { port: metricsPort } },
      secrets: { create: true, data: { OPSAGENT_EXAMPLE_TOKEN: SECRET_VALUE } },
    },
  });
  deployment = only<IDeployment>(objects, 'Deployment');
  simulator = await startSimulator({ objects: CLUSTER, token: 'chart-runtime-token' });
  kubeconfig = writeKubeconfig(simulator);
  agent = startContainer({
    ...containerSpecOf(objects, readDockerfile().image),
    hostEnv: { KUBECONFIG: kubeconfig.file },
  });
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await agent?.stop('SIGKILL');
  agent?.cleanUp();
  kubeconfig?.remove();
  await simulator?.close();
});

describe('the agent started from the rendered chart', () => {
  it('answers the liveness probe as declared: GET /health on the port it names, 200', async () => {
    const probe = agentContainer(deployment).livenessProbe!.httpGet!;
    const res = await waitForStatus(local(containerPort(deployment, probe.port), probe.path!), 200);
    expect(res.status).toBe(200);
  });

  it('answers the readiness probe with 200 once the first scan has run, having read the simulator', async () => {
    const probe = agentContainer(deployment).readinessProbe!.httpGet!;
    const res = await waitForStatus(local(containerPort(deployment, probe.port), probe.path!), 200);
    expect(res.status).toBe(200);
    const issues = await fetch(local(containerPort(deployment, 'http'), '/api/v1/issues'));
    const body = (await issues.json()) as { items: { namespace: string; name: string }[] };
    expect(body.items.length).toBeGreaterThan(0);
    expect(body.items.every((i) => i.namespace === 'shop' && i.name === 'web')).toBe(true);
  });

  it('serves Prometheus metrics on the container port named metrics', async () => {
    const res = await waitForStatus(local(containerPort(deployment, 'metrics'), '/metrics'), 200);
    expect(res.body).toContain('opsagent_detection_runs_total{status="succeeded"} 1');
    expect(res.body).toContain('opsagent_issues_by_severity');
  });

  it('is reached through every Service port: each targetPort resolves to a port it serves', async () => {
    const service = only<IService>(objects, 'Service');
    const routes: Record<string, string> = { http: '/health', metrics: '/metrics' };
    for (const port of service.spec!.ports!) {
      const res = await waitForStatus(
        local(servicePortTarget(objects, 'opsagent', port.port), routes[port.name!]),
        200,
      );
      expect([port.name, res.status]).toEqual([port.name, 200]);
    }
  });

  it('passes the helm test: its check, run against the Service, exits 0', async () => {
    const pod = only<IPod>(objects, 'Pod', 'opsagent-test-connection');
    const [container] = pod.spec!.containers;
    const declared = new URL(container.env!.find((e) => e.name === 'OPSAGENT_HEALTH_URL')!.value!);
    // <service>.<namespace>.svc:<port> → the container port kube-proxy would send it to.
    const [serviceName, namespace] = declared.hostname.split('.');
    expect(namespace).toBe(deployment.metadata?.namespace);
    const target = servicePortTarget(objects, serviceName, Number(declared.port || 80));
    const [command, ...args] = container.command!;
    expect(command).toBe('node');
    const { stdout } = await promisify(execFile)(process.execPath, args, {
      env: { OPSAGENT_HEALTH_URL: local(target, declared.pathname) },
      timeout: 15_000,
    });
    expect(stdout).toContain(': 200');
  });

  it('reads only what the ClusterRole grants', () => {
    const role = only<IClusterRole>(objects, 'ClusterRole');
    const read = simulator.requests.map(resourceRequest).filter((r) => r !== undefined);
    expect(read.length).toBeGreaterThan(0);
    const denied = read.filter(
      (r) =>
        !(role.rules ?? []).some(
          (rule) =>
            rule.apiGroups?.includes(r.group) && rule.resources?.includes(r.resource) && rule.verbs.includes(r.verb),
        ),
    );
    expect(denied).toEqual([]);
  });

  it('logs no value of the Secret it got as environment variables', () => {
    expect(agent.output()).not.toBe('');
    expect(agent.output()).not.toContain(SECRET_VALUE);
  });

  it('writes only its usage history to the /app/.cache emptyDir, running as the image user with a read-only root', async () => {
    expect(fs.readdirSync(agent.hostPath('/tmp'))).toEqual([]);
    // config.usage.historyFile (the chart's /app/.cache/usage-history), written once the scan has ended.
    await waitFor(
      async () => (fs.readdirSync(agent.hostPath('/app/.cache')).length === 2 ? true : undefined),
      30_000,
      'the usage history files',
    );
    expect(fs.readdirSync(agent.hostPath('/app/.cache')).sort()).toEqual(['usage-history', 'usage-history.issues']);
    if (!agent.asImageUser) console.warn('not root: the agent ran as the current user, not as UID 1000');
  });

  it('exits 0 on SIGTERM', async () => {
    expect(await agent.stop('SIGTERM')).toBe(0);
    expect(agent.output()).toContain('"event":"stopped","signal":"SIGTERM","msg":"stopped on SIGTERM"');
  });
});

/** The group, resource and verb of an API request; undefined for discovery and other non-resource paths. */
function resourceRequest(entry: Simulator['requests'][number]) {
  const parts = entry.path.split('/').filter(Boolean);
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) [group, rest] = ['', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 4) [group, rest] = [parts[1], parts.slice(3)];
  else return undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const verb = rest.length > 1 ? 'get' : entry.query.watch === 'true' ? 'watch' : 'list';
  return { group, resource: rest[0], verb };
}
