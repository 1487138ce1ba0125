import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../bench/agent-process';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';

/** A port nothing listens on right now (the bench's helper). */
export { freePort };

export const ROOT = path.join(__dirname, '..', '..');
export const MAIN = path.join(ROOT, 'dist', 'apps', 'opsagent', 'src', 'main.js');

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export const BIN = path.join(ROOT, 'bin', 'opsagent');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `bin/opsagent` with `args` as a user would, asynchronously (a simulator in this process must keep
 * answering). Only PATH and TZ=UTC come from here unless `env` adds more; `KUBECONFIG` points nowhere (and
 * `KUBERNETES_SERVICE_HOST` is empty) unless `env` names a cluster, so a file scan never reaches one by accident.
 * stdin gets `stdin` and is closed, so a CLI that wrongly waits on it fails the test instead of hanging it.
 */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        TZ: 'UTC',
        KUBECONFIG: '/nonexistent/kubeconfig',
        KUBERNETES_SERVICE_HOST: '',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

export interface AgentProcess {
  child: ChildProcessWithoutNullStreams;
  api: string;
  metrics: string;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the built agent (`serve`) as a real process, the way the container does. */
export async function startAgent(opts: {
  config: Record<string, unknown>;
  kubeconfig: string;
  env?: Record<string, string>;
  args?: string[];
  /** `server.auth.mode`; default none. */
  authMode?: 'none' | 'kubernetes';
}): Promise<AgentProcess> {
  const dir = tempDir('opsagent-e2e-');
  const apiPort = await freePort();
  const metricsPort = await freePort();
  // `server` keys of the config are kept (the port is the harness's); authMode sets server.auth.mode.
  const given = (opts.config.server ?? {}) as { auth?: Record<string, unknown> };
  const auth = opts.authMode ? { auth: { ...given.auth, mode: opts.authMode } } : {};
  const server = { ...given, port: apiPort, ...auth };
  // Tests trigger scans back to back: no minimum gap unless a test asks for one.
  const config = { scanMinInterval: '0s', ...opts.config, server, metrics: { port: metricsPort } };
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, stringify(config));
  const child = spawn(process.execPath, [MAIN, 'serve', '--config', configFile, ...(opts.args ?? [])], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', TZ: 'UTC', KUBECONFIG: opts.kubeconfig, ...opts.env },
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    api: `http://127.0.0.1:${apiPort}`,
    metrics: `http://127.0.0.1:${metricsPort}`,
    stdout: () => out,
    stderr: () => err,
    exited,
  };
}

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function getJson<T = unknown>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** Waits until the agent's latest finished scan has this id (or any id other than `not`). */
export async function waitForScan(api: string, match: { id?: string; not?: string }): Promise<ScanJson> {
  return waitFor(
    async () => {
      const { status, body } = await getJson<ScanJson>(`${api}/api/v1/scans/latest`);
      if (status !== 200) return undefined;
      if (match.id !== undefined && body.id !== match.id) return undefined;
      if (match.not !== undefined && body.id === match.not) return undefined;
      return body;
    },
    20_000,
    `scan ${match.id ?? `after ${match.not}`}`,
  );
}

export interface ScanJson {
  id: string;
  status: string;
  errors: { kind: string; resource?: string; code?: number; reason: string }[];
  warnings: { code: string; message: string }[];
  counts: Record<string, unknown> & { issues: number; new: number; resolved: number; carriedOver: number };
}

/** Resolves once the agent answers GET /health/ready with 200 (a generous minute: CI machines are slow). */
export function waitForReady(agent: AgentProcess, what = 'ready'): Promise<true> {
  return waitFor(
    async () => ((await fetch(`${agent.api}/health/ready`)).status === 200 ? true : undefined),
    60_000,
    what,
  );
}

/** The namespace of the Lease and the short lease timings the follower specs run with. */
export const FOLLOWER_NS = 'ops-system';
const FOLLOWER_TIMINGS = { leaseDuration: '4s', renewDeadline: '3s', retryPeriod: '1s' };

/** The Lease `opsagent` in FOLLOWER_NS, held by `holder` and renewed at `renewTime`. */
export function followerLease(holder: string, renewTime: string): Record<string, unknown> {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'opsagent', namespace: FOLLOWER_NS },
    spec: { holderIdentity: holder, leaseDurationSeconds: 4, renewTime, acquireTime: renewTime, leaseTransitions: 0 },
  };
}

export interface Follower {
  sim: Simulator;
  agent: AgentProcess;
  /** Stops the other replica's renewals, so the Lease expires and the follower may lead. */
  stopRenewing(): void;
  close(): Promise<void>;
}

/**
 * A follower replica as a real agent process: the simulator serves `objects`, FOLLOWER_NS and a Lease that another
 * replica (`opsagent-other`) renews every second, as a leader does; the agent (`opsagent-follower`, leader election
 * and PolicyReports on, `config` beside them) is ready when this resolves, having read the reports.
 */
export async function startFollower(opts: {
  token: string;
  objects: Record<string, unknown>[];
  config: Record<string, unknown>;
}): Promise<Follower> {
  const sim = await startSimulator({
    token: opts.token,
    objects: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: FOLLOWER_NS } },
      ...opts.objects,
      followerLease('opsagent-other', new Date().toISOString()),
    ],
  });
  let renewing: NodeJS.Timeout | undefined = setInterval(
    () => sim.upsert(followerLease('opsagent-other', new Date().toISOString())),
    1_000,
  );
  const stopRenewing = () => {
    clearInterval(renewing);
    renewing = undefined;
  };
  const kubeconfig = path.join(tempDir(`opsagent-${opts.token}-`), 'config');
  sim.writeKubeconfig(kubeconfig);
  const agent = await startAgent({
    kubeconfig,
    config: {
      schedule: '0 0 1 1 *',
      reports: { policyReports: true },
      leaderElection: { enabled: true, namespace: FOLLOWER_NS, identity: 'opsagent-follower', ...FOLLOWER_TIMINGS },
      ...opts.config,
    },
  });
  const close = async () => {
    stopRenewing();
    if (agent.child.exitCode === null) {
      agent.child.kill('SIGTERM');
      await agent.exited;
    }
    await sim.close();
  };
  await waitForReady(agent, 'the follower ready').catch(async (error: Error) => {
    const output = `\nstdout:\n${agent.stdout()}\nstderr:\n${agent.stderr()}`;
    await close();
    throw new Error(`${error.message}${output}`);
  });
  return { sim, agent, stopRenewing, close };
}
