import { spawn, type SpawnOptions } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { KubeConfig } from '@kubernetes/client-node';

/**
 * client-node runs a kubeconfig's exec credential plugin (`users[].user.exec`) itself and, when the plugin
 * fails, rejects with an Error whose message is the plugin's whole stderr: the agent would copy that text into
 * scan errors, REST answers and logs, and a plugin's stderr can hold anything (a token, a signed URL, a
 * password prompt's echo). A failed JSON.parse of its stdout would likewise quote the credential it printed.
 *
 * The guard gives client-node's ExecAuth a spawn that runs the plugin the same way but hands back only what is
 * safe: stdout when it is JSON, and in place of stderr a one-line summary — the command, the exit code and the
 * size of its stderr. Errors then read `credential plugin "aws" exited with code 1; its stderr (2 lines,
 * 61 bytes) is not shown`.
 */
export function guardExecPlugins(kc: KubeConfig): void {
  if (!kc.getUsers().some((user) => user.exec !== undefined || user.authProvider?.config?.exec !== undefined)) return;
  const authenticators = (kc as unknown as { authenticators?: unknown[] }).authenticators ?? [];
  const execAuth = authenticators.find(
    (a): a is { execFn: unknown } =>
      typeof a === 'object' && a !== null && a.constructor.name === 'ExecAuth' && 'execFn' in a,
  );
  // client-node 2.0's private field: should a release rename it, refuse to run plugins rather than leak.
  if (!execAuth || typeof execAuth.execFn !== 'function') {
    throw new Error('cannot guard exec credential plugins: @kubernetes/client-node no longer has ExecAuth.execFn');
  }
  execAuth.execFn = summarisingSpawn;
}

/** The few members of a ChildProcess that client-node's ExecAuth uses. */
class Output extends EventEmitter {
  setEncoding(): this {
    return this;
  }
}

function summarisingSpawn(command: string, args: readonly string[] | undefined, options: SpawnOptions) {
  const facade = Object.assign(new EventEmitter(), { stdout: new Output(), stderr: new Output() });
  const child = spawn(command, args ?? [], options);
  const stdout: Buffer[] = [];
  const stderr = { bytes: 0, newlines: 0, endsInNewline: true };
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr.bytes += chunk.length;
    for (const byte of chunk) if (byte === 0x0a) stderr.newlines++;
    stderr.endsInNewline = chunk[chunk.length - 1] === 0x0a;
  });
  // A spawn failure (ENOENT: the command is not installed) names only the command: passed on as it is.
  child.on('error', (error) => facade.emit('error', error));
  child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
    const bytes = Buffer.concat(stdout);
    const text = bytes.toString('utf8');
    if (code === 0 && isJsonObject(text)) {
      facade.stdout.emit('data', text);
      facade.emit('close', 0);
      return;
    }
    const lines = stderr.newlines + (stderr.endsInNewline ? 0 : 1);
    const what =
      code === 0
        ? `printed no ExecCredential JSON on stdout (${plural(bytes.length, 'byte')}, not shown)`
        : `${signal ? `was killed by ${signal}` : `exited with code ${code}`}; ` +
          (stderr.bytes === 0
            ? 'it wrote nothing on stderr'
            : `its stderr (${plural(lines, 'line')}, ${plural(stderr.bytes, 'byte')}) is not shown`);
    facade.stderr.emit('data', `credential plugin "${command}" ${what}`);
    facade.emit('close', code === 0 || code === null ? 1 : code);
  });
  return facade;
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null;
  } catch {
    return false;
  }
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}
