import { newestOomKill, OomKillHistory } from '../audit/failure-history';
import { UsageAttribution } from '../audit/usage-attribution';
import { parseDuration } from '../duration';
import type { UsageSample } from '../usage';
import { SampleUsage, type UsageSource } from '../audit/usage-stats';
import { WorkloadContext } from '../audit/workload-context';
import { isNamespaceAudited, resolveRuleSettings, type OpsAgentConfig } from '../config/config.loader';
import { ManifestError, ManifestErrors } from '../manifests/errors';
import { readManifestSourcesAll, STDIN_PATH } from '../manifests/manifest-reader';
import { extractWorkloads, type ExtractionResult } from '../manifests/workload-extractor';
import { buildReport, type AuditReport } from './report';

export interface ManifestAuditOptions {
  config: OpsAgentConfig;
  /** Namespace of objects without `metadata.namespace`. */
  defaultNamespace: string;
  readStdin?: () => Promise<string>;
  /**
   * Adds to the files' usage what files cannot carry (the rule fixtures' CFS counters, which only the Prometheus
   * source reads); default: the files' usage as it is.
   */
  wrapUsage?: (usage: UsageSource) => UsageSource;
}

/**
 * Reads manifest files (PodMetrics among them are usage samples) and audits them. Every input
 * error throws before a report exists, so a partial result is never mistaken for a complete one.
 */
export async function auditManifests(paths: string[], options: ManifestAuditOptions): Promise<AuditReport> {
  // Every bad file and every bad object of the run is reported at once (ManifestErrors), then nothing is audited.
  const { objects, errors } = await readManifestSourcesAll(paths, { stdin: options.readStdin });
  let extracted: ExtractionResult | undefined;
  try {
    extracted = extractWorkloads(objects, { defaultNamespace: options.defaultNamespace });
  } catch (err) {
    if (err instanceof ManifestErrors) errors.push(...err.errors);
    else if (err instanceof ManifestError) errors.push(err);
    else throw err;
  }
  ManifestErrors.throwIfAny(errors);
  if (objects.length === 0 || !extracted) {
    // An empty input passing a CI gate (`--fail-on`) would hide a wrong path or glob.
    throw new ManifestError(noObjectsMessage(paths));
  }
  const { rules, settings } = resolveRuleSettings(options.config);
  const attribution = new UsageAttribution(extracted.workloads, extracted.owners);
  // Files are a snapshot: the usage window ends at the newest time they hold (a PodMetrics timestamp or an OOM
  // kill), so a dump is judged as of when it was taken; without any time in them, at the present.
  const snapshotAt = newestTime(extracted.samples, newestOomKill(extracted.owners)) ?? Date.now();
  const since = snapshotAt - parseDuration(options.config.overProvisioning.window);
  return buildReport(
    {
      workloads: extracted.workloads,
      usage: (options.wrapUsage ?? ((u) => u))(new SampleUsage(extracted.workloads, extracted.samples, attribution)),
      failures: new OomKillHistory(extracted.owners, attribution, since),
      observedPods: attribution.observedPods(),
      usageSamples: extracted.samples.length,
      skipped: extracted.skipped,
      customWorkloads: extracted.customWorkloads,
      warnings: extracted.warnings,
      context: new WorkloadContext(extracted.limitRanges, extracted.hpas),
    },
    { rules, settings, isNamespaceAudited: (ns) => isNamespaceAudited(options.config, ns) },
  );
}

function newestTime(samples: readonly UsageSample[], newestKill: number | undefined): number | undefined {
  let newest = newestKill;
  for (const sample of samples) {
    const t = sample.timestamp === undefined ? NaN : Date.parse(sample.timestamp);
    if (!Number.isNaN(t) && (newest === undefined || t > newest)) newest = t;
  }
  return newest;
}

/** Says where nothing was found; the extensions matter only for the paths (a directory walk), not for stdin. */
function noObjectsMessage(paths: string[]): string {
  const files = [...new Set(paths.filter((p) => p !== STDIN_PATH))];
  const stdin = paths.includes(STDIN_PATH) ? 'standard input' : undefined;
  if (files.length === 0) return `no Kubernetes objects found on standard input (it was empty or held only comments)`;
  const where = [...files, ...(stdin ? [stdin] : [])].join(', ');
  return `no Kubernetes objects found in ${where} (directories are searched for .yaml, .yml and .json files)`;
}
