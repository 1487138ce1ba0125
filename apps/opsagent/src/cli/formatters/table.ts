import { formatMoney } from '@opsagent/core/cost';
import { readableQuantity } from '@opsagent/core/quantity';
import type { AuditReport } from '@opsagent/core/report/report';
import { SEVERITIES } from '@opsagent/core/severity';

const COLUMNS = ['RULE', 'NAMESPACE', 'OBJECT', 'CONTAINER', 'MESSAGE'] as const;

export interface TableOptions {
  /** Under each finding with a fix, one line with its `kubectl patch` command. */
  showFix?: boolean;
}

/** One row per finding, grouped by severity (most severe first), then a summary line. */
export function formatTable(report: AuditReport, options: TableOptions = {}): string {
  const lines: string[] = [];
  for (const severity of SEVERITIES) {
    const group = report.issues.filter((i) => i.severity === severity);
    if (group.length === 0) continue;
    const rows = group.map((i) => [i.rule, i.namespace, `${i.kind}/${i.name}`, i.container, i.message]);
    const widths = COLUMNS.map((c, col) => Math.max(c.length, ...rows.map((r) => r[col].length)));
    const render = (cells: readonly string[]) =>
      cells
        .map((cell, col) => (col === cells.length - 1 ? cell : cell.padEnd(widths[col])))
        .join('  ')
        .trimEnd();
    const body = rows.flatMap((row, i) => {
      const command = options.showFix ? group[i].fix?.command : undefined;
      return command === undefined ? [render(row)] : [render(row), `  fix: ${command}`];
    });
    lines.push(`${severity.toUpperCase()} (${group.length})`, render(COLUMNS), ...body, '');
  }
  if (report.issues.length === 0) lines.push('No issues found.', '');
  lines.push(summaryLine(report));
  return lines.join('\n') + '\n';
}

export function summaryLine({ summary: s }: AuditReport): string {
  const counts = SEVERITIES.filter((sev) => s.bySeverity[sev] > 0).map((sev) => `${sev} ${s.bySeverity[sev]}`);
  const parts = [
    `${s.issues} issue${s.issues === 1 ? '' : 's'}${counts.length ? ` (${counts.join(', ')})` : ''}`,
    `${s.workloads} workload${s.workloads === 1 ? '' : 's'}, ${s.containers} container${s.containers === 1 ? '' : 's'} checked`,
    `${s.containersWithoutUsage} container${s.containersWithoutUsage === 1 ? '' : 's'} without usage data`,
  ];
  if (s.issues > 0 && Object.keys(s.waste.byNamespace).length > 0) {
    const { cpuCores, memoryBytes, monthlyCost } = s.waste.total;
    parts.push(
      `over-provisioned: ${readableQuantity(Math.round(cpuCores * 1000), 'cpu')} cpu, ` +
        `${readableQuantity(memoryBytes, 'memory')} memory, ${formatMoney(monthlyCost, s.waste.currency)} a month`,
    );
  }
  if (s.workloadsExcluded > 0) parts.push(`${plural(s.workloadsExcluded, 'workload')} in excluded namespaces`);
  if (s.exemptions > 0) parts.push(`${plural(s.exemptions, 'check')} exempted by annotation`);
  const custom = Object.entries(s.customWorkloads ?? {});
  if (custom.length > 0) {
    parts.push(`audited like Deployments: ${custom.map(([kind, n]) => `${kind} ${n}`).join(', ')}`);
  }
  const skipped = Object.entries(s.skipped);
  if (skipped.length > 0) parts.push(`skipped ${skipped.map(([kind, n]) => `${kind} ${n}`).join(', ')}`);
  return `Summary: ${parts.join('; ')}`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
