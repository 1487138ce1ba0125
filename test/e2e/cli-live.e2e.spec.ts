import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { workloadObjects } from './fixtures';
import { ROOT, freePort, tempDir, waitFor } from './harness';

const BIN = path.join(ROOT, 'bin', 'opsagent');
let sim: Simulator;
let kubeconfig: string;

beforeAll(async () => {
  sim = await startSimulator({ token: 'live-token', objects: workloadObjects(3) });
  kubeconfig = path.join(tempDir('opsagent-live-'), 'config');
  sim.writeKubeconfig(kubeconfig);
});

afterAll(() => sim.close());

/** Async: the simulator runs in this process, so a synchronous spawn would block it from answering. */
function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(BIN, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', KUBECONFIG: kubeconfig } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('bin/opsagent scan without PATH', () => {
  it('audits the kubeconfig cluster through the service reader', async () => {
    const result = await run(['scan', '--output', 'json']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as { issues: { kind: string }[]; summary: { workloads: number } };
    expect(report.summary.workloads).toBe(24);
    expect(new Set(report.issues.map((i) => i.kind)).size).toBe(8);
    expect(sim.requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('warns that one PodMetrics read can almost never judge over-provisioning, and how to get a judgement', async () => {
    const json = await run(['scan', '--output', 'json']);
    expect(json.status).toBe(0);
    const { warnings } = JSON.parse(json.stdout) as { warnings: { code: string; message: string }[] };
    const warning = warnings.find((w) => w.code === 'usage-single-sample');
    expect(warning?.message).toMatch(/one usage sample per Pod/);
    expect(warning?.message).toMatch(/overProvisioning\.minSamples = 12/);
    expect(warning?.message).toMatch(/usage\.source: prometheus/);
    expect(warning?.message).toMatch(/opsagent serve/);
    // The table prints warnings on stderr.
    const table = await run(['scan']);
    expect(table.status).toBe(0);
    expect(table.stderr).toContain(`warning: ${warning!.message}`);
  });

  it('does not warn when one sample is enough (overProvisioning.minSamples: 1)', async () => {
    const config = path.join(tempDir('opsagent-live-config-'), 'config.yaml');
    fs.writeFileSync(config, 'overProvisioning:\n  minSamples: 1\n');
    const result = await run(['scan', '--config', config, '--output', 'json']);
    expect(result.status).toBe(0);
    const codes = (JSON.parse(result.stdout) as { warnings: { code: string }[] }).warnings.map((w) => w.code);
    expect(codes).not.toContain('usage-single-sample');
  });

  it('gives the metrics-unavailable warning instead when metrics.k8s.io is absent', async () => {
    sim.setMetricsAvailable(false);
    try {
      const result = await run(['scan', '--output', 'json']);
      expect(result.status).toBe(0);
      const codes = (JSON.parse(result.stdout) as { warnings: { code: string }[] }).warnings.map((w) => w.code);
      expect(codes).toContain('metrics-unavailable');
      expect(codes).not.toContain('usage-single-sample');
    } finally {
      sim.setMetricsAvailable(true);
    }
  });

  it('exits 2 naming the failure when the cluster cannot be read', async () => {
    const down = sim.inject({ path: /.*/, status: 403 });
    try {
      const result = await run(['scan']);
      expect(result.status).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/apps\/deployments: HTTP 403/);
    } finally {
      sim.removeFault(down);
    }
  });
});

describe('bin/opsagent serve', () => {
  it('passes SIGTERM through the wrapper to node and exits 0', async () => {
    const dir = tempDir('opsagent-serve-');
    const port = await freePort();
    const metrics = await freePort();
    const fs = await import('node:fs');
    fs.writeFileSync(path.join(dir, 'config.yaml'), `server: { port: ${port} }\nmetrics: { port: ${metrics} }\n`);
    const child = spawn(BIN, ['serve', '--config', path.join(dir, 'config.yaml')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', KUBECONFIG: kubeconfig },
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(async () =>
      (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200 ? true : undefined,
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
