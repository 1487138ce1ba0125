import { matchesSelector } from '../manifests/selector';
import { ownershipOf, type ControllerRef, type Ownership } from '../manifests/owner-references';
import type { WorkloadProjection } from '../manifests/workload-extractor';
import type { UsageSample } from '../usage';
import type { Workload } from '../workload';
import { oomKillsOf, type OomKill } from './failure-history';

/** What the index keeps of a Pod: its controller and its labels (for the selector fallback). */
interface PodRecord {
  controller: ControllerRef | undefined;
  labels: Record<string, string>;
  /** The OOM kills in the Pod's container statuses; absent (most Pods) when there are none. */
  oomKills?: OomKill[];
}

/** What the index keeps of any other object read (a workload, an owned ReplicaSet or Job). */
interface ObjectRecord {
  kind: string;
  name: string;
  controller: ControllerRef | undefined;
}

const NONE: readonly Workload[] = Object.freeze([]);

/**
 * The Pods and owner objects of one read (a cluster's lists, or manifest files), indexed for attribution:
 * Pods by namespace and name, other objects by uid and by kind, namespace and name. Filled as the objects are
 * read; each Pod costs a map entry and a small record (labels and controller references are shared when the
 * caller passes shared objects, as the cluster reader does).
 */
export class OwnerIndex {
  private readonly pods = new Map<string, Map<string, PodRecord>>();
  private readonly byUid = new Map<string, ObjectRecord>();
  private readonly byName = new Map<string, Map<string, Map<string, ObjectRecord>>>();
  /** One ControllerRef object per owner, so the Pods of a ReplicaSet share one (and attribution memoises on it). */
  private readonly refs = new Map<string, ControllerRef>();
  private podCount = 0;

  /** Pods added. */
  get size(): number {
    return this.podCount;
  }

  addPod(
    namespace: string,
    name: string,
    ownership: Ownership,
    labels: Record<string, string>,
    oomKills?: OomKill[],
  ): void {
    let names = this.pods.get(namespace);
    if (!names) this.pods.set(namespace, (names = new Map()));
    if (!names.has(name)) this.podCount++;
    const record: PodRecord = { controller: this.ref(namespace, ownership.controller), labels };
    if (oomKills) record.oomKills = oomKills;
    names.set(name, record);
  }

  /** The Pods whose status records an OOM kill, with their labels. */
  *podsWithOomKills(): IterableIterator<{
    namespace: string;
    name: string;
    labels: Record<string, string>;
    oomKills: readonly OomKill[];
  }> {
    for (const [namespace, names] of this.pods) {
      for (const [name, record] of names) {
        if (record.oomKills) yield { namespace, name, labels: record.labels, oomKills: record.oomKills };
      }
    }
  }

  /** Any object other than a Pod that a chain may pass through or end at: workloads, owned ReplicaSets and Jobs. */
  addObject(kind: string, namespace: string, name: string, ownership: Ownership): void {
    const record: ObjectRecord = { kind, name, controller: this.ref(namespace, ownership.controller) };
    if (ownership.uid !== undefined) this.byUid.set(ownership.uid, record);
    let kinds = this.byName.get(namespace);
    if (!kinds) this.byName.set(namespace, (kinds = new Map()));
    let names = kinds.get(kind);
    if (!names) kinds.set(kind, (names = new Map()));
    names.set(name, record);
  }

  pod(namespace: string, name: string): PodRecord | undefined {
    return this.pods.get(namespace)?.get(name);
  }

  /** Every Pod added, with its labels (the live Pods a Prometheus read attributes series through). */
  *podList(): IterableIterator<{ namespace: string; name: string; labels: Readonly<Record<string, string>> }> {
    for (const [namespace, names] of this.pods) {
      for (const [name, record] of names) yield { namespace, name, labels: record.labels };
    }
  }

  /** The object a reference points at: by uid when it has one that was read, else by kind and name. */
  object(namespace: string, ref: ControllerRef): ObjectRecord | undefined {
    const byUid = ref.uid === undefined ? undefined : this.byUid.get(ref.uid);
    return byUid ?? this.byName.get(namespace)?.get(ref.kind)?.get(ref.name);
  }

  private ref(namespace: string, ref: ControllerRef | undefined): ControllerRef | undefined {
    if (!ref) return undefined;
    // NUL occurs in no namespace, kind, name or uid: the key is unambiguous.
    const key = `${namespace}\u0000${ref.kind}\u0000${ref.name}\u0000${ref.uid ?? ''}`;
    const known = this.refs.get(key);
    if (known) return known;
    this.refs.set(key, ref);
    return ref;
  }
}

/** Chains longer than this are not followed (a cycle of references, which the API server does not prevent). */
const MAX_CHAIN = 8;

/**
 * Which workloads a PodMetrics sample belongs to. The one way usage is attributed, in `opsagent scan` and the
 * service alike:
 * 1. the Pod of the same name, and its controller chain (`ownerReferences` with `controller: true`): Pod →
 *    ReplicaSet → Deployment, Pod → Job → CronJob, Pod → StatefulSet, DaemonSet or ReplicationController. The
 *    first audited workload on the chain owns the sample, and only it; a Pod without a controller is its own
 *    workload (a bare Pod).
 * 2. where no chain is known (no Pod read for the sample, or an owner on the chain that was not read), the
 *    workloads of the namespace whose label selector matches the Pod's labels, or the bare Pod of that name.
 *
 * Each sample costs O(1): a map lookup for the Pod and one resolution per distinct controller reference
 * (memoised); the selector fallback looks only at the workloads indexed under one of the Pod's labels, once
 * per distinct label set.
 */
export class UsageAttribution {
  private readonly workloads = new Map<string, Map<string, Map<string, Workload>>>();
  private readonly resolved = new Map<ControllerRef, readonly Workload[]>();
  /** Built at the first sample no controller chain attributes (most scans have none). */
  private selectors: SelectorIndex | undefined;
  private readonly singletons = new Map<Workload, readonly Workload[]>();

  constructor(
    private readonly list: readonly Workload[],
    private readonly owners: OwnerIndex = new OwnerIndex(),
  ) {
    for (const w of list) {
      let kinds = this.workloads.get(w.namespace);
      if (!kinds) this.workloads.set(w.namespace, (kinds = new Map()));
      let names = kinds.get(w.kind);
      if (!names) kinds.set(w.kind, (names = new Map()));
      names.set(w.name, w);
    }
  }

  /** The workloads the sample's usage counts for; empty when none (the sample is then not used). */
  workloadsOf(sample: Pick<UsageSample, 'namespace' | 'pod' | 'labels'>): readonly Workload[] {
    const { namespace } = sample;
    const pod = this.owners.pod(namespace, sample.pod);
    if (pod) {
      if (pod.controller === undefined) {
        const bare = this.workload(namespace, 'Pod', sample.pod);
        if (bare) return this.single(bare);
      } else {
        const chain = this.resolve(namespace, pod.controller);
        if (chain.length > 0) return chain;
      }
    } else {
      const bare = this.workload(namespace, 'Pod', sample.pod);
      if (bare) return this.single(bare);
    }
    // No chain known: the labels PodMetrics carry (metrics-server copies the Pod's), else the Pod's own.
    const labels = pod && isEmpty(sample.labels) ? pod.labels : sample.labels;
    this.selectors ??= new SelectorIndex(this.list);
    return this.selectors.match(namespace, labels);
  }

  /**
   * The Pods read per workload they belong to, attributed as samples are (the controller chain, labels where no
   * chain is known), for the workloads of `kinds`. A DaemonSet's spec has no Pod count: this is its count.
   */
  observedPods(kinds: ReadonlySet<string> = new Set(['DaemonSet'])): Map<Workload, number> {
    const counts = new Map<Workload, number>();
    for (const pod of this.owners.podList()) {
      for (const w of this.workloadsOf({ namespace: pod.namespace, pod: pod.name, labels: pod.labels })) {
        if (kinds.has(w.kind)) counts.set(w, (counts.get(w) ?? 0) + 1);
      }
    }
    return counts;
  }

  private resolve(namespace: string, start: ControllerRef): readonly Workload[] {
    const known = this.resolved.get(start);
    if (known) return known;
    let result: readonly Workload[] = NONE;
    let ref: ControllerRef | undefined = start;
    for (let depth = 0; ref && depth < MAX_CHAIN; depth++) {
      const object = this.owners.object(namespace, ref);
      const workload = this.workload(namespace, object?.kind ?? ref.kind, object?.name ?? ref.name);
      if (workload) {
        result = this.single(workload);
        break;
      }
      ref = object?.controller; // an owner not read, or one without a controller, ends the chain unresolved
    }
    this.resolved.set(start, result);
    return result;
  }

  private workload(namespace: string, kind: string, name: string): Workload | undefined {
    return this.workloads.get(namespace)?.get(kind)?.get(name);
  }

  private single(workload: Workload): readonly Workload[] {
    let list = this.singletons.get(workload);
    if (!list) this.singletons.set(workload, (list = Object.freeze([workload])));
    return list;
  }
}

function isEmpty(labels: Record<string, string>): boolean {
  for (const key in labels) if (Object.hasOwn(labels, key)) return false;
  return true;
}

/**
 * The workloads of each namespace by one `matchLabels` pair of their selector, the pair fewest workloads share,
 * so a Pod's labels lead straight to the few workloads that can match them. Workloads with only
 * `matchExpressions` are tried for every Pod of their namespace. Results are memoised per label-set object.
 */
class SelectorIndex {
  private readonly byPair = new Map<string, Map<string, Map<string, Workload[]>>>();
  private readonly unindexed = new Map<string, Workload[]>();
  private readonly memo = new Map<string, Map<Record<string, string>, readonly Workload[]>>();

  constructor(workloads: readonly Workload[]) {
    const pairCount = new Map<string, number>();
    const pairKey = (ns: string, k: string, v: string) => `${ns}\u0000${k}\u0000${v}`;
    for (const w of workloads) {
      const labels = w.selector?.matchLabels;
      for (const k in labels) {
        const key = pairKey(w.namespace, k, labels[k]);
        pairCount.set(key, (pairCount.get(key) ?? 0) + 1);
      }
    }
    for (const w of workloads) {
      if (w.kind === 'Pod' || !w.selector) continue; // a bare Pod is matched by name; no selector matches nothing
      let best: [string, string] | undefined;
      let fewest = Infinity;
      const labels = w.selector.matchLabels;
      for (const k in labels) {
        const n = pairCount.get(pairKey(w.namespace, k, labels[k]))!;
        if (n < fewest) [best, fewest] = [[k, labels[k]], n];
      }
      if (!best) {
        push(this.unindexed, w.namespace, w);
        continue;
      }
      let keys = this.byPair.get(w.namespace);
      if (!keys) this.byPair.set(w.namespace, (keys = new Map()));
      let values = keys.get(best[0]);
      if (!values) keys.set(best[0], (values = new Map()));
      push(values, best[1], w);
    }
  }

  match(namespace: string, labels: Record<string, string>): readonly Workload[] {
    let memo = this.memo.get(namespace);
    if (!memo) this.memo.set(namespace, (memo = new Map()));
    const known = memo.get(labels);
    if (known) return known;
    let found: Workload[] | undefined;
    const keys = this.byPair.get(namespace);
    if (keys) {
      for (const k in labels) {
        if (!Object.hasOwn(labels, k)) continue;
        for (const w of keys.get(k)?.get(labels[k]) ?? NONE) {
          if (matchesSelector(w.selector, labels)) (found ??= []).push(w);
        }
      }
    }
    for (const w of this.unindexed.get(namespace) ?? NONE) {
      if (matchesSelector(w.selector, labels)) (found ??= []).push(w);
    }
    const result = found ?? NONE;
    memo.set(labels, result);
    return result;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Records what attribution needs of one projected object: a workload (its uid, its controller if it has one),
 * a ReplicaSet or Job skipped because a controller owns it, and every Pod (with its labels, read only for Pods).
 * The CLI's extractor and the cluster reader both call this, so files and the cluster give the same index.
 */
export function recordOwnership(
  owners: OwnerIndex,
  object: Record<string, unknown>,
  projection: WorkloadProjection,
  podLabels: () => Record<string, string>,
): void {
  const target =
    projection.type === 'workload' ? projection.workload : projection.type === 'skipped' ? projection.owned : undefined;
  if (!target) return;
  const ownership = ownershipOf(object);
  if (target.kind === 'Pod')
    owners.addPod(target.namespace, target.name, ownership, podLabels(), oomKillsOf(target.name, object));
  else owners.addObject(target.kind, target.namespace, target.name, ownership);
}
