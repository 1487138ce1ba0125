import path from 'node:path';
import { resolveRuleSettings, type OpsAgentConfig } from '@opsagent/core/config/config.loader';
import { auditManifests } from '@opsagent/core/report/audit-manifests';
import type { AuditReport } from '@opsagent/core/report/report';
import { RULES } from '@opsagent/core/rules/registry';
import { severityRank, type Severity } from '@opsagent/core/severity';
import { formatJson } from './formatters/json';
import { ConfigError } from '@opsagent/core/config/config.errors';
import { ManifestError, ManifestErrors } from '@opsagent/core/manifests/errors';
import { formatSarif, formatSarifFailure, type SarifInputError, type SarifOptions } from './formatters/sarif';
import { formatTable } from './formatters/table';
import type { OutputFormat } from './output-format';

export interface ScanOptions {
  paths: string[];
  output: OutputFormat;
  config: OpsAgentConfig;
  /** Exit 1 when a finding is at or above this severity; `none` never fails on findings. */
  failOn: Severity | 'none';
  namespace: string;
  version: string;
  readStdin: () => Promise<string>;
  /** Table output: the `kubectl patch` command under each finding that has a fix. */
  showFix?: boolean;
}

export interface ScanOutcome {
  report: AuditReport;
  /** The whole rendered output, written only once the scan completed. */
  output: string;
  exitCode: 0 | 1;
}

/**
 * Audits manifest files. Every input error (unreadable file, bad YAML, malformed quantity) throws
 * before anything is rendered, so a partial result is never printed as if it were complete.
 */
export async function scanManifests(options: ScanOptions): Promise<ScanOutcome> {
  const report = await auditManifests(options.paths, {
    config: options.config,
    defaultNamespace: options.namespace,
    readStdin: options.readStdin,
  });
  return { report, output: render(report, options), exitCode: exitCodeFor(report, options.failOn) };
}

export function render(report: AuditReport, options: ScanOptions): string {
  switch (options.output) {
    case 'json':
      return formatJson(report);
    case 'sarif':
      return formatSarif(report, sarifOptions(options.config, options.version));
    case 'table':
      return formatTable(report, { showFix: options.showFix === true });
  }
}

function sarifOptions(config: OpsAgentConfig, version: string): SarifOptions {
  return {
    version,
    rules: RULES,
    severityOf: (id) => resolveRuleSettings(config).rules.get(id)?.severity ?? 'medium',
    toUri: (file) => (file === '<stdin>' ? 'stdin' : relativeUri(file)),
  };
}

/**
 * The SARIF log of a run that failed on its input (a bad manifest or config), for `--output sarif`; undefined for
 * any other error. Each input error is a notification with its file and line.
 */
export function sarifForInputError(err: unknown, config: OpsAgentConfig, version: string): string | undefined {
  let errors: SarifInputError[];
  if (err instanceof ManifestErrors) errors = err.errors.map(sarifError);
  else if (err instanceof ManifestError) errors = [sarifError(err)];
  else if (err instanceof ConfigError) errors = [{ message: err.message, file: err.source }];
  else return undefined;
  return formatSarifFailure(errors, sarifOptions(config, version));
}

function sarifError(e: ManifestError): SarifInputError {
  return { message: e.message, ...(e.file === undefined ? {} : { file: e.file }), ...(e.line ? { line: e.line } : {}) };
}

/**
 * A manifest path as a relative URI reference (forward slashes, each segment percent-encoded): SARIF's
 * `artifactLocation.uri` must be a URI, so a file named `my app.yaml` is `my%20app.yaml`.
 */
function relativeUri(file: string): string {
  return path.relative(process.cwd(), file).split(path.sep).map(encodeURIComponent).join('/');
}

export function exitCodeFor(report: AuditReport, failOn: Severity | 'none'): 0 | 1 {
  if (failOn === 'none') return 0;
  const threshold = severityRank(failOn);
  return report.issues.some((i) => severityRank(i.severity) >= threshold) ? 1 : 0;
}
