/** Fault injection: per-path failures, delays and protocol breakage for tests and benchmarks. */

export interface Fault {
  /** Matched against the path without query: a string is exact, or a prefix when it ends in `*`; a RegExp is tested. */
  path: string | RegExp;
  /** Only this HTTP method (any case); default every method. */
  method?: string;
  /** Answer with this status instead of the real response (a `Status` body unless `body` is given). */
  status?: number;
  /** Raw response body; with no `status`, answered with 200. */
  body?: string;
  /** Content-Type for `body`; default `application/json`. */
  contentType?: string;
  /** Wait this long before answering (added up over every matching fault). */
  latencyMs?: number;
  /** Never answer: hold the request (no byte of a response) until the client gives up or the simulator closes. */
  hang?: boolean;
  /**
   * Close the connection before any response byte, or after sending the headers and half the body; or, for a
   * write, after it has been applied (`after-write`: stored, but the client never learns it).
   */
  drop?: 'before-headers' | 'mid-body' | 'after-write';
  /**
   * Only writes whose body names this holder: `spec.holderIdentity` of a created, updated or merge-patched
   * object, or the value of a JSON patch operation on `/spec/holderIdentity` (a Lease renewal of one replica).
   */
  holderIdentity?: string;
  /** Send the response with its JSON cut short (still with a matching Content-Length). */
  malformedJson?: boolean;
  /** Serve lists whole, ignoring `limit` (as servers without chunking do). Only requests with `limit` match. */
  ignoreLimit?: boolean;
  /** Answer 410 Expired to a continued list. Only requests with `continue` match. */
  expireContinue?: boolean;
  /** Send `Retry-After` and `details.retryAfterSeconds`; the status defaults to 429. */
  retryAfterSeconds?: number;
  /**
   * A body of this many bytes, generated as it is sent (never held): a `Status` whose `message` is filler, or
   * plain filler with a non-JSON `contentType`. The status defaults to 500.
   */
  hugeBodyBytes?: number;
  /**
   * Lists only (PodMetrics lists included): the page's `items` never end: copies of the list's first object,
   * renamed `<name>-<n>`, generated until the client goes away.
   */
  endlessItems?: boolean;
  /** Lists only: the page's first object carries a label `huge` whose value is this many bytes, generated as sent. */
  hugeLabelBytes?: number;
  /** Lists only: the page's first object carries a label `nested` that is a map nested this deep (not a string). */
  nestedLabelDepth?: number;
  /**
   * Lists only: every page is the list's first page again, with a `continue` token that is the same every time
   * (`repeat`, as a buggy server's loop) or a new one every time (`endless`, a list that never ends).
   */
  continueTokens?: 'repeat' | 'endless';
  /** Remove the fault after it has applied this many times; default never. */
  times?: number;
}

/** What the list faults do to one list response. */
export interface ListFaults {
  endlessItems: boolean;
  hugeLabelBytes?: number;
  nestedLabelDepth?: number;
  continueTokens?: 'repeat' | 'endless';
}

/** What the faults matching one request do, merged in injection order. */
export interface AppliedFaults {
  ids: string[];
  latencyMs: number;
  /** A matching fault hangs the request. */
  hang: boolean;
  /** The first matching fault that replaces the response (status, body or retryAfterSeconds). */
  response?: Fault;
  drop?: 'before-headers' | 'mid-body' | 'after-write';
  malformedJson: boolean;
  ignoreLimit: boolean;
  expireContinue: boolean;
  list: ListFaults;
}

interface ActiveFault {
  id: string;
  fault: Fault;
  remaining: number;
}

function replacesResponse(f: Fault): boolean {
  return (
    f.status !== undefined || f.body !== undefined || f.retryAfterSeconds !== undefined || f.hugeBodyBytes !== undefined
  );
}

function changesList(f: Fault): boolean {
  return (
    f.endlessItems === true ||
    f.hugeLabelBytes !== undefined ||
    f.nestedLabelDepth !== undefined ||
    f.continueTokens !== undefined
  );
}

/** Whether the fault does anything besides the query-dependent ignoreLimit/expireContinue. */
function hasUnconditionalEffect(f: Fault): boolean {
  return (
    replacesResponse(f) ||
    changesList(f) ||
    f.latencyMs !== undefined ||
    f.hang === true ||
    f.drop !== undefined ||
    f.malformedJson === true
  );
}

export class FaultInjector {
  private faults: ActiveFault[] = [];
  private seq = 0;

  add(fault: Fault): string {
    if (!(typeof fault.path === 'string' || fault.path instanceof RegExp)) {
      throw new TypeError('fault.path must be a string or a RegExp');
    }
    if (fault.status !== undefined && !(Number.isInteger(fault.status) && fault.status >= 100 && fault.status <= 599)) {
      throw new RangeError(`fault.status must be an HTTP status code, got ${fault.status}`);
    }
    if (fault.times !== undefined && !(Number.isInteger(fault.times) && fault.times > 0)) {
      throw new RangeError(`fault.times must be a positive integer, got ${fault.times}`);
    }
    if (fault.latencyMs !== undefined && !(fault.latencyMs >= 0)) {
      throw new RangeError(`fault.latencyMs must be ≥ 0, got ${fault.latencyMs}`);
    }
    for (const key of ['hugeBodyBytes', 'hugeLabelBytes', 'nestedLabelDepth'] as const) {
      const value = fault[key];
      if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
        throw new RangeError(`fault.${key} must be a positive integer, got ${value}`);
      }
    }
    if (fault.continueTokens !== undefined && !['repeat', 'endless'].includes(fault.continueTokens)) {
      throw new RangeError(`fault.continueTokens must be "repeat" or "endless", got ${String(fault.continueTokens)}`);
    }
    const id = `fault-${++this.seq}`;
    this.faults.push({ id, fault: { ...fault }, remaining: fault.times ?? Infinity });
    return id;
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length !== before;
  }

  clear(): void {
    this.faults = [];
  }

  /**
   * Finds the faults for a request and uses up one of each one's `times`. Latency adds up; the first
   * fault (in injection order) that replaces the response or drops the connection decides that.
   */
  match(method: string, path: string, query: URLSearchParams, body?: unknown): AppliedFaults {
    const applied: AppliedFaults = {
      ids: [],
      latencyMs: 0,
      hang: false,
      malformedJson: false,
      ignoreLimit: false,
      expireContinue: false,
      list: { endlessItems: false },
    };
    for (const active of this.faults) {
      const f = active.fault;
      if (f.method !== undefined && f.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!pathMatches(f.path, path)) continue;
      if (f.holderIdentity !== undefined && holderOf(body) !== f.holderIdentity) continue;
      const expires = f.expireContinue === true && query.has('continue');
      const ignores = f.ignoreLimit === true && query.has('limit');
      if (!hasUnconditionalEffect(f) && !expires && !ignores) continue;

      applied.ids.push(active.id);
      active.remaining--;
      applied.latencyMs += f.latencyMs ?? 0;
      applied.hang ||= f.hang === true;
      if (replacesResponse(f)) applied.response ??= f;
      if (f.drop) applied.drop ??= f.drop;
      applied.malformedJson ||= f.malformedJson === true;
      applied.ignoreLimit ||= ignores;
      applied.expireContinue ||= expires;
      applied.list.endlessItems ||= f.endlessItems === true;
      applied.list.hugeLabelBytes ??= f.hugeLabelBytes;
      applied.list.nestedLabelDepth ??= f.nestedLabelDepth;
      applied.list.continueTokens ??= f.continueTokens;
    }
    this.faults = this.faults.filter((f) => f.remaining > 0);
    return applied;
  }
}

/** The holder a write's body sets: `spec.holderIdentity`, or a JSON patch's value for `/spec/holderIdentity`. */
function holderOf(body: unknown): unknown {
  if (Array.isArray(body)) {
    const op = body.find(
      (o): o is { value: unknown } =>
        typeof o === 'object' && o !== null && (o as { path?: unknown }).path === '/spec/holderIdentity',
    );
    return op?.value;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const spec = (body as { spec?: unknown }).spec;
  return typeof spec === 'object' && spec !== null ? (spec as { holderIdentity?: unknown }).holderIdentity : undefined;
}

function pathMatches(pattern: string | RegExp, path: string): boolean {
  if (pattern instanceof RegExp) {
    pattern.lastIndex = 0;
    return pattern.test(path);
  }
  return pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern;
}
