import fs from 'node:fs';
import nodeModule from 'node:module';
import os from 'node:os';
import path from 'node:path';

/**
 * Node's module compile cache for the CLI: V8 keeps the compiled code of each module it loads on disk, so the next
 * run skips compiling it. Only for the CLI's own runs (`scan`, `--help`…), which a CI step or a pre-commit hook
 * starts again and again: `serve` starts once and must write nothing (read-only image, size-limited emptyDirs).
 *
 * The directory is checked before Node is given it, because Node's own handling of a bad one is not safe: it
 * creates the directory with a recursive mkdir, which loops forever at full CPU when mkdir answers ENOENT for a
 * parent that exists (`NODE_COMPILE_CACHE=/proc/nope node -e ''` never ends on Node 24.21). So: one directory per
 * user under the temp directory, created here with a plain mkdir, and used only when it is a real directory of
 * this user that nobody else can write into (a planted cache would be code run by the CLI). Anything else, and
 * the CLI runs without a cache, as it would on an older Node: a cache is a saving, never a reason to fail.
 *
 * Node's own switches still apply: NODE_DISABLE_COMPILE_CACHE=1 turns it off, and a NODE_COMPILE_CACHE set by the
 * user has already enabled it (in that directory) before this runs.
 */

export type CompileCacheOutcome =
  { enabled: true; directory: string } | { enabled: false; reason: string; directory?: string };

/** The cache directory of the current user: `<tmpdir>/opsagent-compile-cache-<uid>`. */
export function compileCacheDirectory(tmpdir = os.tmpdir()): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  return path.join(tmpdir, `opsagent-compile-cache-${uid}`);
}

/** Why `dir` must not hold a compile cache, or undefined when it may. Creates it (mode 0700) when absent. */
export function unusableReason(dir: string): string | undefined {
  try {
    // Not recursive, on purpose (see above): the temp directory itself must exist already.
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return `cannot create it: ${errorCode(error)}`;
  }
  try {
    const stat = fs.lstatSync(dir);
    if (!stat.isDirectory()) return 'not a directory';
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) return 'owned by another user';
    if ((stat.mode & 0o022) !== 0) return 'writable by other users';
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch (error) {
    return `cannot use it: ${errorCode(error)}`;
  }
  return undefined;
}

/** Enables the compile cache in `dir` when that directory is usable; never throws. */
export function enableCompileCache(dir = compileCacheDirectory()): CompileCacheOutcome {
  if (typeof nodeModule.enableCompileCache !== 'function')
    return { enabled: false, reason: 'Node has no compile cache' };
  const already = nodeModule.getCompileCacheDir?.();
  if (already) return { enabled: true, directory: already };
  const reason = unusableReason(dir);
  if (reason) return { enabled: false, reason, directory: dir };
  try {
    const result = nodeModule.enableCompileCache(dir);
    const { ENABLED, ALREADY_ENABLED } = nodeModule.constants.compileCacheStatus;
    return result.status === ENABLED || result.status === ALREADY_ENABLED
      ? { enabled: true, directory: result.directory ?? dir }
      : { enabled: false, reason: result.message ?? `status ${result.status}`, directory: dir };
  } catch (error) {
    return { enabled: false, reason: errorCode(error), directory: dir };
  }
}

function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code ?? (error instanceof Error ? error.message : String(error));
}
