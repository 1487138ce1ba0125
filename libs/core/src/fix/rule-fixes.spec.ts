import path from 'node:path';
import { defaultConfig } from '../config/config.loader';
import { auditManifests } from '../report/audit-manifests';

/** What each rule's fix writes, on the rule fixtures (test/fixtures/rules): the container's `resources` in the patch. */
const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'rules');

async function fixOf(file: string, rule: string) {
  const report = await auditManifests([path.join(FIXTURES, file)], {
    config: defaultConfig(),
    defaultNamespace: 'default',
  });
  const issue = report.issues.find((i) => i.rule === rule);
  expect(issue).toBeDefined();
  return issue!.fix;
}

const resourcesOf = (fix: { patch: Record<string, unknown> } | undefined) =>
  (fix?.patch as { spec: { template: { spec: { containers: { name: string; resources: unknown }[] } } } }).spec.template
    .spec.containers;

describe('the fix each rule gives', () => {
  it('memory-oom-killed: the limit × 1.2, and the request with it where the request was the limit', async () => {
    expect(resourcesOf(await fixOf('memory-oom-killed/fail-oom-killed-pod.yaml', 'memory-oom-killed'))).toEqual([
      { name: 'web', resources: { requests: { memory: '308Mi' }, limits: { memory: '308Mi' } } },
    ]);
  });

  it('memory-oom-killed of a Job: none (a Job’s Pod template is immutable)', async () => {
    expect(await fixOf('memory-oom-killed/fail-job-stays-terminated.yaml', 'memory-oom-killed')).toBeUndefined();
  });

  it('memory-underprovisioned: the request only, below its 1Gi limit', async () => {
    expect(
      resourcesOf(await fixOf('memory-underprovisioned/fail-peak-above-request.yaml', 'memory-underprovisioned')),
    ).toEqual([{ name: 'app', resources: { requests: { memory: '460Mi' } } }]);
  });

  it('cpu-overprovisioned of a request defaulted from the limit, or by a LimitRange: sets the request', async () => {
    const fromLimit = resourcesOf(
      await fixOf('cpu-overprovisioned/fail-request-from-limit.yaml', 'cpu-overprovisioned'),
    );
    expect(fromLimit).toHaveLength(1);
    expect(fromLimit[0]).toMatchObject({ resources: { requests: { cpu: expect.stringMatching(/^\d+m$/) } } });
    expect(Object.keys(fromLimit[0].resources as object)).toEqual(['requests']);
    const limitRange = resourcesOf(
      await fixOf('cpu-overprovisioned/fail-limitrange-default-request.yaml', 'cpu-overprovisioned'),
    );
    expect(limitRange[0]).toMatchObject({ resources: { requests: { cpu: expect.stringMatching(/^\d+m$/) } } });
  });

  it('a *-missing rule without usage: no fix (no value to set)', async () => {
    const report = await auditManifests([path.join(FIXTURES, 'cpu-request-missing')], {
      config: defaultConfig(),
      defaultNamespace: 'default',
    });
    const missing = report.issues.filter((i) => i.rule === 'cpu-request-missing');
    expect(missing.length).toBeGreaterThan(0);
    for (const issue of missing) expect(issue.fix).toBeUndefined();
  });
});
