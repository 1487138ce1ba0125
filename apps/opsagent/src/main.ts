#!/usr/bin/env node
import 'reflect-metadata';
import { run } from './cli/program';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
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
}).then(
  (code) => {
    process.exitCode = code;
    // The service leaves timers and sockets of its libraries behind; once it has closed, leave.
    if (process.argv[2] === 'serve') process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(
      `opsagent: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 70;
  },
);
