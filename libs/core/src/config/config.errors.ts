/** One thing wrong with a config: the dotted key path (e.g. `overProvisioning.cpu.ratio`) and why. */
export interface ConfigProblem {
  path: string;
  reason: string;
}

/** Path used for problems that concern the whole file (unreadable, not YAML, not a mapping). */
export const FILE_PATH = '(file)';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    /** File path, or `<inline>` when the config did not come from a file. */
    readonly source: string,
    readonly problems: ConfigProblem[],
  ) {
    super(`invalid config ${source}:\n${problems.map((p) => `  ${p.path}: ${p.reason}`).join('\n')}`);
  }
}
