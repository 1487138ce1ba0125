import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import type { OpsAgentConfig } from '@opsagent/core/config/config.loader';
import { fixManifestText, fixTarget, type ContainerEdit, type WorkloadFixes } from '@opsagent/core/fix/manifest-fix';
import type { Issue } from '@opsagent/core/issue';
import { ManifestError, ManifestErrors } from '@opsagent/core/manifests/errors';
import { listManifestFiles } from '@opsagent/core/manifests/manifest-reader';
import { auditManifests } from '@opsagent/core/report/audit-manifests';
import { severityRank, type Severity } from '@opsagent/core/severity';
import { AgentIssuesClient } from './agent-issues.client';

export interface FixOptions {
  paths: string[];
  config: OpsAgentConfig;
  /** Namespace of objects without `metadata.namespace`. */
  namespace: string;
  failOn: Severity | 'none';
  /** Print a unified diff instead of writing. */
  dryRun: boolean;
  /** Take the findings from a running agent's REST API instead of scanning the files. */
  from?: string;
  token?: string;
}

export interface FixOutcome {
  /** Diffs (--dry-run) or one line per rewritten container, then the summary. */
  stdout: string;
  /** Every input error, one a line: bad files and fields are named; the others were still rewritten. */
  errors: string[];
  exitCode: 0 | 1 | 2;
}

/**
 * `opsagent fix PATH...`: rewrites the `resources` of the containers the findings have a fix for, in the files they
 * come from. The findings are those of `opsagent scan` of the same files (PodMetrics among them) or of a running
 * agent (`--from`), matched to the files' objects by namespace, kind, name and container. A file or object that
 * cannot be read or changed is named and left as it is; the others are still rewritten.
 */
export async function fixManifests(options: FixOptions): Promise<FixOutcome> {
  const errors: ManifestError[] = [];
  const listed = await listManifestFiles(options.paths);
  errors.push(...listed.errors);
  let files = listed.files;
  let issues: Issue[];
  if (options.from !== undefined) {
    issues = await new AgentIssuesClient(options.from, options.token).listIssues();
  } else {
    const scanned = await scanGoodFiles(files, options);
    errors.push(...scanned.errors);
    files = scanned.files;
    issues = scanned.issues;
  }

  const byWorkload = new Map<string, WorkloadFixes[]>();
  for (const issue of issues) {
    const target = fixTarget(issue);
    if (!target) continue;
    const key = workloadKey(issue.namespace, issue.kind, issue.name);
    const list = byWorkload.get(key) ?? [];
    list.push({ listPath: target.listPath, container: issue.container, changes: [target.change] });
    byWorkload.set(key, list);
  }
  const matched = new Set<string>();
  const fixesFor = (namespace: string, kind: string, name: string) => {
    const key = workloadKey(namespace, kind, name);
    const fixes = byWorkload.get(key);
    if (fixes) matched.add(key);
    return fixes;
  };

  const out: string[] = [];
  const edits: ContainerEdit[] = [];
  let changedFiles = 0;
  for (const file of files) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      errors.push(new ManifestError(`cannot read: ${(err as Error).message}`, { file }));
      continue;
    }
    const result = fixManifestText(text, file, options.namespace, fixesFor);
    errors.push(...result.errors);
    if (result.text === text) continue;
    if (/\.json$/i.test(file)) {
      errors.push(new ManifestError('JSON manifests are not rewritten by `opsagent fix`; change it by hand', { file }));
      continue;
    }
    changedFiles++;
    edits.push(...result.edits);
    if (options.dryRun) {
      const relative = path.relative(process.cwd(), file);
      const name = relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
      out.push(
        createTwoFilesPatch(`a/${name}`, `b/${name}`, text, result.text, '', '', { headerOptions: FILE_HEADERS_ONLY }),
      );
    } else {
      await fs.writeFile(file, result.text);
      for (const e of result.edits) out.push(`${editLine(e)}\n`);
    }
  }

  const withFix = issues.filter((i) => i.fix !== undefined);
  const unmatched = [...byWorkload.keys()].filter((k) => !matched.has(k)).length;
  const parts = [
    `${options.dryRun ? 'would fix' : 'fixed'} ${plural(edits.length, 'container')} in ${plural(changedFiles, 'file')}`,
    `${plural(withFix.length, 'finding')} with a fix`,
  ];
  const withoutFix = issues.length - withFix.length;
  if (options.from === undefined && withoutFix > 0) {
    parts.push(`${plural(withoutFix, 'finding')} without one (bare Pods, Jobs, custom kinds, no value to set)`);
  }
  if (options.from !== undefined && unmatched > 0) {
    parts.push(`${plural(unmatched, 'workload')} of the agent with fixes not in these files`);
  }
  if (errors.length > 0) parts.push(`${plural(errors.length, 'error')}`);
  out.push(`Summary: ${parts.join('; ')}\n`);

  const relevant =
    options.from === undefined ? issues : issues.filter((i) => matched.has(workloadKey(i.namespace, i.kind, i.name)));
  const failed =
    options.failOn !== 'none' &&
    relevant.some((i) => severityRank(i.severity) >= severityRank(options.failOn as Severity));
  return {
    stdout: out.join(''),
    errors: errors.map((e) => e.message),
    exitCode: errors.length > 0 ? 2 : failed ? 1 : 0,
  };
}

/**
 * The scan of `opsagent scan` over the files; a file with an input error (bad YAML, a bad field) is named and left
 * out, and the others are scanned again without it.
 */
async function scanGoodFiles(
  files: string[],
  options: FixOptions,
): Promise<{ files: string[]; issues: Issue[]; errors: ManifestError[] }> {
  const errors: ManifestError[] = [];
  let good = files;
  while (good.length > 0) {
    try {
      const report = await auditManifests(good, { config: options.config, defaultNamespace: options.namespace });
      return { files: good, issues: report.issues, errors };
    } catch (err) {
      const found = err instanceof ManifestErrors ? err.errors : err instanceof ManifestError ? [err] : undefined;
      if (!found) throw err;
      const bad = new Set(found.map((e) => e.file).filter((f): f is string => f !== undefined));
      // An error that names no file (no object in any of them) ends the run.
      if (bad.size === 0 || !good.some((f) => bad.has(f)))
        return { files: [], issues: [], errors: [...errors, ...found] };
      errors.push(...found.map((e) => new ManifestError(`${e.reason}; the file is not changed`, e)));
      good = good.filter((f) => !bad.has(f));
    }
  }
  return { files: [], issues: [], errors };
}

function editLine(e: ContainerEdit): string {
  const set = e.set.map((s) => `${s.field} ${s.from ?? '(unset)'} → ${s.to}`).join(', ');
  return `${e.file}:${e.line}: ${e.objectRef} container ${e.container}: ${set}`;
}

function workloadKey(namespace: string, kind: string, name: string): string {
  return `${namespace}/${kind}/${name}`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
