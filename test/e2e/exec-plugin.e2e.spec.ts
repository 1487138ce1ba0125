import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { workloadObjects } from './fixtures';
import { ROOT, getJson, startAgent, tempDir, waitForScan, type AgentProcess } from './harness';

/**
 * A kubeconfig whose user gets its credentials from an exec plugin (`users[].user.exec`), as EKS, GKE and AKS
 * kubeconfigs do. When the plugin fails, its stderr must never reach scan errors, REST answers, logs or the CLI:
 * the errors name the plugin, its exit code and the size of what it wrote.
 */

const BIN = path.join(ROOT, 'bin', 'opsagent');
const SECRET = 'ghp_S3cr3tT0k3nValue1234567890abcdef';
const TOKEN = 'exec-plugin-token';
let sim: Simulator;
let dir: string;
let failing: { kubeconfig: string; plugin: string };
let working: { kubeconfig: string; plugin: string };

function writePlugin(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

function writeKubeconfig(name: string, plugin: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'sim', cluster: { server: sim.url, 'insecure-skip-tls-verify': true } }],
      users: [
        {
          name: 'sim',
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1',
              command: plugin,
              args: ['token', '--cluster', 'sim'],
              interactiveMode: 'Never',
            },
          },
        },
      ],
      contexts: [{ name: 'sim', context: { cluster: 'sim', user: 'sim' } }],
      'current-context': 'sim',
    }),
    { mode: 0o600 },
  );
  return file;
}

beforeAll(async () => {
  sim = await startSimulator({ token: TOKEN, objects: workloadObjects(2) });
  dir = tempDir('opsagent-exec-');
  const failingPlugin = writePlugin(
    'failing-plugin',
    `echo "error: refresh token ${SECRET} was rejected" >&2\necho "hint: password=${SECRET}" >&2\nexit 1`,
  );
  failing = { plugin: failingPlugin, kubeconfig: writeKubeconfig('failing.kubeconfig', failingPlugin) };
  const workingPlugin = writePlugin(
    'working-plugin',
    `echo "noise on stderr ${SECRET}" >&2\n` +
      `echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${TOKEN}"}}'`,
  );
  working = { plugin: workingPlugin, kubeconfig: writeKubeconfig('working.kubeconfig', workingPlugin) };
});

afterAll(() => sim.close());

function cli(args: string[], kubeconfig: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(BIN, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', KUBECONFIG: kubeconfig } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const SUMMARY = (plugin: string) =>
  `credential plugin "${plugin}" exited with code 1; its stderr (2 lines, ${
    `error: refresh token ${SECRET} was rejected\nhint: password=${SECRET}\n`.length
  } bytes) is not shown`;

describe('an exec credential plugin', () => {
  it('that works authenticates the scan (its stdout is passed on, its stderr dropped)', async () => {
    const result = await cli(['scan', '--output', 'json'], working.kubeconfig);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect((JSON.parse(result.stdout) as { summary: { workloads: number } }).summary.workloads).toBe(16);
  });

  it('that fails is named, with its exit code and stderr size, never its stderr, by `scan`', async () => {
    const result = await cli(['scan'], failing.kubeconfig);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(SUMMARY(failing.plugin));
    expect(result.stderr).not.toContain(SECRET);
    expect(result.stderr).not.toContain('password');
  });

  describe('that fails, under `serve`', () => {
    let agent: AgentProcess;

    beforeAll(async () => {
      agent = await startAgent({
        config: { runOnStartup: true, kubernetes: { retries: 0 } },
        kubeconfig: failing.kubeconfig,
      });
    });

    afterAll(async () => {
      agent.child.kill('SIGTERM');
      await agent.exited;
    });

    it('fails the scan with errors that name the plugin, in REST and in the log, without its stderr', async () => {
      const scan = await waitForScan(agent.api, {});
      expect(scan.status).toBe('failed');
      expect(scan.errors.length).toBeGreaterThan(0);
      for (const error of scan.errors) expect(error.reason).toContain(SUMMARY(failing.plugin));
      for (const endpoint of ['/api/v1/scans/latest', '/api/v1/summary', '/health']) {
        const { body } = await getJson(`${agent.api}${endpoint}`);
        expect(JSON.stringify(body)).not.toContain(SECRET);
      }
      const scanLine = agent
        .stdout()
        .split('\n')
        .find((line) => line.includes('"event":"scan"'));
      expect(scanLine).toContain(`credential plugin \\"${failing.plugin}\\" exited with code 1`);
      expect(agent.stdout() + agent.stderr()).not.toContain(SECRET);
    });
  });
});
