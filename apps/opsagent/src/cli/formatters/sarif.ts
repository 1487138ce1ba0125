import type { AuditReport } from '@opsagent/core/report/report';
import type { Rule } from '@opsagent/core/rules/rule';
import type { Severity } from '@opsagent/core/severity';

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

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

/** SARIF 2.1.0: one reporting descriptor per rule id, one result per finding. */
export function formatSarif(report: AuditReport, options: SarifOptions): string {
  const ruleIndex = new Map(options.rules.map((r, i) => [r.id, i]));
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'OpsAgent',
            version: options.version,
            informationUri: 'https://github.com/opsagent/opsagent',
            rules: options.rules.map((rule) => ({
              id: rule.id,
              name: rule.title.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase()),
              shortDescription: { text: rule.title },
              fullDescription: { text: rule.description },
              help: { text: rule.remediation },
              defaultConfiguration: { level: LEVEL[options.severityOf(rule.id)] },
              properties: { tags: ['kubernetes', 'resources', rule.resource] },
            })),
          },
        },
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
              ...(issue.source
                ? {
                    physicalLocation: {
                      artifactLocation: { uri: options.toUri(issue.source.file) },
                      ...(issue.source.line ? { region: { startLine: issue.source.line } } : {}),
                    },
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
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}
