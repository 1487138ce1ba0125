/**
 * Runs the built agent the way its container would run it, without a container engine: the image's files under a
 * stand-in for `/app`, the mounted files and emptyDirs at their container paths (mapped to temporary directories),
 * the working directory, HOME and user of the image, and the exact argv and environment of the container.
 *
 * The stand-in for `/app` holds links to this checkout's `dist/`, `node_modules/` and `package.json` (the files the
 * image copies there) and is read-only, as the chart makes the root filesystem; only the emptyDirs are writable.
 * When the tests run as root (as CI does), the agent runs as the image's UID/GID 1000, so "read-only" is enforced
 * by the kernel rather than assumed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './helm';
import { parse, stringify } from 'yaml';

/** The image's application directory (WORKDIR, HOME) and the entries the Dockerfile puts in it. */
export const IMAGE_APP_DIR = '/app';
const IMAGE_APP_ENTRIES = ['dist', 'node_modules', 'package.json'];
/**
 * Entries copied rather than linked: the entry point bin/opsagent finds the app directory from its own path (with
 * `readlink -f`), which must be the stand-in's, as it is /app in the image.
 */
const IMAGE_APP_COPIES = ['bin/opsagent'];

export interface ContainerSpec {
  /** ENTRYPOINT + CMD (or the container's command + args), with container paths. */
  argv: string[];
  /** The container's environment (image ENV, then the pod's env and envFrom). */
  env: Record<string, string>;
  workingDir: string;
  /** Files the pod mounts, by container path (e.g. the ConfigMap's config.yaml). */
  files: Record<string, string>;
  /** Writable directories the pod mounts (emptyDirs), by container path. */
  writableDirs: string[];
  /** UID and GID the container runs as. */
  user: { uid: number; gid: number };
  /** Extra host environment the test adds, e.g. KUBECONFIG for the simulator instead of the service account. */
  hostEnv?: Record<string, string>;
}

export interface RunningContainer {
  readonly process: ChildProcess;
  /** Whether it runs as the image's user (only possible when the tests run as root). */
  readonly asImageUser: boolean;
  output(): string;
  /** The host path standing in for a container path. */
  hostPath(containerPath: string): string;
  /** Sends the signal and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  /** Removes the temporary directories (after stop). */
  cleanUp(): void;
}

export function startContainer(spec: ContainerSpec): RunningContainer {
  const asImageUser = process.getuid?.() === 0 && canRead(spec.user, path.join(ROOT, 'dist'));
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-container-'));
  fs.chmodSync(base, 0o755);
  // Container path prefix → host directory. /app is the image's; the others are volumes.
  const mounts = new Map<string, string>([[IMAGE_APP_DIR, path.join(base, 'app')]]);
  fs.mkdirSync(mounts.get(IMAGE_APP_DIR)!);
  for (const entry of IMAGE_APP_ENTRIES) {
    fs.symlinkSync(path.join(ROOT, entry), path.join(mounts.get(IMAGE_APP_DIR)!, entry));
  }
  for (const entry of IMAGE_APP_COPIES) {
    const target = path.join(mounts.get(IMAGE_APP_DIR)!, entry);
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    fs.copyFileSync(path.join(ROOT, entry), target);
    fs.chmodSync(target, 0o755);
  }
  const hostPath = (containerPath: string): string => {
    // The longest mount that contains the path wins, as with nested mounts in a container.
    const prefix = [...mounts.keys()]
      .filter((p) => containerPath === p || containerPath.startsWith(`${p}/`))
      .sort((a, b) => b.length - a.length)[0];
    return prefix === undefined ? containerPath : path.join(mounts.get(prefix)!, containerPath.slice(prefix.length));
  };
  const readOnly: string[] = [mounts.get(IMAGE_APP_DIR)!];
  for (const dir of spec.writableDirs) {
    const host = path.join(base, `volume-${mounts.size}`);
    fs.mkdirSync(host, { mode: 0o777 });
    fs.chmodSync(host, 0o777); // an emptyDir is world-writable
    mounts.set(dir, host);
  }
  for (const [file, content] of Object.entries(spec.files)) {
    const dir = path.dirname(file);
    if (!mounts.has(dir)) {
      mounts.set(dir, path.join(base, `volume-${mounts.size}`));
      fs.mkdirSync(mounts.get(dir)!);
      readOnly.push(mounts.get(dir)!);
    }
    fs.writeFileSync(
      hostPath(file),
      path.basename(file) === 'config.yaml' ? mapConfigPaths(content, hostPath) : content,
      {
        mode: 0o444,
      },
    );
  }
  for (const dir of readOnly) fs.chmodSync(dir, 0o555);

  const [command, ...args] = spec.argv.map((arg) => (arg.startsWith('/') ? hostPath(arg) : arg));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    ...Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, k === 'HOME' ? hostPath(v) : v])),
    // Where node puts temporary files: the /tmp emptyDir.
    ...(mounts.has('/tmp') ? { TMPDIR: mounts.get('/tmp')! } : {}),
    ...spec.hostEnv,
  };
  const child = spawn(command === 'node' ? process.execPath : command, args, {
    cwd: hostPath(spec.workingDir),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(asImageUser ? spec.user : {}),
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  return {
    process: child,
    asImageUser,
    output: () => output,
    hostPath,
    async stop(signal = 'SIGTERM', timeoutMs = 20_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    cleanUp() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const dir of readOnly) fs.chmodSync(dir, 0o755);
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Whether `user` can read `file` (every directory on the way must be searchable by it). */
function canRead(user: { uid: number; gid: number }, file: string): boolean {
  const probe = spawnSync(process.execPath, ['-e', 'require("fs").accessSync(process.argv[1], 4)', file], {
    ...user,
    stdio: 'ignore',
  });
  return probe.status === 0;
}

/** Ports nothing listens on right now (the OS hands out distinct ephemeral ports). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Polls `url` until it answers `status` (or the deadline passes); resolves with the last response. */
export async function waitForStatus(
  url: string,
  status: number,
  timeoutMs = 20_000,
): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + timeoutMs;
  let last = { status: 0, body: '' };
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      last = { status: res.status, body: await res.text() };
      if (last.status === status) return last;
    } catch (error) {
      last = { status: 0, body: String(error) };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return last;
}

/**
 * A kubeconfig for the simulator that the image's user can read (the simulator writes it 0600 for its own user):
 * outside the container's files, as KUBECONFIG stands in for the service account mount.
 */
export function writeKubeconfig(simulator: { writeKubeconfig(file: string): void }): { file: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-kubeconfig-'));
  fs.chmodSync(dir, 0o755);
  const file = path.join(dir, 'config');
  simulator.writeKubeconfig(file);
  fs.chmodSync(file, 0o644);
  return { file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The agent's config names container paths too (`usage.historyFile`): mapped to the host like the argv's, so the
 * file lands in the stand-in of its volume.
 */
function mapConfigPaths(content: string, hostPath: (containerPath: string) => string): string {
  const config = parse(content) as { usage?: { historyFile?: unknown } } | null;
  const file = config?.usage?.historyFile;
  if (typeof file !== 'string' || !file.startsWith('/')) return content;
  config!.usage!.historyFile = hostPath(file);
  return stringify(config);
}
