/** Objects for the end-to-end specs: N of each workload kind, some with resource gaps. */
export function workloadObjects(perKind: number): Record<string, unknown>[] {
  const objects: Record<string, unknown>[] = [];
  const template = (app: string, resources: Record<string, unknown>) => ({
    metadata: { labels: { app } },
    spec: { containers: [{ name: 'app', image: `${app}:1`, resources }] },
  });
  const full = { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '200m', memory: '128Mi' } };
  for (let i = 0; i < perKind; i++) {
    const ns = `team-${i % 4}`;
    // Every third object is fully specified; the others lack limits.
    const res = i % 3 === 0 ? full : { requests: { cpu: '100m', memory: '128Mi' } };
    const base = (kind: string, apiVersion: string, name: string) => ({
      apiVersion,
      kind,
      metadata: { name, namespace: ns },
    });
    objects.push({
      ...base('Deployment', 'apps/v1', `deploy-${i}`),
      spec: { replicas: 2, selector: { matchLabels: { app: `deploy-${i}` } }, template: template(`deploy-${i}`, res) },
    });
    objects.push({
      ...base('StatefulSet', 'apps/v1', `sts-${i}`),
      spec: {
        serviceName: `sts-${i}`,
        selector: { matchLabels: { app: `sts-${i}` } },
        template: template(`sts-${i}`, res),
      },
    });
    objects.push({
      ...base('DaemonSet', 'apps/v1', `ds-${i}`),
      spec: { selector: { matchLabels: { app: `ds-${i}` } }, template: template(`ds-${i}`, res) },
    });
    objects.push({
      ...base('ReplicaSet', 'apps/v1', `rs-${i}`),
      spec: { selector: { matchLabels: { app: `rs-${i}` } }, template: template(`rs-${i}`, res) },
    });
    objects.push({
      ...base('ReplicationController', 'v1', `rc-${i}`),
      spec: { selector: { app: `rc-${i}` }, template: template(`rc-${i}`, res) },
    });
    objects.push({
      ...base('Job', 'batch/v1', `job-${i}`),
      spec: {
        template: { ...template(`job-${i}`, res), spec: { ...template(`job-${i}`, res).spec, restartPolicy: 'Never' } },
      },
    });
    objects.push({
      ...base('CronJob', 'batch/v1', `cron-${i}`),
      spec: {
        schedule: '0 * * * *',
        jobTemplate: {
          spec: {
            template: {
              ...template(`cron-${i}`, res),
              spec: { ...template(`cron-${i}`, res).spec, restartPolicy: 'Never' },
            },
          },
        },
      },
    });
    objects.push({
      ...base('Pod', 'v1', `pod-${i}`),
      metadata: { name: `pod-${i}`, namespace: ns, labels: { app: `pod-${i}` } },
      spec: template(`pod-${i}`, res).spec,
      status: { phase: 'Running' },
    });
  }
  // Owned objects are read but not reported twice.
  objects.push({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: 'deploy-0-abc',
      namespace: 'team-0',
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'deploy-0', uid: 'u', controller: true }],
    },
    spec: { selector: { matchLabels: { app: 'deploy-0' } }, template: template('deploy-0', {}) },
  });
  // kube-system is excluded by default.
  objects.push({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'kube-proxy', namespace: 'kube-system' },
    spec: { selector: { matchLabels: { app: 'kp' } }, template: template('kp', {}) },
  });
  return objects;
}
