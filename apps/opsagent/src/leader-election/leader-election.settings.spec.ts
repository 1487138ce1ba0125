import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '@opsagent/core/config/config.errors';
import { parseConfig } from '@opsagent/core/config/config.loader';
import { RuntimeEnvironment } from '../config/environment';
import { resolveLeaderElection } from './leader-election.settings';

const enabled = (extra: Record<string, unknown> = {}) =>
  parseConfig({ reports: { policyReports: true }, leaderElection: { enabled: true, ...extra } });

describe('resolveLeaderElection', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-sa-'));
  const namespaceFile = path.join(dir, 'namespace');
  fs.writeFileSync(namespaceFile, 'ops-system\n');
  const missingFile = path.join(dir, 'absent');

  it('is undefined when leader election is off', () => {
    expect(resolveLeaderElection(parseConfig({}), RuntimeEnvironment.fromProcess({}, missingFile))).toBeUndefined();
  });

  it("defaults to the service account's namespace file, then POD_NAMESPACE; identity POD_NAME, then the hostname", () => {
    const inPod = RuntimeEnvironment.fromProcess({ POD_NAME: 'opsagent-1', POD_NAMESPACE: 'other' }, namespaceFile);
    expect(resolveLeaderElection(enabled(), inPod)).toEqual({
      namespace: 'ops-system',
      leaseName: 'opsagent',
      identity: 'opsagent-1',
      timings: { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
    });
    const envOnly = RuntimeEnvironment.fromProcess({ POD_NAMESPACE: 'apps' }, missingFile);
    expect(resolveLeaderElection(enabled(), envOnly)).toMatchObject({ namespace: 'apps', identity: os.hostname() });
  });

  it('takes the configured namespace and identity over the Pod', () => {
    const inPod = RuntimeEnvironment.fromProcess({ POD_NAME: 'opsagent-1' }, namespaceFile);
    expect(resolveLeaderElection(enabled({ namespace: 'ha', identity: 'me', leaseName: 'x' }), inPod)).toMatchObject({
      namespace: 'ha',
      identity: 'me',
      leaseName: 'x',
    });
  });

  it('outside a cluster without POD_NAMESPACE, is a config error naming leaderElection.namespace and the file', () => {
    const outside = RuntimeEnvironment.fromProcess({}, missingFile);
    let error: unknown;
    try {
      resolveLeaderElection(enabled(), outside, '/etc/opsagent/config.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).source).toBe('/etc/opsagent/config.yaml');
    expect((error as ConfigError).problems).toEqual([
      { path: 'leaderElection.namespace', reason: expect.stringContaining('POD_NAMESPACE') as string },
    ]);
  });
});
