/**
 * The CLI's start-up: `bin/opsagent --help` and `bin/opsagent scan examples/`, each run several times as a user
 * runs them (a new process each time, bin/opsagent's bash wrapper included), timed from spawn to exit. Beside the
 * wall time (the target), each run's CPU time (user + system, from bash's `times`), which a machine loaded by other
 * work inflates far less; and, interleaved with them, the floor: `node -e ''` on the same Node.
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
  /** CPU time (user + system) of each measured run, ms (absent from runs saved before it was measured). */
  cpuMs?: number[];
  medianCpuMs?: number;
}

export interface CliResult {
  warmup: number;
  commands: CliCommandTiming[];
  /** `node -e ''` on the project's Node, timed the same way: what no CLI can go below on this machine. */
  floor?: { runsMs: number[]; medianMs: number; cpuMs: number[]; medianCpuMs: number };
}

const COMMANDS: { name: CliCommandTiming['name']; args: string[] }[] = [
  { name: 'help', args: ['--help'] },
  { name: 'scan', args: ['scan', 'examples/'] },
];

/**
 * Runs `command args` once under bash, which reports its children's CPU time (`times`) on stdout once the command
 * has exited; the command's own stdout is discarded.
 */
function timeOnce(root: string, command: string, args: string[]): Promise<{ ms: number; cpuMs: number }> {
  const script = '"$@" > /dev/null; status=$?; times; exit $status';
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('bash', ['-c', script, 'bash', command, ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.trim()}`));
      // `times` prints the shell's user and system time, then its children's: `0m0.212s 0m0.031s`.
      const children = stdout.trim().split('\n').at(-1) ?? '';
      const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map(([, m, s]) => Number(m) * 60 + Number(s));
      if (seconds.length !== 2)
        return reject(new Error(`bench cli: cannot read bash's times from ${JSON.stringify(stdout)}`));
      resolve({ ms, cpuMs: (seconds[0] + seconds[1]) * 1000 });
    });
  });
}

/** The runs of both commands and of the floor interleaved, so a change in the machine's load weighs on all alike. */
export async function measureCli(options: {
  root: string;
  runs: number;
  warmup: number;
  log: (line: string) => void;
}): Promise<CliResult> {
  const node = path.join(options.root, 'node_modules', '.bin', 'node');
  const bin = path.join(options.root, 'bin', 'opsagent');
  const measured = [
    ...COMMANDS.map((c) => ({ key: c.name as string, command: bin, args: c.args })),
    { key: 'floor', command: node, args: ['-e', ''] },
  ];
  const times = new Map(measured.map((m) => [m.key, { runsMs: [] as number[], cpuMs: [] as number[] }]));
  for (let i = 0; i < options.warmup + options.runs; i++) {
    for (const m of measured) {
      const { ms, cpuMs } = await timeOnce(options.root, m.command, m.args);
      if (i < options.warmup) continue;
      times.get(m.key)!.runsMs.push(ms);
      times.get(m.key)!.cpuMs.push(cpuMs);
    }
  }
  const summary = (key: string) => {
    const { runsMs, cpuMs } = times.get(key)!;
    return { runsMs, medianMs: median(runsMs), cpuMs, medianCpuMs: median(cpuMs) };
  };
  const commands = COMMANDS.map((c) => ({ ...c, ...summary(c.name) }));
  const floor = summary('floor');
  const figure = (label: string, t: { medianMs: number; medianCpuMs: number }) =>
    `${label} ${t.medianMs.toFixed(0)} ms (cpu ${t.medianCpuMs.toFixed(0)} ms)`;
  options.log(
    `cli: ${[...commands.map((c) => figure(c.args.join(' '), c)), figure("node -e ''", floor)].join(', ')} (median)`,
  );
  return { warmup: options.warmup, commands, floor };
}
