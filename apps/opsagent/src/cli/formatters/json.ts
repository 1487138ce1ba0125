import type { AuditReport } from '@opsagent/core/report/report';

/** `{"issues":[...], "summary":{...}, "warnings":[...]}` */
export function formatJson(report: AuditReport): string {
  return JSON.stringify({ issues: report.issues, summary: report.summary, warnings: report.warnings }, null, 2) + '\n';
}
