import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** Time for `scripts/setup-promtool.sh` on a fresh machine (apt-get update + install prometheus); a no-op after. */
export const PROMTOOL_SETUP_TIMEOUT_MS = 300_000;

/**
 * Puts promtool on PATH (Debian's `prometheus` package, installed by scripts/setup-promtool.sh when missing). Throws,
 * so the spec fails rather than skips, when it cannot. Safe to run from every spec and worker: the script locks.
 */
export function ensurePromtool(): void {
  execFileSync('bash', [path.join(ROOT, 'scripts/setup-promtool.sh')], {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: PROMTOOL_SETUP_TIMEOUT_MS,
  });
}

export interface PromtoolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs promtool with `args`, `input` on its stdin. */
export function promtool(args: string[], input?: string, cwd?: string): PromtoolResult {
  const result = spawnSync('promtool', args, { encoding: 'utf8', input, cwd, timeout: 60_000 });
  if (result.error) throw result.error;
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
