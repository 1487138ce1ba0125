/**
 * Issues as Kubernetes-native reports, and back: `wgpolicyk8s.io/v1alpha2` PolicyReports (what Kyverno, Trivy
 * Operator, Falco and kube-bench publish) and `openreports.io/v1alpha1` Reports (their successor, the same
 * result shape). One report per namespace, one result per issue. The inverse mapping lets another replica serve
 * the same issues (same ids, firstSeen, message, severity, figures) from the reports alone.
 */
import { kubectlPatchCommand, PATCHABLE_KINDS, type Fix } from '../fix/fix';
import type { Issue, OverProvisioning } from '../issue';
import { formatCpu, formatMemory, parseMemory, type ResourceName } from '../quantity';
import { findRule } from '../rules/registry';
import { isSeverity } from '../severity';

/** The name of every report OpsAgent writes, one per namespace. */
export const REPORT_NAME = 'opsagent';
/** The label that marks a report as OpsAgent's: a report without it is never changed or deleted. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'opsagent';
/** `source` of every result (and of an openreports Report). */
export const REPORT_SOURCE = 'opsagent';

export type ReportKind = 'PolicyReport' | 'Report';

export interface ReportType {
  kind: ReportKind;
  group: string;
  version: string;
  /** The resource (path segment). */
  plural: string;
  apiVersion: string;
}

export const REPORT_TYPES: Record<ReportKind, ReportType> = {
  PolicyReport: {
    kind: 'PolicyReport',
    group: 'wgpolicyk8s.io',
    version: 'v1alpha2',
    plural: 'policyreports',
    apiVersion: 'wgpolicyk8s.io/v1alpha2',
  },
  Report: {
    kind: 'Report',
    group: 'openreports.io',
    version: 'v1alpha1',
    plural: 'reports',
    apiVersion: 'openreports.io/v1alpha1',
  },
};

/** An issue with the times the issue store keeps (RFC 3339). */
export interface SeenIssue extends Issue {
  firstSeen: string;
  lastSeen: string;
}

/** The workload object an issue is about, as the report's `resources` names it. */
export interface WorkloadIdentity {
  apiVersion?: string;
  uid?: string;
}

export interface ReportResource {
  apiVersion?: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
}

/** One result: the fields of the CRD's `results[]` that OpsAgent fills. */
export interface ReportResult {
  source: string;
  policy: string;
  rule: string;
  category: string;
  severity: string;
  result: 'fail' | 'warn';
  message: string;
  /**
   * `metav1.Timestamp`: the issue's lastSeen when the result was written; a later scan that finds the same result
   * keeps it (see keepUnchangedTimestamps), so read back it is a lastSeen that may lag.
   */
  timestamp: { seconds: number; nanos: number };
  resources: ReportResource[];
  /** Strings only (the CRD's `additionalProperties: {type: string}`). */
  properties: Record<string, string>;
}

export interface ReportSummary {
  pass: number;
  fail: number;
  warn: number;
  error: number;
  skip: number;
}

export interface PolicyReportObject {
  apiVersion: string;
  kind: ReportKind;
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    resourceVersion?: string;
    uid?: string;
  };
  /** openreports.io Reports only: the tool that wrote it. */
  source?: string;
  results: ReportResult[];
  summary: ReportSummary;
}

/** apiVersion of the built-in kinds the service reads, for a workload whose object did not say. */
const KIND_API_VERSIONS: Record<string, string> = {
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  ReplicaSet: 'apps/v1',
  ReplicationController: 'v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
  Pod: 'v1',
};

/** The rule's category: the over-provisioning rules measure usage; the others check declared resources. */
export function ruleCategory(ruleId: string): string {
  return findRule(ruleId)?.needsUsage ? 'Rightsizing' : 'Resources';
}

/** `metav1.Timestamp` of an RFC 3339 time (milliseconds kept as nanos). */
export function toTimestamp(iso: string): { seconds: number; nanos: number } {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`not an RFC 3339 time: ${JSON.stringify(iso)}`);
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

function fromTimestamp(ts: { seconds: number; nanos: number }): string {
  return new Date(ts.seconds * 1000 + Math.floor(ts.nanos / 1_000_000)).toISOString();
}

/**
 * A figure as a Kubernetes quantity that reads back exactly: CPU `250m`/`2` (a fractional p95 `12.5m`), memory
 * `128Mi` or plain bytes.
 */
export function quantityProperty(value: number, resource: ResourceName): string {
  if (resource === 'memory') return formatMemory(value);
  return Number.isInteger(value) ? formatCpu(value) : `${value}m`;
}

/** The inverse of quantityProperty: millicores or bytes, exactly; undefined when it is not one. */
export function parseQuantityProperty(text: string, resource: ResourceName): number | undefined {
  if (resource === 'cpu') {
    const milli = /^(\d+(?:\.\d+)?)m$/.exec(text);
    if (milli) return Number(milli[1]);
    return /^\d+(?:\.\d+)?$/.test(text) ? Math.round(Number(text) * 1000 * 1e6) / 1e6 : undefined;
  }
  try {
    return parseMemory(text);
  } catch {
    return undefined;
  }
}

/** One issue as one report result. */
export function issueToResult(issue: SeenIssue, workload: WorkloadIdentity = {}): ReportResult {
  const apiVersion = workload.apiVersion ?? KIND_API_VERSIONS[issue.kind];
  const resource: ReportResource = {
    ...(apiVersion ? { apiVersion } : {}),
    kind: issue.kind,
    name: issue.name,
    namespace: issue.namespace,
    ...(workload.uid ? { uid: workload.uid } : {}),
  };
  const properties: Record<string, string> = {
    container: issue.container,
    id: issue.id,
    firstSeen: issue.firstSeen,
  };
  const op = issue.overProvisioning;
  if (op) {
    properties.request = quantityProperty(op.request, op.resource);
    properties.recommended = quantityProperty(op.recommended, op.resource);
    properties.usage = quantityProperty(op.usage, op.resource);
    properties.samples = String(op.samples);
    if (op.replicas !== undefined) properties.replicas = String(op.replicas);
    if (op.observedPods !== undefined) properties.observedPods = String(op.observedPods);
    if (op.wasteMonthlyCost !== undefined && op.currency !== undefined) {
      properties.wasteMonthlyCost = String(op.wasteMonthlyCost);
      properties.currency = op.currency;
    }
  }
  // The patch as JSON text (properties are strings); a follower rebuilds the command from it and the workload.
  if (issue.fix) properties.fix = JSON.stringify(issue.fix.patch);
  return {
    source: REPORT_SOURCE,
    policy: issue.rule,
    rule: issue.rule,
    category: ruleCategory(issue.rule),
    severity: issue.severity,
    result: issue.severity === 'info' ? 'warn' : 'fail',
    message: issue.message,
    timestamp: toTimestamp(issue.lastSeen),
    resources: [resource],
    properties,
  };
}

export function summarize(results: readonly ReportResult[]): ReportSummary {
  const summary: ReportSummary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const r of results) summary[r.result]++;
  return summary;
}

/**
 * The reports the issues call for: one per namespace that has issues, results ordered by issue id (so the same
 * issues always give the same report). `identity` gives the workload's apiVersion and uid where known.
 */
export function buildReports(
  issues: Iterable<SeenIssue>,
  type: ReportType,
  identity: (issue: SeenIssue) => WorkloadIdentity = () => ({}),
): Map<string, PolicyReportObject> {
  const byNamespace = new Map<string, ReportResult[]>();
  for (const issue of issues) {
    let results = byNamespace.get(issue.namespace);
    if (!results) byNamespace.set(issue.namespace, (results = []));
    results.push(issueToResult(issue, identity(issue)));
  }
  const reports = new Map<string, PolicyReportObject>();
  for (const namespace of [...byNamespace.keys()].sort()) {
    const results = byNamespace.get(namespace)!;
    results.sort((a, b) => (a.properties.id < b.properties.id ? -1 : a.properties.id > b.properties.id ? 1 : 0));
    reports.set(namespace, {
      apiVersion: type.apiVersion,
      kind: type.kind,
      metadata: { name: REPORT_NAME, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY } },
      ...(type.kind === 'Report' ? { source: REPORT_SOURCE } : {}),
      results,
      summary: summarize(results),
    });
  }
  return reports;
}

/** Whether a report read from the API server is OpsAgent's (by its label). */
export function isManagedReport(object: unknown): boolean {
  const labels = record(record(object)?.metadata)?.labels;
  return record(labels)?.[MANAGED_BY_LABEL] === MANAGED_BY;
}

/**
 * Whether a stored report already says what `desired` says: results (timestamps aside: a scan that finds the
 * same issues changes nothing), summary, our label and, for a Report, its source. Key order does not matter (an
 * API server returns custom resources with sorted keys).
 */
export function sameContent(stored: unknown, desired: PolicyReportObject): boolean {
  const s = record(stored);
  if (!s || !isManagedReport(s)) return false;
  const withoutTimes = (results: unknown) =>
    Array.isArray(results) ? results.map((r) => withoutTimestamp(record(r) ?? {})) : results;
  return (
    sameJson(withoutTimes(s.results ?? []), withoutTimes(desired.results)) &&
    sameJson(s.summary, desired.summary) &&
    (desired.source === undefined || s.source === desired.source)
  );
}

/**
 * `desired` keeping the timestamps of `stored` for the results whose content did not change, so that a report
 * rewritten because one issue changed does not move the other results' times.
 */
export function keepUnchangedTimestamps(stored: unknown, desired: PolicyReportObject): PolicyReportObject {
  const old = new Map<string, Record<string, unknown>>();
  for (const r of arrayOf(record(stored)?.results)) {
    const id = record(record(r)?.properties)?.id;
    if (typeof id === 'string') old.set(id, record(r)!);
  }
  const results = desired.results.map((r) => {
    const before = old.get(r.properties.id);
    if (!before) return r;
    const ts = record(before.timestamp);
    if (
      !sameJson(withoutTimestamp(before), withoutTimestamp(r)) ||
      typeof ts?.seconds !== 'number' ||
      typeof ts.nanos !== 'number'
    )
      return r;
    return { ...r, timestamp: { seconds: ts.seconds, nanos: ts.nanos } };
  });
  return { ...desired, results };
}

/** An issue read back from a report. */
export type ReportedIssue = SeenIssue;

export interface ReportReading {
  issues: ReportedIssue[];
  /** Results that could not be read as issues, each naming the report, the result and the field. */
  problems: string[];
}

/**
 * The issues a report holds: the inverse of buildReports. Results of another source are left out; results of
 * OpsAgent that lack a field are reported in `problems`, never dropped silently.
 */
export function issuesFromReport(object: unknown): ReportReading {
  const out: ReportReading = { issues: [], problems: [] };
  const report = record(object);
  const meta = record(report?.metadata);
  const where = `${String(report?.kind ?? 'report')} ${String(meta?.namespace ?? '')}/${String(meta?.name ?? '')}`;
  const results = report?.results;
  if (results !== undefined && !Array.isArray(results)) {
    out.problems.push(`${where}: results is not a list`);
    return out;
  }
  (results ?? []).forEach((raw, index) => {
    const r = record(raw);
    if (r?.source !== REPORT_SOURCE) return;
    const problem = (field: string, why: string) => out.problems.push(`${where}: results[${index}].${field} ${why}`);
    const props = record(r.properties) ?? {};
    const resource = record(arrayOf(r.resources)[0]);
    const rule = typeof r.rule === 'string' && r.rule !== '' ? r.rule : typeof r.policy === 'string' ? r.policy : '';
    const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    const id = text(props.id);
    const container = text(props.container);
    const kind = text(resource?.kind);
    const name = text(resource?.name);
    const namespace = text(resource?.namespace) ?? text(meta?.namespace);
    const ts = record(r.timestamp);
    if (!id) return problem('properties.id', 'is missing');
    if (rule === '') return problem('rule', 'is missing');
    if (!isSeverity(r.severity)) return problem('severity', `is not a severity: ${JSON.stringify(r.severity)}`);
    if (!container) return problem('properties.container', 'is missing');
    if (!kind || !name || !namespace)
      return problem('resources[0]', 'does not name the workload (kind, name, namespace)');
    if (typeof ts?.seconds !== 'number' || typeof ts.nanos !== 'number') return problem('timestamp', 'is missing');
    const lastSeen = fromTimestamp({ seconds: ts.seconds, nanos: ts.nanos });
    const firstSeen = text(props.firstSeen);
    if (firstSeen !== undefined && Number.isNaN(Date.parse(firstSeen))) {
      return problem('properties.firstSeen', `is not an RFC 3339 time: ${JSON.stringify(firstSeen)}`);
    }
    const definition = findRule(rule);
    const issue: ReportedIssue = {
      id,
      rule,
      severity: r.severity,
      namespace,
      kind,
      name,
      container,
      message: typeof r.message === 'string' ? r.message : '',
      remediation: definition?.remediation ?? '',
      firstSeen: firstSeen ?? lastSeen,
      lastSeen,
    };
    // Over-provisioning findings carry their figures; the other usage rules (memory-underprovisioned,
    // cpu-throttled) say theirs in the message only.
    if (definition?.needsUsage && definition.id.endsWith('-overprovisioned')) {
      const figures = overProvisioningFrom(props, definition.resource);
      if (typeof figures === 'string') return problem(`properties.${figures}`, 'is missing or not a quantity');
      issue.overProvisioning = figures;
    }
    if (typeof props.fix === 'string') {
      const fix = fixFrom(props.fix, kind, namespace, name);
      if (fix === undefined) return problem('properties.fix', 'is not the JSON of a patch of a patchable kind');
      issue.fix = fix;
    }
    out.issues.push(issue);
  });
  return out;
}

/** A fix read back from its patch's JSON text, with its command; undefined when it is not one. */
function fixFrom(text: string, kind: string, namespace: string, name: string): Fix | undefined {
  const kubectlKind = PATCHABLE_KINDS[kind];
  let patch: unknown;
  try {
    patch = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (kubectlKind === undefined || record(patch) === undefined) return undefined;
  const object = patch as Record<string, unknown>;
  return { patch: object, command: kubectlPatchCommand(kubectlKind, namespace, name, object) };
}

/** The figures of a rightsizing result, or the name of the first property that is missing or malformed. */
function overProvisioningFrom(props: Record<string, unknown>, resource: ResourceName): OverProvisioning | string {
  const figure = (key: string) =>
    typeof props[key] === 'string' ? parseQuantityProperty(props[key], resource) : undefined;
  const request = figure('request');
  if (request === undefined) return 'request';
  const recommended = figure('recommended');
  if (recommended === undefined) return 'recommended';
  const usage = figure('usage');
  if (usage === undefined) return 'usage';
  const samples = typeof props.samples === 'string' && /^\d+$/.test(props.samples) ? Number(props.samples) : undefined;
  if (samples === undefined) return 'samples';
  const wastePerPod = Math.max(request - recommended, 0);
  const figures: OverProvisioning = {
    resource,
    unit: resource === 'cpu' ? 'millicores' : 'bytes',
    samples,
    usage,
    request,
    recommended,
    wastePerPod,
  };
  if (typeof props.replicas === 'string' && /^\d+$/.test(props.replicas)) {
    figures.replicas = Number(props.replicas);
    figures.wasteTotal = wastePerPod * figures.replicas;
  } else if (typeof props.observedPods === 'string' && /^\d+$/.test(props.observedPods)) {
    figures.observedPods = Number(props.observedPods);
    figures.wasteTotal = wastePerPod * figures.observedPods;
  }
  // Written by this version on every rightsizing result; a report of an older one has no price (the summary prices it).
  const cost = typeof props.wasteMonthlyCost === 'string' ? Number(props.wasteMonthlyCost) : NaN;
  if (Number.isFinite(cost) && cost >= 0 && typeof props.currency === 'string' && /^[A-Z]{3}$/.test(props.currency)) {
    figures.wasteMonthlyCost = cost;
    figures.currency = props.currency;
  }
  return figures;
}

/**
 * Deep equality of JSON values, whatever their key order (an API server returns custom resources with sorted keys)
 * and whatever realm made them (util.isDeepStrictEqual also compares prototypes).
 */
function sameJson(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function withoutTimestamp(result: object): Record<string, unknown> {
  const out: Record<string, unknown> = { ...result };
  delete out.timestamp;
  return out;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
