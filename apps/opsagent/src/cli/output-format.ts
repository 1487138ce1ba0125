/** The `scan` command's output formats; apart from scan.command.ts so that `--help` need not load the scan. */
export type OutputFormat = 'table' | 'json' | 'sarif';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'sarif'];
