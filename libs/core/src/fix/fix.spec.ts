import { execFileSync } from 'node:child_process';
import type { ContainerSpec, Workload } from '../workload';
import { buildFix, shellQuote } from './fix';

const MI = 1024 * 1024;

function workload(kind: string, containers: ContainerSpec[]): Workload {
  return {
    kind,
    apiVersion: 'apps/v1',
    namespace: 'shop',
    name: 'web',
    annotations: {},
    templateAnnotations: {},
    containers,
  };
}

const app: ContainerSpec = {
  name: 'app',
  role: 'container',
  path: 'spec.template.spec.containers[1]',
  requests: { cpu: 1000, memory: 512 * MI },
  limits: { cpu: 1000, memory: 512 * MI },
};

/** The words a POSIX shell makes of the command (kubectl replaced by printf, one word a line). */
function shellWords(command: string): string[] {
  const out = execFileSync('sh', ['-c', command.replace(/^kubectl /, `printf '%s\\n' `)], { encoding: 'utf8' });
  return out.slice(0, -1).split('\n');
}

describe('buildFix', () => {
  it('patches only the changed resources key of that container, merged by name, with its kubectl command', () => {
    const sut = buildFix(workload('Deployment', [app]), app, { requests: { cpu: 88 } })!;
    expect(sut.patch).toEqual({
      spec: { template: { spec: { containers: [{ name: 'app', resources: { requests: { cpu: '88m' } } }] } } },
    });
    expect(sut.command).toBe(
      `kubectl patch deployment web -n shop --type strategic -p ` +
        `'{"spec":{"template":{"spec":{"containers":[{"name":"app","resources":{"requests":{"cpu":"88m"}}}]}}}}'`,
    );
    expect(shellWords(sut.command)).toEqual([
      'patch',
      'deployment',
      'web',
      '-n',
      'shop',
      '--type',
      'strategic',
      '-p',
      JSON.stringify(sut.patch),
    ]);
  });

  it('raises the limit with a request raised above it, and never sets a limit below the request kept', () => {
    const raised = buildFix(workload('StatefulSet', [app]), app, { requests: { memory: 600 * MI } })!;
    expect(raised.patch).toEqual({
      spec: {
        template: {
          spec: {
            containers: [{ name: 'app', resources: { requests: { memory: '600Mi' }, limits: { memory: '600Mi' } } }],
          },
        },
      },
    });
    const floored = buildFix(workload('DaemonSet', [app]), app, { limits: { cpu: 200 } });
    // 200m would be below the 1-core request: the limit stays 1, which is what it is, so there is nothing to patch.
    expect(floored).toBeUndefined();
  });

  it('puts init containers and sidecars under initContainers, and a CronJob under its jobTemplate', () => {
    const init: ContainerSpec = {
      ...app,
      name: 'proxy',
      role: 'sidecar',
      path: 'spec.jobTemplate.spec.template.spec.initContainers[0]',
    };
    const sut = buildFix(workload('CronJob', [init]), init, { limits: { memory: 1024 * MI } })!;
    expect(sut.patch).toEqual({
      spec: {
        jobTemplate: {
          spec: {
            template: { spec: { initContainers: [{ name: 'proxy', resources: { limits: { memory: '1Gi' } } }] } },
          },
        },
      },
    });
    expect(sut.command).toMatch(/^kubectl patch cronjob web -n shop --type strategic -p '/);
  });

  it.each(['Pod', 'Job', 'Rollout'])(
    'gives a %s no fix (immutable resources or template, or no strategic merge)',
    (kind) => {
      expect(buildFix(workload(kind, [app]), app, { requests: { cpu: 88 } })).toBeUndefined();
    },
  );

  it('gives no fix when the recommendation is what the container has', () => {
    expect(buildFix(workload('Deployment', [app]), app, { requests: { cpu: 1000 } })).toBeUndefined();
  });

  it.each(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'CronJob'])(
    'writes %s in kubectl’s lower-case form',
    (kind) => {
      const path = kind === 'CronJob' ? 'spec.jobTemplate.spec.template.spec.containers[0]' : app.path;
      const sut = buildFix(workload(kind, [app]), { ...app, path }, { requests: { cpu: 88 } })!;
      expect(shellWords(sut.command)[1]).toBe(kind.toLowerCase());
    },
  );
});

describe('shellQuote', () => {
  it("leaves safe words alone and single-quotes the others, a quote as '\\''", () => {
    expect(shellQuote('web-1.shop')).toBe('web-1.shop');
    expect(shellQuote(`it's $HOME`)).toBe(`'it'\\''s $HOME'`);
    expect(shellWords(`kubectl ${shellQuote(`it's $HOME "x"`)} ${shellQuote('', true)}`)).toEqual([
      `it's $HOME "x"`,
      '',
    ]);
  });
});
