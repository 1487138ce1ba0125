import { createHash } from 'node:crypto';
import { isExemptionAnnotation } from '@opsagent/core/audit/exemptions';
import type { ScanWarning } from '@opsagent/core/issue';
import { ManifestError } from '@opsagent/core/manifests/errors';
import { isRecord } from '@opsagent/core/manifests/object-reader';
import { OwnerIndex, recordOwnership, UsageAttribution } from '@opsagent/core/audit/usage-attribution';
import { UsagePeaks } from '@opsagent/core/audit/usage-peaks';
import { toUsageSample } from '@opsagent/core/manifests/pod-metrics';
import { toWorkload } from '@opsagent/core/manifests/workload-extractor';
import type { UsageSample } from '@opsagent/core/usage';
import type { Workload, WorkloadKind } from '@opsagent/core/workload';
import { toHpa, toLimitRange, type HpaSpec, type LimitRangeSpec } from '@opsagent/core/audit/workload-context';
import { mapLimit } from '../common/map-limit';
import {
  ClusterReader,
  type ClusterSnapshot,
  type KindReadFailure,
  type ReadOptions,
  type ReadAttribution,
  type UsageRead,
} from './cluster-reader';
import { KubeApiClient, MAX_UNCONSUMED_BODY_BYTES, type ApiResponse } from './kube-api.client';
import { ClusterReadError } from './kubernetes.errors';
import { ListItemCutter, ListSizeError, ListTextError, type CutOptions } from './list-text';

interface ResourceType {
  kind: WorkloadKind | ContextKind;
  apiVersion: string;
  group: string;
  plural: string;
}

/**
 * Everything the rules audit. Pods, and the ReplicaSets and Jobs between them and their workloads, are also read
 * for attributing usage (their controller ownerReferences, the Pods' labels: see UsageAttribution).
 */
export const WORKLOAD_RESOURCES: readonly ResourceType[] = [
  { kind: 'Deployment', apiVersion: 'apps/v1', group: 'apps', plural: 'deployments' },
  { kind: 'StatefulSet', apiVersion: 'apps/v1', group: 'apps', plural: 'statefulsets' },
  { kind: 'DaemonSet', apiVersion: 'apps/v1', group: 'apps', plural: 'daemonsets' },
  { kind: 'ReplicaSet', apiVersion: 'apps/v1', group: 'apps', plural: 'replicasets' },
  { kind: 'ReplicationController', apiVersion: 'v1', group: '', plural: 'replicationcontrollers' },
  { kind: 'Job', apiVersion: 'batch/v1', group: 'batch', plural: 'jobs' },
  { kind: 'CronJob', apiVersion: 'batch/v1', group: 'batch', plural: 'cronjobs' },
  { kind: 'Pod', apiVersion: 'v1', group: '', plural: 'pods' },
];
type ContextKind = 'LimitRange' | 'HorizontalPodAutoscaler';
/**
 * What the rules read beside the workloads: the LimitRanges (what admission fills in) and the HPAs (what a
 * request cut does to the replica count). Listed as the workloads are (pages, caps); a kind that cannot be read
 * is a warning, not a partial scan: the audit runs without it.
 */
export const CONTEXT_RESOURCES: readonly ResourceType[] = [
  { kind: 'LimitRange', apiVersion: 'v1', group: '', plural: 'limitranges' },
  {
    kind: 'HorizontalPodAutoscaler',
    apiVersion: 'autoscaling/v2',
    group: 'autoscaling',
    plural: 'horizontalpodautoscalers',
  },
];
const CONTEXT_EFFECT: Record<ContextKind, string> = {
  LimitRange: 'LimitRange defaults are not applied this scan (`*-missing` findings keep their configured severity)',
  HorizontalPodAutoscaler: 'recommendations do not account for HPAs this scan',
};
const METRICS = { apiVersion: 'metrics.k8s.io/v1beta1', resource: 'metrics.k8s.io/pods' };

/** A `continue` token that expired is relisted from the start at most this many times per kind. */
const MAX_RELISTS = 2;
/** Lists running at once: enough to overlap latency, few enough to be gentle with the API server. */
const CONCURRENCY = 4;

/*
 * Caps that keep a hostile or broken API server from growing the agent without bound. Each one fails only the
 * kind (the scan is `partial`), with an error naming the kind and the cap; none is reached by a real server, so
 * they are constants rather than config keys.
 */
/**
 * Bytes of one list item as sent. etcd refuses values over 1.5 MiB (its default `--max-request-bytes`) and the
 * API server request bodies over 3 MiB, so no stored object comes back larger than about 1.5 MiB of JSON; twice
 * that leaves room for the JSON rendering of a protobuf-stored object.
 */
export const MAX_ITEM_BYTES = 3 * 1024 * 1024;
/**
 * Objects one kind may have: twice the 150,000 Pods of Kubernetes' scalability thresholds. It sets the pages a
 * kind may take (this ÷ `pageSize`) and the PodMetrics a list may hold (metrics-server ignores `limit`).
 */
export const MAX_OBJECTS_PER_KIND = 300_000;

/** Items a page may hold: its `limit`, which the API server never exceeds, and 10 % for an odd server. */
export function maxItemsPerPage(limit: number): number {
  return limit + Math.ceil(limit / 10);
}

export interface ReaderSettings {
  pageSize: number;
  /** Default MAX_OBJECTS_PER_KIND. */
  maxObjectsPerKind?: number;
  /** Pages one kind may take; default `maxObjectsPerKind` ÷ `pageSize` (rounded up). */
  maxPages?: number;
  /** Default MAX_ITEM_BYTES. */
  maxItemBytes?: number;
}

interface ListPage {
  metadata?: { continue?: string; resourceVersion?: string };
  items?: unknown[];
}

interface KindResult {
  workloads: Workload[];
  limitRanges: LimitRangeSpec[];
  hpas: HpaSpec[];
  skipped: Map<string, number>;
  warnings: ScanWarning[];
}

/**
 * Reads the cluster page by page (`limit`/`continue`), projecting each item to the slim record the rules
 * need as its page arrives, so no full list of full objects is ever held. GET only.
 */
export class KubernetesClusterReader extends ClusterReader {
  private readonly maxObjects: number;
  private readonly maxPages: number;
  private readonly maxItemBytes: number;

  constructor(
    private readonly api: KubeApiClient,
    private readonly settings: ReaderSettings,
  ) {
    super();
    this.maxObjects = settings.maxObjectsPerKind ?? MAX_OBJECTS_PER_KIND;
    this.maxPages = settings.maxPages ?? Math.ceil(this.maxObjects / settings.pageSize);
    this.maxItemBytes = settings.maxItemBytes ?? MAX_ITEM_BYTES;
  }

  async read(options: ReadOptions): Promise<ClusterSnapshot> {
    const counters = { requests: 0, bytes: 0 };
    const failures: KindReadFailure[] = [];
    const limitRanges: LimitRangeSpec[] = [];
    const hpas: HpaSpec[] = [];
    const snapshot: ClusterSnapshot = {
      workloads: [],
      limitRanges,
      hpas,
      skipped: {},
      failures,
      kindsAttempted: WORKLOAD_RESOURCES.length,
      warnings: [],
      requests: 0,
      bytes: 0,
      attribution: { workloads: [], owners: new OwnerIndex() },
    };
    // Each Pod's controller and labels, each owned ReplicaSet's and Job's controller, each workload's uid: the
    // chain a PodMetrics sample follows to its workload. Label sets and controller references are shared, so this
    // is about 100 bytes a Pod.
    const labelSets = new LabelSets();
    const owners = new OwnerIndex();
    snapshot.owners = owners;
    const results = await mapLimit([...WORKLOAD_RESOURCES, ...CONTEXT_RESOURCES], CONCURRENCY, async (type) => {
      try {
        return await this.readKind(type, options, counters, { owners, labelSets });
      } catch (error) {
        if (isContextKind(type.kind)) {
          if (options.signal?.aborted) throw error;
          const failure = toFailure(type, error);
          snapshot.warnings.push({
            code: 'context-unreadable',
            message: `${failure.resource}: ${failure.reason}; ${CONTEXT_EFFECT[type.kind]}`,
            kind: type.kind,
          });
        } else failures.push(toFailure(type, error));
        return undefined;
      }
    });
    options.signal?.throwIfAborted(); // an aborted scan's partial read is not a snapshot
    for (const result of results) {
      if (!result) continue;
      for (const workload of result.workloads) snapshot.workloads.push(workload);
      for (const limitRange of result.limitRanges) limitRanges.push(limitRange);
      for (const hpa of result.hpas) hpas.push(hpa);
      for (const warning of result.warnings) snapshot.warnings.push(warning);
      for (const [key, n] of result.skipped) snapshot.skipped[key] = (snapshot.skipped[key] ?? 0) + n;
    }
    snapshot.attribution = { workloads: snapshot.workloads, owners };
    if (options.usage === 'none') {
      snapshot.pods = [...owners.podList()];
    } else {
      try {
        const usage = await this.readMetrics(options, counters, { owners, labelSets, workloads: snapshot.workloads });
        if (usage.peaks) snapshot.usagePeaks = usage.peaks;
        else snapshot.samples = usage.samples;
      } catch (error) {
        if (options.signal?.aborted) throw error;
        snapshot.metricsError = error instanceof Error ? error.message : String(error);
      }
    }
    failures.sort((a, b) => a.resource.localeCompare(b.resource));
    snapshot.requests = counters.requests;
    snapshot.bytes = counters.bytes;
    return snapshot;
  }

  async readUsage(
    attribution: ReadAttribution,
    options: Pick<ReadOptions, 'namespaces' | 'signal' | 'onRequest' | 'acceptSample'>,
  ): Promise<UsageRead> {
    const counters = { requests: 0, bytes: 0 };
    const { peaks } = await this.readMetrics({ ...options, usage: 'peaks' }, counters, {
      owners: attribution.owners,
      labelSets: new LabelSets(),
      workloads: attribution.workloads,
    });
    return { peaks: peaks!, requests: counters.requests, bytes: counters.bytes };
  }

  get clusterIdentity(): string {
    return this.api.serverUrl;
  }

  /**
   * Lists one kind to the end. When a `continue` token expires (410 Gone) the kind is listed again from
   * the start into a fresh result, so nothing projected from the expired list is counted twice.
   */
  private async readKind(
    type: ResourceType,
    options: ReadOptions,
    counters: Counters,
    index: Owners,
  ): Promise<KindResult> {
    for (let relist = 0; ; relist++) {
      const result = emptyResult();
      const pages = { n: 0 }; // across namespaces: the cap is per kind
      try {
        for (const namespace of options.namespaces ?? [undefined]) {
          await this.listPaged(type, namespace, options, counters, result, pages, index);
        }
        return result;
      } catch (error) {
        if (!(error instanceof ContinueExpired)) throw error;
        if (relist >= MAX_RELISTS) {
          throw new ClusterReadError(resourceName(type), `continue token expired ${relist + 1} times (410 Gone)`, 410);
        }
      }
    }
  }

  /**
   * One item into `into`. An object that cannot be read (the API server validated it, so this is unexpected) is
   * a warning naming it, and left out: one odd object must not fail its kind.
   */
  private project(type: ResourceType, item: Record<string, unknown>, into: KindResult, index: Owners): void {
    const metadata = isRecord(item.metadata) ? item.metadata : {};
    const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : undefined;
    const name = typeof metadata.name === 'string' ? metadata.name : undefined;
    const unreadable = (reason: string): void => {
      into.warnings.push({
        code: 'unreadable-object',
        message: `${resourceName(type)}: ${type.kind} ${namespace ?? '(no namespace)'}/${name ?? '(no name)'}: ${reason}; ${isContextKind(type.kind) ? 'not applied' : 'not audited'}`,
        kind: type.kind,
        ...(namespace !== undefined ? { namespace } : {}),
        ...(name !== undefined ? { name } : {}),
      });
    };
    let projection: ReturnType<typeof toWorkload>;
    let labels: Record<string, string> | null = {};
    try {
      const apiCtx = { defaultNamespace: 'default', kind: type.kind, apiVersion: type.apiVersion };
      if (type.kind === 'LimitRange') return void into.limitRanges.push(toLimitRange(item, apiCtx));
      if (type.kind === 'HorizontalPodAutoscaler') return void into.hpas.push(toHpa(item, apiCtx));
      if (type.kind === 'Pod') labels = stringMap(metadata.labels);
      if (labels === null) return unreadable('metadata.labels is not a map of strings');
      projection = toWorkload(item, { defaultNamespace: 'default', kind: type.kind, apiVersion: type.apiVersion });
    } catch (error) {
      // ManifestError: a field the rules read is malformed. Anything else (a RangeError from a value nested too
      // deep, …) is as much about this one object, and deterministic: it is never retried.
      // A ManifestError's own field path and reason follow the object's name.
      const reason =
        error instanceof ManifestError
          ? [error.field, error.reason].filter((part) => part !== undefined).join(': ')
          : error instanceof Error
            ? `${error.name}: ${error.message}`
            : String(error);
      return unreadable(reason);
    }
    const podLabels = labels;
    recordOwnership(index.owners, item, projection, () => index.labelSets.intern(podLabels));
    if (projection.type === 'workload') into.workloads.push(withAuditedAnnotations(projection.workload));
    else if (projection.type === 'skipped')
      into.skipped.set(projection.key, (into.skipped.get(projection.key) ?? 0) + 1);
    else into.warnings.push(projection.warning);
  }

  /**
   * Follows `continue` to the end. Each page is read as it arrives and each item parsed on its own, without
   * the values no rule reads (ListItemCutter), and projected into a result of the page's own, added to `into`
   * once the page is complete: a page retried after a dropped connection is not counted twice.
   */
  private async listPaged(
    type: ResourceType,
    namespace: string | undefined,
    options: ReadOptions,
    counters: Counters,
    into: KindResult,
    pages: { n: number },
    index: Owners,
  ): Promise<void> {
    const resource = resourceName(type);
    const path = listPath(type.apiVersion, type.plural, namespace);
    const limit = this.settings.pageSize;
    const maxItems = maxItemsPerPage(limit);
    // Digests of the tokens this list was given (a token may be long): one seen again would loop for ever.
    const seen = new Map<string, number>();
    let token: string | undefined;
    do {
      if (pages.n >= this.maxPages) {
        throw new ClusterReadError(
          resource,
          `more than ${this.maxPages} pages (limit=${limit}, at most ${this.maxObjects} objects per kind); ` +
            'the server keeps sending continue tokens',
          200,
        );
      }
      pages.n++;
      let page: { result: KindResult; list: ListPage } | undefined;
      const response = await this.api.get(
        path,
        { limit: String(limit), continue: token },
        { resource, signal: options.signal, onRequest: options.onRequest },
        async (chunks) => {
          const result = emptyResult();
          let items = 0;
          const list = await readList(
            resource,
            chunks,
            { kind: isContextKind(type.kind) ? undefined : type.kind, maxItemBytes: this.maxItemBytes },
            (item) => {
              if (++items > maxItems) {
                throw new ClusterReadError(
                  resource,
                  `a page holds more than ${maxItems} items for limit=${limit}; the server does not honour limit`,
                  200,
                );
              }
              this.project(type, item, result, index);
            },
          );
          page = { result, list };
        },
      );
      counters.requests++;
      counters.bytes += response.bytes;
      if (response.status === 410 && token !== undefined) throw new ContinueExpired();
      if (response.status !== 200 || !page) throw statusError(resource, response);
      addResult(into, page.result);
      token = page.list.metadata?.continue || undefined;
      if (token !== undefined) {
        const digest = createHash('sha256').update(token).digest('base64');
        const first = seen.get(digest);
        if (first !== undefined) {
          throw new ClusterReadError(
            resource,
            `the server sent the same continue token again (page ${pages.n} repeats the token of page ${first}); ` +
              'the list would never end',
            200,
          );
        }
        seen.set(digest, pages.n);
      }
    } while (token !== undefined);
  }

  private async readMetrics(
    options: ReadOptions,
    counters: Counters,
    ctx: { owners: OwnerIndex; labelSets: LabelSets; workloads: readonly Workload[] },
  ): Promise<{ samples: UsageSample[]; peaks?: UsagePeaks }> {
    const samples: UsageSample[] = [];
    const attribution = options.usage === 'peaks' ? new UsageAttribution(ctx.workloads, ctx.owners) : undefined;
    const peaks = attribution ? new UsagePeaks(ctx.workloads, attribution) : undefined;
    for (const namespace of options.namespaces ?? [undefined]) {
      // metrics-server ignores limit/continue: one request per list, as large as the cluster (about 0.6 KB a
      // Pod). It is read as it arrives and parsed one item at a time, never held whole; with `usage: 'peaks'`
      // each sample is reduced into the workloads' peaks and dropped.
      let listed: UsageSample[] = [];
      let attempt: UsagePeaks | undefined; // this list's peaks, kept once it was read to the end
      const response = await this.api.get(
        listPath(METRICS.apiVersion, 'pods', namespace),
        {},
        { resource: METRICS.resource, signal: options.signal, onRequest: options.onRequest },
        async (chunks) => {
          // a retried request starts again from nothing
          listed = [];
          attempt = attribution ? new UsagePeaks(ctx.workloads, attribution) : undefined;
          let items = 0;
          await readList(METRICS.resource, chunks, { maxItemBytes: this.maxItemBytes }, (item) => {
            if (++items > this.maxObjects) {
              throw new ClusterReadError(
                METRICS.resource,
                `the list holds more than ${this.maxObjects} PodMetrics, the most objects one kind may have`,
                200,
              );
            }
            const sample = toSample(item, ctx.labelSets, ctx.owners);
            if (!sample || (options.acceptSample && !options.acceptSample(sample))) return;
            if (attempt) attempt.add(sample);
            else listed.push(sample);
          });
        },
      );
      counters.requests++;
      counters.bytes += response.bytes;
      if (response.status === 404 || response.status === 503) {
        throw new ClusterReadError(
          METRICS.resource,
          `metrics API unavailable (HTTP ${response.status}); is metrics-server installed?`,
          response.status,
        );
      }
      if (response.status !== 200) throw statusError(METRICS.resource, response);
      for (const sample of listed) samples.push(sample);
      if (attempt) peaks!.absorb(attempt);
    }
    return { samples, peaks };
  }
}

class ContinueExpired extends Error {}

/** What the lists leave for the PodMetrics that follow: the owner index, and the label sets it shares. */
interface Owners {
  owners: OwnerIndex;
  labelSets: LabelSets;
}

/**
 * One object per distinct label set: the Pods of a workload carry the same labels, so 60,000 samples share a
 * few thousand objects instead of holding one each. The API server sorts map keys, so equal sets serialise
 * equally. Shared objects are never changed (a sample's labels are replaced, not edited).
 */
class LabelSets {
  private readonly root = new LabelNode();

  /**
   * `labels` must be a map of strings (see `stringMap`). Found by walking a tree of its pairs in order (two map
   * lookups per label), so no key text is built per Pod.
   */
  intern(labels: Record<string, string>): Record<string, string> {
    let node = this.root;
    for (const name in labels) node = node.child(name, labels[name]);
    node.set ??= labels;
    return node.set;
  }
}

/** The label sets that start with the same pairs; `set` is the one that ends here. */
class LabelNode {
  set: Record<string, string> | undefined;
  private next: Map<string, Map<string, LabelNode>> | undefined;

  child(name: string, value: string): LabelNode {
    this.next ??= new Map();
    let values = this.next.get(name);
    if (values === undefined) this.next.set(name, (values = new Map()));
    let node = values.get(value);
    if (node === undefined) values.set(value, (node = new LabelNode()));
    return node;
  }
}

/** One PodMetrics item as a usage sample; undefined (one lost sample, not the scan's usage) when malformed. */
function toSample(item: Record<string, unknown>, labelSets: LabelSets, owners: OwnerIndex): UsageSample | undefined {
  try {
    const sample = toUsageSample(item, {
      defaultNamespace: 'default',
      kind: 'PodMetrics',
      apiVersion: METRICS.apiVersion,
    });
    // The Pod's labels when the Pod was listed (metrics-server copies them; the Pod's are already one shared set),
    // else the sample's own, shared with equal sets.
    const podLabels = owners.pod(sample.namespace, sample.pod)?.labels;
    if (podLabels !== undefined) sample.labels = podLabels;
    else if (Object.keys(sample.labels).length > 0) sample.labels = labelSets.intern(sample.labels);
    return sample;
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    return undefined;
  }
}

/** Labels as a map of strings; `{}` when absent; null when they are anything else (a hostile server's). */
function stringMap(value: unknown): Record<string, string> | null {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) return null;
  for (const key in value) if (typeof value[key] !== 'string') return null;
  return value as Record<string, string>;
}

function resourceName(type: ResourceType): string {
  return type.group ? `${type.group}/${type.plural}` : type.plural;
}

type Counters = { requests: number; bytes: number };

function listPath(apiVersion: string, plural: string, namespace?: string): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${plural}` : `${base}/${plural}`;
}

/**
 * Reads a 200 list body chunk by chunk, parsing and handing over each item as it completes; resolves with the
 * list's own fields. A body that is not a JSON list fails with a ClusterReadError (not retried).
 */
async function readList(
  resource: string,
  chunks: AsyncIterable<Uint8Array>,
  options: CutOptions,
  onItem: (item: Record<string, unknown>) => void,
): Promise<ListPage> {
  const cutter = new ListItemCutter(options);
  let bytes = 0;
  let list: unknown;
  try {
    for await (const chunk of chunks) {
      bytes += chunk.byteLength;
      cutter.push(chunk, (json) => onItem(JSON.parse(json) as Record<string, unknown>));
    }
    list = JSON.parse(cutter.end());
  } catch (error) {
    if (error instanceof ListSizeError) throw new ClusterReadError(resource, `${error.message}; not read further`, 200);
    if (!(error instanceof ListTextError) && !(error instanceof SyntaxError)) throw error;
    throw new ClusterReadError(resource, `malformed JSON in the list response (${error.message}; ${bytes} bytes)`, 200);
  }
  if (!isRecord(list) || (list.items !== undefined && list.items !== null && !Array.isArray(list.items))) {
    throw new ClusterReadError(resource, 'the response is not a list (no items array)', 200);
  }
  return list as ListPage;
}

function emptyResult(): KindResult {
  return { workloads: [], limitRanges: [], hpas: [], skipped: new Map(), warnings: [] };
}

function isContextKind(kind: string): kind is ContextKind {
  return kind === 'LimitRange' || kind === 'HorizontalPodAutoscaler';
}

function addResult(into: KindResult, page: KindResult): void {
  for (const workload of page.workloads) into.workloads.push(workload);
  for (const limitRange of page.limitRanges) into.limitRanges.push(limitRange);
  for (const hpa of page.hpas) into.hpas.push(hpa);
  for (const [key, n] of page.skipped) into.skipped.set(key, (into.skipped.get(key) ?? 0) + n);
  for (const warning of page.warnings) into.warnings.push(warning);
}

function statusError(resource: string, response: ApiResponse): ClusterReadError {
  const cut = response.truncated ? ` (only the first ${MAX_UNCONSUMED_BODY_BYTES} bytes of the body were read)` : '';
  return new ClusterReadError(
    resource,
    describeStatus(resource, response.status, response.text) + cut,
    response.status,
  );
}

/** The `message` of a Kubernetes Status body, and what to do about a 401/403. */
function describeStatus(resource: string, status: number, text: string): string {
  let message = text.slice(0, 300);
  try {
    const parsed = JSON.parse(text) as { kind?: string; message?: string; reason?: string };
    if (parsed.kind === 'Status' && parsed.message) message = `${parsed.reason ?? 'Failure'}: ${parsed.message}`;
  } catch {
    // A plain-text body (e.g. from a proxy) is shown as it is; of a Status cut short (only its start is read),
    // the start of its message.
    const start = /^\{"kind":"Status".*?"message":"((?:[^"\\]|\\.){0,300})/s.exec(text);
    if (start) message = `Status: ${start[1]}…`;
  }
  const [group, plural] = resource.includes('/') ? resource.split('/') : ['', resource];
  const hint =
    status === 403
      ? `; the ClusterRole needs: apiGroups ["${group}"], resources ["${plural}"], verbs ["get", "list", "watch"]`
      : status === 401
        ? '; the credentials were rejected (expired token or wrong kubeconfig user?)'
        : '';
  return `HTTP ${status} ${message}${hint}`;
}

/**
 * Keeps only the annotations the audit reads (exemptions): the others would be held until the scan ends, and
 * kubectl's `last-applied-configuration` alone is a copy of the whole object. The workload is the reader's own.
 */
function withAuditedAnnotations(workload: Workload): Workload {
  const keep = (annotations: Record<string, string>) => {
    const out: Record<string, string> = {};
    for (const key in annotations) if (isExemptionAnnotation(key)) out[key] = annotations[key];
    return out;
  };
  workload.annotations = keep(workload.annotations);
  workload.templateAnnotations = keep(workload.templateAnnotations);
  return workload;
}

function toFailure(type: ResourceType, error: unknown): KindReadFailure {
  const resource = resourceName(type);
  const kind = type.kind as WorkloadKind; // a context kind's failure becomes a warning (read)
  if (error instanceof ClusterReadError) {
    return {
      kind,
      resource,
      ...(error.code !== undefined ? { code: error.code } : {}),
      reason: error.reason,
    };
  }
  return { kind, resource, reason: error instanceof Error ? error.message : String(error) };
}
