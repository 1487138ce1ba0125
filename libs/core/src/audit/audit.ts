import { createHash } from 'node:crypto';
import type { Issue, ScanWarning } from '../issue';
import { buildFix } from '../fix/fix';
import { RULES } from '../rules/registry';
import type { Rule, RuleSettings } from '../rules/rule';
import { SEVERITIES, severityRank, type Severity } from '../severity';
import type { Workload } from '../workload';
import { Exemptions } from './exemptions';
import { WorkloadContext } from './workload-context';
import type { UsageSource } from './usage-stats';
import { NO_FAILURES, type FailureSource } from './failure-history';

export interface RuleSwitch {
  enabled: boolean;
  severity: Severity;
}

export interface AuditOptions {
  /** Per rule id; a rule missing here runs with its default severity. */
  rules: ReadonlyMap<string, RuleSwitch>;
  settings: RuleSettings;
  /** Namespace filter from `includeNamespaces` / `excludeNamespaces`. */
  isNamespaceAudited: (namespace: string) => boolean;
  /** The rule list; the registry unless a test passes its own. */
  registry?: readonly Rule[];
}

export interface AuditStats {
  workloads: number;
  containers: number;
  /** Workloads not audited because of the namespace filter. */
  workloadsExcluded: number;
  /** Containers with no usage sample (no over-provisioning check possible for them). */
  containersWithoutUsage: number;
  /** Rule checks skipped because of an exemption annotation. */
  exemptions: number;
}

export interface AuditResult {
  issues: Issue[];
  warnings: ScanWarning[];
  stats: AuditStats;
}

/** A short, stable id: the same object, container and rule always give the same id. */
export function issueId(kind: string, namespace: string, name: string, container: string, rule: string): string {
  return createHash('sha256')
    .update(`${kind}\u0000${namespace}\u0000${name}\u0000${container}\u0000${rule}`)
    .digest('hex')
    .slice(0, 16);
}

/** Most severe first, then namespace, kind, name, container, rule. */
export function compareIssues(a: Issue, b: Issue): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    cmp(a.namespace, b.namespace) ||
    cmp(a.kind, b.kind) ||
    cmp(a.name, b.name) ||
    cmp(a.container, b.container) ||
    cmp(a.rule, b.rule)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Runs every enabled rule on every container of every audited workload. Pure: no I/O. `observedPods`: the Pods
 * the read found per DaemonSet (UsageAttribution.observedPods), which prices a DaemonSet's waste. `context`: the
 * namespaces' LimitRanges and the workloads' HPAs. `failures`: the OOM kills of each workload's containers within
 * the window (OomKillHistory); none when omitted.
 */
export function audit(
  workloads: Iterable<Workload>,
  usage: UsageSource,
  options: AuditOptions,
  observedPods?: ReadonlyMap<Workload, number>,
  context: WorkloadContext = new WorkloadContext(),
  failures: FailureSource = NO_FAILURES,
): AuditResult {
  const registry = options.registry ?? RULES;
  const known = new Set(registry.map((r) => r.id));
  const active = registry
    .map((rule) => ({ rule, switch: options.rules.get(rule.id) ?? { enabled: true, severity: rule.defaultSeverity } }))
    .filter((r) => r.switch.enabled);
  const usageRulesActive = active.some((r) => r.rule.needsUsage);

  const issues: Issue[] = [];
  const warnings: ScanWarning[] = [];
  const stats: AuditStats = {
    workloads: 0,
    containers: 0,
    workloadsExcluded: 0,
    containersWithoutUsage: 0,
    exemptions: 0,
  };

  for (const workload of workloads) {
    if (!options.isNamespaceAudited(workload.namespace)) {
      stats.workloadsExcluded++;
      continue;
    }
    stats.workloads++;
    const exemptions = Exemptions.of(workload, known, warnings);
    const usageByContainer = usageRulesActive ? usage.statsFor(workload) : new Map();
    const pods = observedPods?.get(workload);
    const oomKills = failures.oomKillsFor(workload);
    for (const container of workload.containers) {
      stats.containers++;
      const containerUsage = usageByContainer.get(container.name);
      const containerContext = context.containerContext(workload, container);
      if (usageRulesActive && containerUsage === undefined) stats.containersWithoutUsage++;
      for (const { rule, switch: sw } of active) {
        if (exemptions.isExempt(container.name, rule.id)) {
          stats.exemptions++;
          continue;
        }
        const finding = rule.evaluate({
          workload,
          container,
          usage: containerUsage,
          oomKill: oomKills.get(container.name),
          settings: options.settings,
          ...(pods !== undefined ? { observedPods: pods } : {}),
          context: containerContext,
        });
        if (!finding) continue;
        const fix = finding.recommendation ? buildFix(workload, container, finding.recommendation) : undefined;
        issues.push({
          id: issueId(workload.kind, workload.namespace, workload.name, container.name, rule.id),
          rule: rule.id,
          severity: finding.severity ?? sw.severity,
          namespace: workload.namespace,
          kind: workload.kind,
          name: workload.name,
          container: container.name,
          message: finding.message,
          remediation: rule.remediation,
          ...(finding.overProvisioning ? { overProvisioning: finding.overProvisioning } : {}),
          ...(fix ? { fix } : {}),
          ...(workload.source
            ? {
                source:
                  container.line === undefined
                    ? workload.source
                    : { ...workload.source, containerLine: container.line },
              }
            : {}),
        });
      }
    }
  }
  issues.sort(compareIssues);
  return { issues, warnings, stats };
}

export function countBySeverity(issues: readonly Issue[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const issue of issues) counts[issue.severity]++;
  return counts;
}
