import { Injectable, Optional } from '@nestjs/common';
import { compareIssues } from '@opsagent/core/audit/audit';
import { CostConfig, OpsAgentConfig } from '@opsagent/core/config/config.schema';
import { summarizeWaste, type Prices, type WasteSummary } from '@opsagent/core/cost';
import type { Issue } from '@opsagent/core/issue';
import { SEVERITIES, isSeverity, severityRank, type Severity } from '@opsagent/core/severity';
import {
  InvalidContinueTokenError,
  type IssueFilter,
  type IssuePage,
  type ScanRecord,
  type StoredIssue,
} from './issue-store.types';

/** The sort key a `continue` token carries: paging resumes after it even if the set changed meanwhile. */
type SortKey = [severity: Severity, namespace: string, kind: string, name: string, container: string, rule: string];

/** Keys the store keeps an index for; a query starts from the smallest matching index. */
const INDEXED = ['namespace', 'kind', 'name', 'rule', 'severity'] as const;
type IndexedKey = (typeof INDEXED)[number];

interface Snapshot {
  /** Every issue, most severe first (compareIssues). */
  sorted: StoredIssue[];
  byId: Map<string, StoredIssue>;
  indexes: Record<IndexedKey, Map<string, StoredIssue[]>>;
  /** The over-provisioning waste of the set, made at the first summary after a replace. */
  waste?: WasteSummary;
}

export interface ReplaceResult {
  added: StoredIssue[];
  resolved: StoredIssue[];
  carriedOver: number;
}

/**
 * The current issue set, replaced atomically at the end of each scan, with indexes by the query keys and
 * the sorted order computed once per scan, so a REST query costs O(log n + page) for one filter key.
 */
@Injectable()
export class IssueStore {
  private snapshot: Snapshot = build([]);
  /** Each issue's JSON text, made the first time a page holds it and dropped with the issue (next scans). */
  private readonly jsonOf = new WeakMap<StoredIssue, string>();
  private latest?: ScanRecord;
  private running?: ScanRecord;
  /** First-seen times of the issues of before a restart (id → ISO time), until the first `replace` uses them. */
  private restored?: ReadonlyMap<string, string>;
  /** Prices of waste (config `cost`): the summary's money is in this currency. */
  private readonly prices: Prices;

  constructor(@Optional() config?: OpsAgentConfig) {
    this.prices = { ...(config?.cost ?? new CostConfig()) };
  }

  /**
   * The issues' identity saved before a restart: at the next `replace`, an issue found with one of these ids is
   * not new (it keeps its first-seen time and is not in `added`); ids not found again are forgotten.
   */
  restoreIdentity(firstSeen: ReadonlyMap<string, string>): void {
    this.restored = firstSeen;
  }

  /** Each current issue's id and first-seen time (what `restoreIdentity` takes after a restart). */
  identity(): Map<string, string> {
    const out = new Map<string, string>();
    for (const issue of this.snapshot.sorted) out.set(issue.id, issue.firstSeen);
    // Not yet used (no scan since the restart): keep them for the next process too.
    if (this.restored) for (const [id, seen] of this.restored) if (!out.has(id)) out.set(id, seen);
    return out;
  }

  /**
   * Replaces the set with `found` (stamped `now`). A previous issue that `keep` accepts and that was not
   * found again is carried over unchanged instead of being resolved (its kind could not be read this time).
   */
  replace(found: readonly Issue[], now: string, keep: (previous: StoredIssue) => boolean): ReplaceResult {
    const previous = this.snapshot.byId;
    const restored = this.restored;
    this.restored = undefined;
    const next: StoredIssue[] = [];
    const added: StoredIssue[] = [];
    const seen = new Set<string>();
    for (const issue of found) {
      if (seen.has(issue.id)) continue; // the same object listed twice must not count twice
      seen.add(issue.id);
      const before = previous.get(issue.id);
      const seenBefore = before?.firstSeen ?? restored?.get(issue.id);
      // Not `{ ...issue, firstSeen, lastSeen }`: in Node 20's V8 that gives every object a hidden class of its own,
      // which makes each REST query's walk over the issues ~100× slower (megamorphic property loads).
      const stored: StoredIssue = Object.assign({}, issue, { firstSeen: seenBefore ?? now, lastSeen: now });
      next.push(stored);
      if (seenBefore === undefined) added.push(stored);
    }
    const resolved: StoredIssue[] = [];
    let carriedOver = 0;
    for (const [id, before] of previous) {
      if (seen.has(id)) continue;
      if (keep(before)) {
        next.push(before);
        carriedOver++;
      } else {
        resolved.push(before);
      }
    }
    this.snapshot = build(next);
    return { added, resolved, carriedOver };
  }

  /**
   * Replaces the set with issues as another replica stored them (a follower mirroring the leader's PolicyReports):
   * their firstSeen and lastSeen are kept as given, nothing is new or resolved. An id listed twice is kept once.
   */
  load(issues: readonly StoredIssue[]): void {
    const byId = new Map<string, StoredIssue>();
    for (const issue of issues) byId.set(issue.id, issue);
    this.snapshot = build([...byId.values()]);
  }

  get size(): number {
    return this.snapshot.sorted.length;
  }

  get(id: string): StoredIssue | undefined {
    return this.snapshot.byId.get(id);
  }

  all(): readonly StoredIssue[] {
    return this.snapshot.sorted;
  }

  query(filter: IssueFilter, limit: number, continueToken?: string): IssuePage {
    const { sorted, indexes } = this.snapshot;
    // Start from the smallest index among the given keys; check the other keys one by one.
    const given = INDEXED.filter((k) => filter[k] !== undefined);
    let startKey: IndexedKey | undefined;
    let candidates: readonly StoredIssue[] = sorted;
    for (const key of given) {
      const list = indexes[key].get(filter[key]!) ?? [];
      if (startKey === undefined || list.length < candidates.length) {
        startKey = key;
        candidates = list;
      }
    }
    const checks = given.filter((k) => k !== startKey);
    const minRank = filter.minSeverity === undefined ? undefined : severityRank(filter.minSeverity);
    const start = continueToken === undefined ? 0 : upperBound(candidates, decodeToken(continueToken));

    // Every list is in severity order: the issues at minSeverity or above are a prefix of it.
    const end = minRank === undefined ? candidates.length : firstBelow(candidates, minRank);

    // A part of the workload's name (the dashboard's search): checked one by one, like the other keys.
    const contains = filter.nameContains;
    if (checks.length === 0 && contains === undefined) {
      const items = candidates.slice(start, Math.min(start + limit, end));
      const more = start + limit < end;
      return { items, total: end, ...(more ? { continue: encodeToken(items[items.length - 1]) } : {}) };
    }
    const items: StoredIssue[] = [];
    let total = 0;
    let more = false;
    for (let i = 0; i < end; i++) {
      const issue = candidates[i];
      if (!checks.every((k) => issue[k] === filter[k])) continue;
      if (contains !== undefined && !issue.name.includes(contains)) continue;
      total++;
      if (i < start) continue;
      if (items.length < limit) items.push(issue);
      else more = true;
    }
    return { items, total, ...(more ? { continue: encodeToken(items[items.length - 1]) } : {}) };
  }

  /**
   * A page as the JSON text `JSON.stringify(page)` gives, from each issue's cached text: a page of 100 issues is
   * about 44 KB, and serialising it on every request was most of what a query cost.
   */
  pageJson(page: IssuePage): string {
    const items: string[] = new Array(page.items.length);
    for (let i = 0; i < page.items.length; i++) {
      const issue = page.items[i];
      let json = this.jsonOf.get(issue);
      if (json === undefined) this.jsonOf.set(issue, (json = JSON.stringify(issue)));
      items[i] = json;
    }
    const next = page.continue === undefined ? '' : `,"continue":${JSON.stringify(page.continue)}`;
    return `{"items":[${items.join(',')}],"total":${page.total}${next}}`;
  }

  /**
   * The waste of the current over-provisioning issues (carried-over ones included), per namespace and in total:
   * CPU cores, memory bytes and money a month. Made once per issue set.
   */
  waste(): WasteSummary {
    const snapshot = this.snapshot;
    return (snapshot.waste ??= summarizeWaste(snapshot.sorted, this.prices));
  }

  summary(): {
    bySeverity: Record<Severity, number>;
    byRule: Record<string, number>;
    byNamespace: Record<string, number>;
    waste: WasteSummary;
  } {
    const { indexes } = this.snapshot;
    const count = (key: IndexedKey) =>
      Object.fromEntries([...indexes[key]].map(([value, list]) => [value, list.length]).sort());
    return {
      bySeverity: Object.fromEntries(SEVERITIES.map((s) => [s, indexes.severity.get(s)?.length ?? 0])) as Record<
        Severity,
        number
      >,
      byRule: count('rule'),
      byNamespace: count('namespace'),
      waste: this.waste(),
    };
  }

  get latestScan(): ScanRecord | undefined {
    return this.latest;
  }

  get runningScan(): ScanRecord | undefined {
    return this.running;
  }

  scanStarted(scan: ScanRecord): void {
    this.running = scan;
  }

  scanFinished(scan: ScanRecord): void {
    this.latest = scan;
    if (this.running?.id === scan.id) this.running = undefined;
  }
}

function build(issues: StoredIssue[]): Snapshot {
  const sorted = issues.sort(compareIssues);
  const indexes = Object.fromEntries(INDEXED.map((k) => [k, new Map<string, StoredIssue[]>()])) as Snapshot['indexes'];
  const byId = new Map<string, StoredIssue>();
  for (const issue of sorted) {
    byId.set(issue.id, issue);
    for (const key of INDEXED) {
      const list = indexes[key].get(issue[key]);
      if (list) list.push(issue);
      else indexes[key].set(issue[key], [issue]);
    }
  }
  return { sorted, byId, indexes };
}

function sortKey(i: Issue): SortKey {
  return [i.severity, i.namespace, i.kind, i.name, i.container, i.rule];
}

function encodeToken(issue: Issue): string {
  return Buffer.from(JSON.stringify(sortKey(issue))).toString('base64url');
}

function decodeToken(token: string): SortKey {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidContinueTokenError();
  }
  if (
    !Array.isArray(key) ||
    key.length !== 6 ||
    !key.every((part) => typeof part === 'string') ||
    !isSeverity(key[0]) ||
    token.length > 2048
  ) {
    throw new InvalidContinueTokenError();
  }
  return key as SortKey;
}

/** Index of the first issue less severe than `minRank` in a list sorted most severe first. */
function firstBelow(list: readonly StoredIssue[], minRank: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (severityRank(list[mid].severity) >= minRank) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first issue that sorts after `key`. */
function upperBound(list: readonly StoredIssue[], key: SortKey): number {
  const probe = {
    severity: key[0],
    namespace: key[1],
    kind: key[2],
    name: key[3],
    container: key[4],
    rule: key[5],
  } as Issue;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareIssues(list[mid], probe) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
