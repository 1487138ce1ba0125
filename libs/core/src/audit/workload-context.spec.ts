import { defaultConfig } from '../config/config.loader';
import { auditManifests } from '../report/audit-manifests';

/**
 * LimitRanges and HPAs in the input, through the path `opsagent scan` takes (auditManifests on the text of the
 * files): the `*-missing` severity, the defaulted request, the max cap, the HPA arithmetic.
 */

const yaml = (...docs: string[]) => docs.join('\n---\n');

function deployment(resources: string, opts: { name?: string; kind?: string; containers?: string[] } = {}) {
  const name = opts.name ?? 'web';
  const containers = (opts.containers ?? ['app'])
    .map((c) => `        - name: ${c}\n          image: img:1\n          resources: ${resources}`)
    .join('\n');
  return `apiVersion: apps/v1
kind: ${opts.kind ?? 'Deployment'}
metadata: { name: ${name}, namespace: shop }
spec:
  replicas: 2
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers:
${containers}`;
}

/** 12 PodMetrics of one Pod: CPU 100m, memory 200Mi for every container named. */
function usage(name = 'web', containers = ['app'], cpu = '100m', memory = '200Mi'): string[] {
  return Array.from(
    { length: 12 },
    (_, i) => `apiVersion: metrics.k8s.io/v1beta1
kind: PodMetrics
metadata: { name: ${name}-abc-xyz, namespace: shop, labels: { app: ${name} } }
timestamp: '2026-11-25T10:${String(i).padStart(2, '0')}:00Z'
window: 30s
containers:
${containers.map((c) => `  - name: ${c}\n    usage: { cpu: ${cpu}, memory: ${memory} }`).join('\n')}`,
  );
}

function limitRange(limits: string, name = 'defaults'): string {
  return `apiVersion: v1
kind: LimitRange
metadata: { name: ${name}, namespace: shop }
spec:
  limits:
${limits}`;
}

function hpa(metrics: string, target = 'kind: Deployment, name: web', apiVersion = 'autoscaling/v2'): string {
  return `apiVersion: ${apiVersion}
kind: HorizontalPodAutoscaler
metadata: { name: web-hpa, namespace: shop }
spec:
  scaleTargetRef: { apiVersion: apps/v1, ${target} }
  minReplicas: 2
  maxReplicas: 10
${metrics}`;
}

async function sut(text: string) {
  const report = await auditManifests(['-'], {
    config: defaultConfig(),
    defaultNamespace: 'default',
    readStdin: async () => text,
  });
  return (rule: string, container = 'app') =>
    report.issues.find((issue) => issue.rule === rule && issue.container === container);
}

describe('LimitRanges', () => {
  const bare = deployment('{}');

  it('a `*-missing` value the LimitRange supplies is info, naming the LimitRange and the value', async () => {
    const find = await sut(
      yaml(
        bare,
        limitRange(`    - type: Container
      default: { cpu: 500m, memory: 512Mi }
      defaultRequest: { cpu: 250m, memory: 256Mi }`),
      ),
    );
    expect(find('cpu-request-missing')).toMatchObject({
      severity: 'info',
      message: expect.stringContaining('LimitRange "defaults" sets it to 250m (defaultRequest.cpu) at admission'),
    });
    expect(find('memory-request-missing')).toMatchObject({
      severity: 'info',
      message: expect.stringContaining('LimitRange "defaults" sets it to 256Mi (defaultRequest.memory)'),
    });
    expect(find('cpu-limit-missing')).toMatchObject({
      severity: 'info',
      message: expect.stringContaining('sets it to 500m (default.cpu)'),
    });
    expect(find('memory-limit-missing')).toMatchObject({ severity: 'info' });
  });

  it('takes the request from `default` when there is no `defaultRequest`', async () => {
    const find = await sut(yaml(bare, limitRange(`    - type: Container\n      default: { cpu: 400m }`)));
    expect(find('cpu-request-missing')).toMatchObject({
      severity: 'info',
      message: expect.stringContaining('sets it to 400m (default.cpu)'),
    });
    expect(find('memory-request-missing')?.severity).toBe('high');
  });

  it('only min or max, another namespace, or another type changes nothing', async () => {
    for (const text of [
      yaml(bare, limitRange(`    - type: Container\n      min: { cpu: 10m }\n      max: { cpu: '2', memory: 1Gi }`)),
      yaml(bare, limitRange(`    - type: Pod\n      max: { cpu: '2' }`)),
      yaml(
        bare,
        limitRange(`    - type: Container\n      default: { cpu: 1 }`).replace('namespace: shop', 'namespace: other'),
      ),
    ]) {
      const find = await sut(text);
      expect(find('cpu-request-missing')?.severity).toBe('medium');
      expect(find('cpu-request-missing')?.message).not.toContain('LimitRange');
      expect(find('memory-limit-missing')?.severity).toBe('high');
    }
  });

  it('a container that sets its limit keeps its request from the limit, not from the LimitRange', async () => {
    const find = await sut(
      yaml(
        deployment('{ limits: { cpu: 300m } }'),
        limitRange(`    - type: Container\n      defaultRequest: { cpu: 1 }`),
      ),
    );
    expect(find('cpu-request-missing')).toBeUndefined();
  });

  it('the rightsizing rules use the defaulted request, as admission does', async () => {
    const find = await sut(
      yaml(bare, limitRange(`    - type: Container\n      defaultRequest: { cpu: '1', memory: 1Gi }`), ...usage()),
    );
    expect(find('cpu-overprovisioned')).toMatchObject({
      severity: 'medium',
      overProvisioning: { request: 1000, recommended: 100, requestDefaultedBy: 'defaults' },
      message: expect.stringContaining('requests 1 cpu (set by LimitRange "defaults" at admission) but'),
    });
    expect(find('memory-overprovisioned')?.overProvisioning?.request).toBe(1024 ** 3);
  });

  it('a max below a recommendation caps it, and the message says so', async () => {
    // HPA at 50 %: 100m ÷ 0.5 = 200m; the max is 150m.
    const find = await sut(
      yaml(
        deployment('{ requests: { cpu: 1 } }'),
        limitRange(`    - type: Container\n      max: { cpu: 150m }`, 'caps'),
        hpa(`  metrics:
    - type: Resource
      resource: { name: cpu, target: { type: Utilization, averageUtilization: 50 } }`),
        ...usage(),
      ),
    );
    expect(find('cpu-overprovisioned')).toMatchObject({
      overProvisioning: { recommended: 150, cappedBy: { limitRange: 'caps', max: 150 } },
      message: expect.stringContaining('(capped at the max 150m of LimitRange "caps")'),
    });
  });

  it('names the file and field of a malformed LimitRange quantity', async () => {
    const run = sut(yaml(bare, limitRange(`    - type: Container\n      default: { cpu: lots }`)));
    await expect(run).rejects.toThrow(
      /^<stdin>:\d+: LimitRange shop\/defaults: spec\.limits\[0\]\.default\.cpu: .*lots/,
    );
  });
});

describe('HPAs', () => {
  const utilization = (percent: number, type = 'Resource', container = '') =>
    `  metrics:
    - type: ${type}
      ${type === 'Resource' ? 'resource' : 'containerResource'}: { name: cpu, ${container}target: { type: Utilization, averageUtilization: ${percent} } }`;

  it('recommends usage ÷ (averageUtilization / 100): 100m p95 at 70 % is 143m, naming the HPA and its target', async () => {
    const find = await sut(yaml(deployment('{ requests: { cpu: 1, memory: 1Gi } }'), hpa(utilization(70)), ...usage()));
    const issue = find('cpu-overprovisioned');
    expect(issue?.overProvisioning).toMatchObject({
      usage: 100,
      recommended: 143,
      wastePerPod: 857,
      hpa: { name: 'web-hpa', metric: 'Resource', target: 'Utilization', averageUtilization: 70 },
    });
    expect(issue?.message).toContain('recommend 143m (HPA "web-hpa" scales it on cpu at 70% utilization');
    // Memory is not what the HPA scales on: the usual recommendation (peak × 1.15).
    expect(find('memory-overprovisioned')?.overProvisioning).toMatchObject({ recommended: 230 * 1024 ** 2 });
    expect(find('memory-overprovisioned')?.overProvisioning).not.toHaveProperty('hpa');
  });

  it('without the HPA the same usage gives the bare p95', async () => {
    const find = await sut(yaml(deployment('{ requests: { cpu: 1 } }'), ...usage()));
    expect(find('cpu-overprovisioned')?.overProvisioning?.recommended).toBe(100);
  });

  it('an HPA of autoscaling/v1 (targetCPUUtilizationPercentage) counts as a CPU Utilization target', async () => {
    const find = await sut(
      yaml(
        deployment('{ requests: { cpu: 1 } }'),
        hpa('  targetCPUUtilizationPercentage: 50', undefined, 'autoscaling/v1'),
        ...usage(),
      ),
    );
    expect(find('cpu-overprovisioned')?.overProvisioning?.recommended).toBe(200);
  });

  it('a ContainerResource target applies to the named container only', async () => {
    const find = await sut(
      yaml(
        deployment('{ requests: { cpu: 1 } }', { containers: ['app', 'sidecar'] }),
        hpa(utilization(50, 'ContainerResource', 'container: sidecar, ')),
        ...usage('web', ['app', 'sidecar']),
      ),
    );
    expect(find('cpu-overprovisioned', 'sidecar')?.overProvisioning).toMatchObject({
      recommended: 200,
      hpa: { metric: 'ContainerResource' },
    });
    expect(find('cpu-overprovisioned', 'sidecar')?.message).toContain(`scales it on this container's cpu at 50%`);
    expect(find('cpu-overprovisioned', 'app')?.overProvisioning?.recommended).toBe(100);
  });

  it('an AverageValue target: no cut, and the message says why', async () => {
    const find = await sut(
      yaml(
        deployment('{ requests: { cpu: 1 } }'),
        hpa(`  metrics:
    - type: Resource
      resource: { name: cpu, target: { type: AverageValue, averageValue: 200m } }`),
        ...usage(),
      ),
    );
    const issue = find('cpu-overprovisioned');
    expect(issue?.overProvisioning).toMatchObject({
      recommended: 1000,
      wastePerPod: 0,
      hpa: { name: 'web-hpa', target: 'AverageValue', averageValue: 200 },
    });
    expect(issue?.severity).toBe('info');
    expect(issue?.message).toContain('no cut: HPA "web-hpa" scales it on cpu at an AverageValue of 200m per Pod');
    expect(issue?.message).not.toContain('recommend');
  });

  it.each([['StatefulSet'], ['ReplicaSet']])('resolves a scaleTargetRef to a %s by kind and name', async (kind) => {
    const find = await sut(
      yaml(
        deployment('{ requests: { cpu: 1 } }', { kind }),
        hpa(utilization(50), `kind: ${kind}, name: web`),
        ...usage(),
      ),
    );
    expect(find('cpu-overprovisioned')?.overProvisioning?.hpa?.name).toBe('web-hpa');
  });

  it('an HPA on another workload (or kind) changes nothing', async () => {
    for (const target of ['kind: Deployment, name: api', 'kind: StatefulSet, name: web']) {
      const find = await sut(yaml(deployment('{ requests: { cpu: 1 } }'), hpa(utilization(50), target), ...usage()));
      expect(find('cpu-overprovisioned')?.overProvisioning?.recommended).toBe(100);
    }
  });

  it('names the field of a malformed HPA target', async () => {
    const run = sut(
      yaml(
        deployment('{}'),
        hpa(`  metrics:
    - type: Resource
      resource: { name: cpu, target: { type: Utilization, averageUtilization: seventy } }`),
      ),
    );
    await expect(run).rejects.toThrow(
      /HorizontalPodAutoscaler shop\/web-hpa: spec\.metrics\[0\]\.resource\.target\.averageUtilization/,
    );
  });
});
