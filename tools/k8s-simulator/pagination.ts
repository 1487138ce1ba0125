import type { StoredObject } from './store';

/** A continue token the API server would reject with 400 BadRequest. */
export class ContinueTokenError extends Error {
  constructor(reason: string) {
    super(`continue key is not valid: ${reason}`);
    this.name = 'ContinueTokenError';
  }
}

/** What a continue token carries: the list's resourceVersion snapshot and the key to resume at. */
export interface ContinueKey {
  rv: number;
  /** Relative to the list's key prefix (`namespace/` for a namespaced list), ending in NUL. */
  start: string;
}

const TOKEN_VERSION = 'meta.k8s.io/v1';

/** The API server's token format (apiserver storage/etcd3): base64url JSON `{"v","rv","start"}`. */
export function encodeContinue(key: ContinueKey): string {
  return Buffer.from(JSON.stringify({ v: TOKEN_VERSION, rv: key.rv, start: key.start })).toString('base64url');
}

export function decodeContinue(token: string): ContinueKey {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(token)) throw new ContinueTokenError('illegal base64 data');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (err) {
    throw new ContinueTokenError(err instanceof Error ? err.message : String(err));
  }
  const { v, rv, start } = (parsed ?? {}) as Record<string, unknown>;
  if (v !== TOKEN_VERSION) throw new ContinueTokenError('server does not recognize this encoded key');
  if (typeof rv !== 'number' || !Number.isInteger(rv) || rv <= 0) {
    throw new ContinueTokenError(`incorrect encoded start resourceVersion (version ${TOKEN_VERSION})`);
  }
  if (typeof start !== 'string' || start === '') throw new ContinueTokenError('encoded start key empty');
  if (start.startsWith('/') || start.includes('..')) throw new ContinueTokenError('path traversal attempt detected');
  return { rv, start };
}

export interface PageRequest {
  /** The key-ordered snapshot the list reads from. */
  entries: readonly StoredObject[];
  /** Restricts to keys under `namespace/`; also the prefix continue keys are relative to. */
  namespace?: string;
  /** Resume at this key (relative to the prefix), from a continue token. */
  start?: string;
  /** Positive page size; undefined reads to the end. */
  limit?: number;
  filter?: (entry: StoredObject) => boolean;
}

export interface Page {
  items: StoredObject[];
  /** Set while keys remain after the last one examined: the next page's start. */
  next?: string;
  /** Keys left after this page (before filtering), for `remainingItemCount`. */
  remaining: number;
}

/**
 * Reads one page the way the API server's etcd3 store does: keys in order from `start`, a filtered
 * item counts towards `limit`, and more remain when any key follows the last one examined — even if
 * none of them will match (so a filtered list can end with an empty page, as on a real server).
 */
export function readPage(req: PageRequest): Page {
  const prefix = req.namespace === undefined ? '' : `${req.namespace}/`;
  const { entries } = req;
  // The code point after '/' ends the namespace's range.
  const end = prefix === '' ? entries.length : lowerBound(entries, `${req.namespace}0`);
  let i = lowerBound(entries, prefix + (req.start ?? ''));
  const items: StoredObject[] = [];
  let lastKey: string | undefined;
  for (; i < end; i++) {
    if (req.limit !== undefined && items.length >= req.limit) break;
    const entry = entries[i];
    lastKey = entry.key;
    if (!req.filter || req.filter(entry)) items.push(entry);
  }
  const remaining = end - i;
  const page: Page = { items, remaining };
  if (remaining > 0 && lastKey !== undefined) page.next = `${lastKey.slice(prefix.length)}\u0000`;
  return page;
}

/** Index of the first entry whose key is ≥ key (code-point order, which is etcd's byte order for ASCII keys). */
function lowerBound(entries: readonly StoredObject[], key: string): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid].key < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface Snapshot {
  entries: readonly StoredObject[];
  createdMs: number;
}

/**
 * The list snapshots continue tokens point at, kept per resource and resourceVersion — the simulator's
 * stand-in for etcd's MVCC history. A snapshot older than the TTL is "compacted": its tokens answer 410.
 */
export class SnapshotRegistry {
  private readonly snapshots = new Map<string, Snapshot>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    /** Beyond this many, the oldest are dropped (their tokens expire early, as after a compaction). */
    private readonly max = 512,
  ) {}

  /**
   * Keeps the snapshot a paginated list read from. Listing again at the same resourceVersion restarts its
   * clock, so every token lives at least the TTL from when it was handed out.
   */
  remember(resource: string, rv: number, entries: readonly StoredObject[]): void {
    this.sweep();
    const id = `${resource}@${rv}`;
    const kept = this.snapshots.get(id);
    // Re-inserting keeps the map in creation order, which sweep() relies on.
    this.snapshots.delete(id);
    this.snapshots.set(id, { entries: kept?.entries ?? entries, createdMs: this.now() });
    while (this.snapshots.size > this.max) {
      const oldest = this.snapshots.keys().next().value as string;
      this.snapshots.delete(oldest);
    }
  }

  /** The snapshot at this resourceVersion, or undefined when it never existed or has expired. */
  find(resource: string, rv: number): readonly StoredObject[] | undefined {
    this.sweep();
    return this.snapshots.get(`${resource}@${rv}`)?.entries;
  }

  clear(): void {
    this.snapshots.clear();
  }

  private sweep(): void {
    const cutoff = this.now() - this.ttlMs;
    // Insertion order is creation order, so the expired ones are at the front.
    for (const [id, snapshot] of this.snapshots) {
      if (snapshot.createdMs > cutoff) break;
      this.snapshots.delete(id);
    }
  }
}
