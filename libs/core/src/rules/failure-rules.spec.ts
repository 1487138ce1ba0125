import path from 'node:path';
import { defaultConfig } from '../config/config.loader';
import { auditManifests } from '../report/audit-manifests';

const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'rules');
const MI = 1024 * 1024;

async function scan(file: string, config = defaultConfig()) {
  return auditManifests([path.join(FIXTURES, file)], { config, defaultNamespace: 'default' });
}

describe('memory-oom-killed (from the Pods in manifest files)', () => {
  it('names the Pod, the time, the restart count and the limit, and recommends the limit × 1.2', async () => {
    const report = await scan('memory-oom-killed/fail-oom-killed-pod.yaml');
    const oom = report.issues.filter((i) => i.rule === 'memory-oom-killed');
    expect(oom).toHaveLength(1); // proxy's restart was an Error exit
    expect(oom[0]).toMatchObject({ severity: 'high', kind: 'Deployment', name: 'web', container: 'web' });
    expect(oom[0].message).toBe(
      'container "web" was OOMKilled at 2026-11-25T09:12:58.000Z in Pod shop/web-7c9d-aaaaa (restart count 3, ' +
        'exit code 137) with a memory limit of 256Mi; recommend at least 308Mi',
    );
  });

  it('takes the request × 1.2 without a limit, from a kill in `state` (restartPolicy Never)', async () => {
    const report = await scan('memory-oom-killed/fail-job-stays-terminated.yaml');
    const [oom] = report.issues.filter((i) => i.rule === 'memory-oom-killed');
    expect(oom.message).toContain('in Pod media/convert-x7k2p (restart count 0, exit code 137)');
    expect(oom.message).toContain(
      `with no memory limit (request 1Gi); recommend at least 1.2Gi (${Math.ceil(1.2 * 1024)}Mi)`,
    );
  });

  it("names the limit in the killed Pod's own spec, and the template's when it changed since", async () => {
    const report = await scan('memory-oom-killed/fail-template-changed.yaml');
    const [oom] = report.issues.filter((i) => i.rule === 'memory-oom-killed');
    expect(oom.message).toBe(
      'container "web" was OOMKilled at 2026-11-25T09:12:58.000Z in Pod shop/web-7c9d-aaaaa (restart count 5, ' +
        "exit code 137) with a memory limit of 256Mi (the template's limit is now 300Mi); recommend at least 308Mi",
    );
  });

  it("caps the recommendation at the namespace LimitRange's max, and says so", async () => {
    const report = await scan('memory-oom-killed/fail-limitrange-max-caps.yaml');
    const [oom] = report.issues.filter((i) => i.rule === 'memory-oom-killed');
    // The template sets no limit; the Pod's spec holds the 256Mi LimitRange default it ran with: no "changed".
    expect(oom.message).toBe(
      'container "worker" was OOMKilled at 2026-11-25T09:29:55.000Z in Pod batch/worker-5d8f-bbbbb (restart ' +
        'count 2, exit code 137) with a memory limit of 256Mi; recommend at least 300Mi (capped at the max 300Mi ' +
        'of LimitRange "defaults")',
    );
  });

  it('counts a kill only within overProvisioning.window of the newest time in the files', async () => {
    expect((await scan('memory-oom-killed/pass-outside-window.yaml')).issues.map((i) => i.rule)).not.toContain(
      'memory-oom-killed',
    );
    const config = defaultConfig();
    config.overProvisioning.window = '30d';
    const wider = await scan('memory-oom-killed/pass-outside-window.yaml', config);
    expect(wider.issues.filter((i) => i.rule === 'memory-oom-killed').map((i) => i.name)).toEqual(['cache']);
  });

  it('keeps a container OOM-killed within the window from memory-overprovisioned', async () => {
    const idle = await scan('memory-overprovisioned/fail-idle-memory.yaml');
    expect(idle.issues.map((i) => i.rule)).toContain('memory-overprovisioned');
    const killed = await scan('memory-overprovisioned/pass-oom-killed.yaml');
    expect(killed.issues.map((i) => i.rule)).toEqual(['memory-oom-killed']);
    expect(killed.issues[0]).toMatchObject({ kind: 'Deployment', name: 'web' });
  });
});

describe('memory-underprovisioned', () => {
  it('recommends the peak × 1.15 rounded up to a whole Mi, and names the eviction risk', async () => {
    const report = await scan('memory-underprovisioned/fail-peak-above-request.yaml');
    const [under] = report.issues.filter((i) => i.rule === 'memory-underprovisioned');
    expect(under.severity).toBe('medium');
    expect(under.message).toBe(
      `container "app" requests 256Mi memory but its peak usage is 400Mi (1.56× the request) over 12 samples; ` +
        `recommend ${Math.ceil((400 * MI * 1.15) / MI)}Mi; it risks eviction under node memory pressure`,
    );
    expect(under.remediation).toContain('evicts');
  });

  it("judges the request a LimitRange sets at admission, and caps the recommendation at the LimitRange's max", async () => {
    const report = await scan('memory-underprovisioned/fail-limitrange-default-request.yaml');
    const [under] = report.issues.filter((i) => i.rule === 'memory-underprovisioned');
    expect(under.message).toBe(
      'container "app" requests 128Mi memory (set by LimitRange "defaults" at admission) but its peak usage is ' +
        '300Mi (2.34× the request) over 12 samples; recommend 320Mi (capped at the max 320Mi of LimitRange ' +
        '"defaults"); it risks eviction under node memory pressure',
    );
    const covered = await scan('memory-underprovisioned/pass-limitrange-default-covers-peak.yaml');
    expect(covered.issues.map((i) => i.rule)).not.toContain('memory-underprovisioned');
  });

  it('follows underProvisioning.memory.ratio', async () => {
    const config = defaultConfig();
    config.underProvisioning.memory.ratio = 1.1;
    const report = await scan('memory-underprovisioned/pass-below-ratio.yaml', config);
    expect(report.issues.map((i) => i.rule)).toContain('memory-underprovisioned');
  });
});
