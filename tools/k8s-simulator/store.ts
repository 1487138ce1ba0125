import { randomUUID } from 'node:crypto';
import { groupResource, METRICS_GROUP, resourceForType, type ApiResource } from './resources';

/** An object the store cannot hold: no kind, apiVersion or name. */
export class InvalidObjectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidObjectError';
  }
}

/**
 * One stored object, immutable once stored (a change stores a new entry), so list snapshots can share it.
 * The JSON is the source of truth; the object is parsed from it on first use and cached, so a large
 * store that is only listed holds strings, not object graphs.
 */
export class StoredObject {
  private parsed: Readonly<Record<string, unknown>> | undefined;
  private bytes: number | undefined;

  constructor(
    /** etcd key order: `namespace/name` for namespaced objects, `name` for cluster-scoped ones. */
    readonly key: string,
    readonly namespace: string | undefined,
    readonly name: string,
    readonly apiVersion: string,
    readonly kind: string,
    readonly labels: Readonly<Record<string, string>>,
    /**
     * The object serialized as a list item: the API server omits kind and apiVersion on list items.
     * Cached so a page of a large list is a string join, not a re-serialization.
     */
    readonly itemJson: string,
    /** The serving resource, or undefined for a kind the simulator does not serve (kept, never listed). */
    readonly resource: ApiResource | undefined,
    readonly uid: string,
    readonly creationTimestamp: string,
    readonly resourceVersion: string = '',
  ) {}

  /** UTF-8 length of itemJson, for Content-Length. */
  get itemBytes(): number {
    return (this.bytes ??= Buffer.byteLength(this.itemJson));
  }

  /** The object with kind and apiVersion, shared and cached: not to be mutated. */
  get object(): Readonly<Record<string, unknown>> {
    return (this.parsed ??= this.copy());
  }

  /** A fresh deep copy of the object, with kind and apiVersion. */
  copy(): Record<string, unknown> {
    return { apiVersion: this.apiVersion, kind: this.kind, ...(JSON.parse(this.itemJson) as Record<string, unknown>) };
  }
}

/** Entries of one resource in key order; the sorted array is rebuilt lazily and never mutated after. */
class Table {
  private readonly byKey = new Map<string, StoredObject>();
  private sorted: readonly StoredObject[] | undefined = [];

  get(key: string): StoredObject | undefined {
    return this.byKey.get(key);
  }

  set(entry: StoredObject): void {
    this.byKey.set(entry.key, entry);
    this.sorted = undefined;
  }

  delete(key: string): boolean {
    const deleted = this.byKey.delete(key);
    if (deleted) this.sorted = undefined;
    return deleted;
  }

  /** A frozen, key-ordered view; the same array until the next change, so holding it is a snapshot. */
  entries(): readonly StoredObject[] {
    if (!this.sorted) {
      const list = [...this.byKey.values()];
      list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      this.sorted = Object.freeze(list);
    }
    return this.sorted;
  }
}

const NAMESPACE_LABEL = 'kubernetes.io/metadata.name';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change, as a watch reports it: for DELETED, `entry` is the last state (its resourceVersion the deletion's). */
export interface Change {
  type: ChangeType;
  /** The cluster resourceVersion the change made. */
  rv: number;
  /** `groupResource` of the table (watchers of a resource pick theirs). */
  table: string;
  entry: StoredObject;
}

/** Changes kept for watches that resume from a resourceVersion; older ones answer 410 Expired. */
const DEFAULT_HISTORY = 10_000;

/** RFC 3339 without fractional seconds, as the API server writes metadata timestamps. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringMap(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

/**
 * The simulator's etcd: objects by resource and key, a cluster-wide resourceVersion bumped by every
 * change, and server-owned metadata (uid, resourceVersion, creationTimestamp) filled in on write.
 */
export class ObjectStore {
  private rv = 0;
  private readonly tables = new Map<string, Table>();
  private history: Change[] = [];
  /** The highest resourceVersion whose change was dropped from `history` (0: none dropped). */
  private droppedRv = 0;
  private readonly listeners = new Set<(change: Change) => void>();

  constructor(
    private readonly now: () => number,
    private readonly newUid: () => string = randomUUID,
    private readonly historySize = DEFAULT_HISTORY,
  ) {}

  /** Calls `listener` with every change from now on; returns the function that stops it. */
  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The changes after resourceVersion `rv`, oldest first; undefined when some of them are no longer kept
   * (the watch must answer 410 Expired, as etcd after a compaction).
   */
  changesSince(rv: number): readonly Change[] | undefined {
    if (rv < this.droppedRv) return undefined;
    const first = this.history.findIndex((c) => c.rv > rv);
    return first < 0 ? [] : this.history.slice(first);
  }

  /** The oldest resourceVersion a watch can still resume from. */
  get oldestWatchableRv(): number {
    return this.droppedRv;
  }

  private emit(change: Change): void {
    this.history.push(change);
    if (this.history.length > this.historySize * 2) {
      const cut = this.history.length - this.historySize;
      this.droppedRv = this.history[cut - 1].rv;
      this.history = this.history.slice(cut);
    }
    for (const listener of this.listeners) listener(change);
  }

  /** The cluster resourceVersion: the number of changes so far. */
  get resourceVersion(): number {
    return this.rv;
  }

  /**
   * Creates or replaces an object. A namespaced object without a namespace goes to `default`, and its
   * Namespace is created when missing (the API server refuses objects in an absent namespace).
   * resourceVersion is always assigned (it is server-owned); uid and creationTimestamp are kept from the
   * object, else from the version it replaces, else generated.
   */
  upsert(input: Record<string, unknown>): StoredObject {
    if (!isRecord(input)) throw new InvalidObjectError('object is not a mapping');
    const { apiVersion, kind } = input;
    if (typeof apiVersion !== 'string' || apiVersion === '') throw new InvalidObjectError('object has no apiVersion');
    if (typeof kind !== 'string' || kind === '') throw new InvalidObjectError('object has no kind');
    const meta = isRecord(input.metadata) ? input.metadata : {};
    const name = meta.name;
    if (typeof name !== 'string' || name === '') throw new InvalidObjectError(`${kind} has no metadata.name`);

    const resource = resourceForType(apiVersion, kind);
    let namespace: string | undefined;
    if (resource) namespace = resource.namespaced ? (nonEmpty(meta.namespace) ?? 'default') : undefined;
    else namespace = nonEmpty(meta.namespace);

    if (namespace !== undefined && resource && resource.group !== METRICS_GROUP) this.ensureNamespace(namespace);

    const table = this.table(tableIdOf(apiVersion, kind, resource));
    const key = namespace === undefined ? name : `${namespace}/${name}`;
    const previous = table.get(key);

    const otherMeta = omit(meta, ['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp']);
    const labels = stringMap(otherMeta.labels);
    if (kind === 'Namespace' && apiVersion === 'v1' && labels[NAMESPACE_LABEL] === undefined) {
      // The API server labels every Namespace with its own name.
      labels[NAMESPACE_LABEL] = name;
      otherMeta.labels = { ...(isRecord(otherMeta.labels) ? otherMeta.labels : {}), [NAMESPACE_LABEL]: name };
    }
    const created = meta.creationTimestamp;
    const uid = nonEmpty(meta.uid) ?? previous?.uid ?? this.newUid();
    const creationTimestamp =
      created instanceof Date
        ? formatTimestamp(created.getTime())
        : (nonEmpty(created) ?? previous?.creationTimestamp ?? formatTimestamp(this.now()));
    this.rv++;
    const metadata: Record<string, unknown> = {
      name,
      ...(namespace !== undefined ? { namespace } : {}),
      uid,
      resourceVersion: String(this.rv),
      creationTimestamp,
      ...otherMeta,
    };
    // Serializing is also the deep copy: the stored object shares nothing with the caller's.
    const itemJson = JSON.stringify({ metadata, ...omit(input, ['apiVersion', 'kind', 'metadata']) });
    const entry = new StoredObject(
      key,
      namespace,
      name,
      apiVersion,
      kind,
      labels,
      itemJson,
      resource,
      uid,
      creationTimestamp,
      String(this.rv),
    );
    const tableId = tableIdOf(apiVersion, kind, resource);
    table.set(entry);
    this.emit({ type: previous ? 'MODIFIED' : 'ADDED', rv: this.rv, table: tableId, entry });
    return entry;
  }

  /** Deletes an object; true when it existed (and the resourceVersion moved). */
  remove(apiVersion: string, kind: string, namespace: string | undefined, name: string): boolean {
    const resource = resourceForType(apiVersion, kind);
    const ns = resource && !resource.namespaced ? undefined : namespace || (resource ? 'default' : undefined);
    const tableId = tableIdOf(apiVersion, kind, resource);
    const table = this.tables.get(tableId);
    const key = ns === undefined ? name : `${ns}/${name}`;
    const last = table?.get(key);
    if (!table || !last || !table.delete(key)) return false;
    this.rv++;
    this.emit({ type: 'DELETED', rv: this.rv, table: tableId, entry: withResourceVersion(last, this.rv) });
    return true;
  }

  /** The key-ordered entries of a served resource; an immutable array, safe to keep as a snapshot. */
  list(resource: ApiResource): readonly StoredObject[] {
    return this.tables.get(groupResource(resource))?.entries() ?? [];
  }

  get(resource: ApiResource, namespace: string | undefined, name: string): StoredObject | undefined {
    return this.tables.get(groupResource(resource))?.get(namespace === undefined ? name : `${namespace}/${name}`);
  }

  /** Every stored entry, grouped by resource (in first-write order) and key-ordered within. */
  all(): StoredObject[] {
    return [...this.tables.values()].flatMap((t) => t.entries());
  }

  private table(id: string): Table {
    let table = this.tables.get(id);
    if (!table) {
      table = new Table();
      this.tables.set(id, table);
    }
    return table;
  }

  private ensureNamespace(namespace: string): void {
    if (this.tables.get('namespaces')?.get(namespace)) return;
    this.upsert({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  }
}

/** The entry as a DELETED event shows it: its last state, with the deletion's resourceVersion. */
function withResourceVersion(entry: StoredObject, rv: number): StoredObject {
  const item = JSON.parse(entry.itemJson) as { metadata: Record<string, unknown> };
  item.metadata.resourceVersion = String(rv);
  return new StoredObject(
    entry.key,
    entry.namespace,
    entry.name,
    entry.apiVersion,
    entry.kind,
    entry.labels,
    JSON.stringify(item),
    entry.resource,
    entry.uid,
    entry.creationTimestamp,
    String(rv),
  );
}

function omit(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!keys.includes(k)) out[k] = v;
  return out;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Served kinds share a table per resource; other kinds are kept per apiVersion and kind. */
function tableIdOf(apiVersion: string, kind: string, resource: ApiResource | undefined): string {
  return resource ? groupResource(resource) : `${apiVersion}, Kind=${kind}`;
}
