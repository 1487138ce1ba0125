import type { AuditReport } from '@opsagent/core/report/report';
import type { Rule } from '@opsagent/core/rules/rule';
import type { Severity } from '@opsagent/core/severity';

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** The project's repository; each rule's help is its heading in the README there (`#cpu-request-missing`). */
export const REPOSITORY_URL = 'https://github.com/opsagent/opsagent';
/** On the default branch, whose README documents the rules of the current release. */
export const RULES_DOC_URL = `${REPOSITORY_URL}/blob/main/README.md`;

export function ruleHelpUri(ruleId: string): string {
  return `${RULES_DOC_URL}#${ruleId}`;
}

/** SARIF has three result levels; critical and high are errors, medium a warning, the rest notes. */
const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

export interface SarifOptions {
  version: string;
  rules: readonly Rule[];
  /** Severity per rule after config, for `defaultConfiguration.level`. */
  severityOf: (ruleId: string) => Severity;
  /** Turns a source file path into the URI SARIF viewers resolve (relative, forward slashes). */
  toUri: (file: string) => string;
}

function driver(options: SarifOptions) {
  return {
    name: 'OpsAgent',
    version: options.version,
    informationUri: REPOSITORY_URL,
    rules: options.rules.map((rule) => ({
      id: rule.id,
      name: rule.title.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase()),
      shortDescription: { text: rule.title },
      fullDescription: { text: rule.description },
      helpUri: ruleHelpUri(rule.id),
      help: {
        text: `${rule.description} Fix: ${rule.remediation} See ${ruleHelpUri(rule.id)}`,
        markdown:
          `**${rule.title}** (\`${rule.id}\`)\n\n${rule.description}\n\n**Fix:** ${rule.remediation}\n\n` +
          `[Documentation](${ruleHelpUri(rule.id)})`,
      },
      defaultConfiguration: { level: LEVEL[options.severityOf(rule.id)] },
      properties: { tags: ['kubernetes', 'resources', rule.resource] },
    })),
  };
}

/** A file location of an input error or finding, as SARIF's physicalLocation. */
function physicalLocation(file: string, line: number | undefined, options: SarifOptions) {
  return {
    artifactLocation: { uri: options.toUri(file) },
    ...(line ? { region: { startLine: line } } : {}),
  };
}

export interface SarifInputError {
  message: string;
  file?: string;
  line?: number;
}

/**
 * The log of a run that failed on its input (exit 2): no results, `executionSuccessful: false` and each error as
 * a notification, so a CI upload step shows why instead of finding no file (or an empty one).
 */
export function formatSarifFailure(errors: readonly SarifInputError[], options: SarifOptions): string {
  return sarifLog({
    tool: { driver: driver(options) },
    invocations: [
      {
        executionSuccessful: false,
        exitCode: 2,
        toolExecutionNotifications: errors.map((e) => ({
          level: 'error',
          message: { text: e.message },
          descriptor: { id: 'input-error' },
          ...(e.file ? { locations: [{ physicalLocation: physicalLocation(e.file, e.line, options) }] } : {}),
        })),
      },
    ],
    results: [],
  });
}

/** SARIF 2.1.0: one reporting descriptor per rule id, one result per finding. */
export function formatSarif(report: AuditReport, options: SarifOptions): string {
  const ruleIndex = new Map(options.rules.map((r, i) => [r.id, i]));
  return sarifLog({
    tool: { driver: driver(options) },
    invocations: [
      {
        executionSuccessful: true,
        toolExecutionNotifications: report.warnings.map((w) => ({
          level: 'warning',
          message: { text: w.message },
          descriptor: { id: w.code },
        })),
      },
    ],
    results: report.issues.map((issue) => ({
      ruleId: issue.rule,
      ruleIndex: ruleIndex.get(issue.rule),
      level: LEVEL[issue.severity],
      message: { text: issue.message },
      locations: [
        {
          // The container's `- name:` line, where the fix goes; the object's first line when it is unknown.
          ...(issue.source
            ? {
                physicalLocation: physicalLocation(
                  issue.source.file,
                  issue.source.containerLine ?? issue.source.line,
                  options,
                ),
              }
            : {}),
          logicalLocations: [
            {
              name: issue.container,
              fullyQualifiedName: `${issue.namespace}/${issue.kind}/${issue.name}/${issue.container}`,
              kind: 'object',
            },
          ],
        },
      ],
      partialFingerprints: { 'opsagentIssueId/v1': issue.id },
      properties: {
        severity: issue.severity,
        namespace: issue.namespace,
        kind: issue.kind,
        name: issue.name,
        container: issue.container,
        remediation: issue.remediation,
        ...(issue.overProvisioning ? { overProvisioning: issue.overProvisioning } : {}),
      },
    })),
    properties: { summary: report.summary },
  });
}

/** A SARIF 2.1.0 log of one run, as the file is written. */
function sarifLog(run: Record<string, unknown>): string {
  return JSON.stringify({ $schema: SARIF_SCHEMA, version: '2.1.0', runs: [run] }, null, 2) + '\n';
}
