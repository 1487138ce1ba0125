#!/usr/bin/env node
import 'reflect-metadata';
import { run } from './cli/program';

/** An internal error: a bug, reported with its stack. */
const EXIT_INTERNAL = 70;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

// The service's stderr carries JSON lines only, like its log on stdout; the `scan` CLI's stays text for people.
// pino is loaded only then: the CLI's start-up does not pay for it.
const serving = process.argv[2] === 'serve';
const stderrLog = serving
  ? // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./common/json-log') as typeof import('./common/json-log')).jsonLineLogger((line) =>
      process.stderr.write(line),
    )
  : undefined;

function internalError(err: unknown): void {
  if (stderrLog) {
    stderrLog.fatal({ event: 'internal-error', err }, `internal error: ${err instanceof Error ? err.message : err}`);
    // The service leaves timers (the scheduler) and sockets behind: leave now.
    process.exit(EXIT_INTERNAL);
  }
  process.stderr.write(
    `opsagent: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = EXIT_INTERNAL;
}

if (stderrLog) {
  // Node prints these as text on stderr by default.
  process.on('uncaughtException', internalError);
  process.on('unhandledRejection', internalError);
  process.removeAllListeners('warning');
  process.on('warning', (warning) =>
    stderrLog.warn(
      { event: 'node-warning', warning: warning.name, code: (warning as { code?: string }).code },
      warning.message,
    ),
  );
}

run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin,
  waitForShutdown: () =>
    new Promise((resolve) => {
      const stop = (signal: string) => {
        // A second signal, or a shutdown stuck for 15 s, ends the process without waiting further.
        process.once(signal, () => process.exit(1));
        setTimeout(() => process.exit(1), 15_000).unref();
        resolve(signal);
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    }),
}).then((code) => {
  process.exitCode = code;
  // The service leaves timers and sockets of its libraries behind; once it has closed (or failed to start), leave.
  if (serving) process.exit(code);
}, internalError);
