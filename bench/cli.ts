/**
 * The CLI's start-up: `bin/opsagent --help` and `bin/opsagent scan examples/`, each run several times as a user
 * runs them (a new process each time, bin/opsagent's bash wrapper included), timed from spawn to exit.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { median } from './report';

export interface CliCommandTiming {
  name: 'help' | 'scan';
  args: string[];
  /** Wall time of each measured run, ms (the warm-up excluded). */
  runsMs: number[];
  medianMs: number;
}

export interface CliResult {
  warmup: number;
  commands: CliCommandTiming[];
}

const COMMANDS: { name: CliCommandTiming['name']; args: string[] }[] = [
  { name: 'help', args: ['--help'] },
  { name: 'scan', args: ['scan', 'examples/'] },
];

function timeOnce(root: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(path.join(root, 'bin', 'opsagent'), args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`bin/opsagent ${args.join(' ')} exited ${code}: ${stderr.trim()}`));
    });
  });
}

/** The runs of both commands interleaved, so a change in the machine's load weighs on both alike. */
export async function measureCli(options: {
  root: string;
  runs: number;
  warmup: number;
  log: (line: string) => void;
}): Promise<CliResult> {
  const times = new Map<string, number[]>(COMMANDS.map((c) => [c.name, []]));
  for (let i = 0; i < options.warmup + options.runs; i++) {
    for (const c of COMMANDS) {
      const ms = await timeOnce(options.root, c.args);
      if (i >= options.warmup) times.get(c.name)!.push(ms);
    }
  }
  const commands = COMMANDS.map((c) => {
    const runsMs = times.get(c.name)!;
    return { ...c, runsMs, medianMs: median(runsMs) };
  });
  options.log(`cli: ${commands.map((c) => `${c.args.join(' ')} ${c.medianMs.toFixed(0)} ms`).join(', ')} (median)`);
  return { warmup: options.warmup, commands };
}
