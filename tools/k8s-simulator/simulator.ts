/**
 * A Kubernetes API server over plain HTTP (Node's `http` only), faithful enough on the wire that the real
 * `@kubernetes/client-node` works against it unchanged: discovery, get and list of the workload resources
 * with the API server's chunking (`limit`/`continue`, consistent snapshots, 410 Expired), label and field
 * selectors, watches, `Status` errors, bearer-token auth, PodMetrics as metrics-server serves them, writes
 * (create, update, patch, delete with resourceVersion conflicts) of Leases and the PolicyReport/Report custom
 * resources only, and fault injection for tests.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify as toYaml } from 'yaml';
import { FaultInjector, type AppliedFaults, type Fault, type ListFaults } from './faults';
import { isRunningPod, podMetricsItem, type MetricsProvider } from './metrics';
import { ContinueTokenError, decodeContinue, encodeContinue, readPage, SnapshotRegistry } from './pagination';
import {
  apiGroupDocument,
  apiGroupList,
  apiResourceList,
  apiVersions,
  findGroupVersion,
  groupResource,
  groupVersionString,
  isReadable,
  METRICS_GROUP,
  VERSION_INFO,
  type ApiResource,
  type GroupVersion,
} from './resources';
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
  type FieldRequirement,
  type LabelRequirement,
} from './selectors';
import { EXPIRED_CONTINUE_MESSAGE, reasonFor, statusBody } from './status';
import { formatTimestamp, ObjectStore, type Change, type ChangeType, type StoredObject } from './store';
import { admit, jsonPatch, mergePatch, strategicMergePatch, WriteError } from './writes';

export type { Fault } from './faults';
export type { ContainerUsage, MetricsProvider } from './metrics';
export { cpuQuantity, memoryQuantity } from './metrics';

export interface SimulatorOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** When set, every request but `/version` and the health checks needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Objects to load at start (as `load`). */
  objects?: Record<string, unknown>[];
  /** How long a continue token stays valid, in milliseconds; default 5 minutes (etcd's compaction interval). */
  continueTtlMs?: number;
  /** Generates PodMetrics for every Running Pod per request; without it, loaded PodMetrics objects are served. */
  metricsProvider?: MetricsProvider;
  /** Clock in epoch milliseconds, for timestamps and continue-token expiry; default `Date.now`. */
  now?: () => number;
  /** Request log size; the oldest entries are dropped beyond it. Default 100,000. */
  maxLogEntries?: number;
  /**
   * Changes kept for watches resuming from a resourceVersion (at least this many, at most twice); a watch
   * from an older one gets an ERROR event with 410 Expired. Default 10,000.
   */
  watchHistory?: number;
  /**
   * Answers TokenReview and SubjectAccessReview (POST, as the real API serves them): `users` maps a bearer
   * token to a user; `allowed` decides a non-resource request (path, verb) of a user. Without it, both 405.
   */
  reviews?: ReviewOptions;
  /**
   * Answers PATCH of a named workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController,
   * CronJob, Job, Pod), as `kubectl patch` sends it; without it workloads are read-only (405), so tests can assert
   * that the agent never writes to them.
   */
  patchableWorkloads?: boolean;
}

const WORKLOAD_RESOURCES = new Set([
  'deployments',
  'statefulsets',
  'daemonsets',
  'replicasets',
  'replicationcontrollers',
  'cronjobs',
  'jobs',
  'pods',
]);

export interface ReviewUser {
  username: string;
  groups?: string[];
}

export interface ReviewOptions {
  users: Record<string, ReviewUser>;
  allowed: (user: ReviewUser, path: string, verb: string) => boolean;
}

const TOKEN_REVIEWS = '/apis/authentication.k8s.io/v1/tokenreviews';
const ACCESS_REVIEWS = '/apis/authorization.k8s.io/v1/subjectaccessreviews';

export interface RequestLogEntry {
  method: string;
  /** Path without query. */
  path: string;
  /** Query parameters (the last value of a repeated one). */
  query: Record<string, string>;
  /** HTTP status sent; 0 when no response was sent (connection dropped before headers, or closed by the client). */
  status: number;
  /** Response body bytes written. */
  bytes: number;
  durationMs: number;
  /** When the request arrived (ISO 8601, from the simulator's clock). */
  time: string;
  /** Ids of the injected faults that applied. */
  faults: string[];
  /** How the exchange ended when it did not end normally. */
  outcome?: 'dropped-before-headers' | 'dropped-mid-body' | 'dropped-after-write' | 'client-closed';
}

export interface KubeconfigOptions {
  /** Name of the context, cluster and user; default `opsagent-simulator`. */
  context?: string;
  /** Default namespace of the context. */
  namespace?: string;
}

/** `apps/v1/Deployment`, `v1/Pod`, or the pair. */
export type TypeRef = string | { apiVersion: string; kind: string };

export interface Simulator {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The cluster resourceVersion, bumped by every change. */
  readonly resourceVersion: string;
  /** Requests so far, oldest first. */
  readonly requests: readonly RequestLogEntry[];
  /** Requests served by PodMetrics endpoints so far (the next `poll` given to the metrics provider). */
  readonly metricsPolls: number;
  clearLog(): void;
  /** Stops listening and closes every connection, keep-alive ones included. */
  close(): Promise<void>;
  /** Writes a kubeconfig for this simulator (plain http, so `insecure-skip-tls-verify: true`), mode 0600. */
  writeKubeconfig(file: string, opts?: KubeconfigOptions): void;
  load(objects: Iterable<Record<string, unknown>>): void;
  /** Creates or replaces an object; returns it as stored (with uid, resourceVersion, creationTimestamp). */
  upsert(object: Record<string, unknown>): Record<string, unknown>;
  /** Deletes an object; true when it existed. `namespace` is ignored for cluster-scoped kinds. */
  remove(type: TypeRef, namespace: string | undefined, name: string): boolean;
  /** Copies of every stored object (synthesized Namespaces included). */
  objects(): Record<string, unknown>[];
  /** Adds a fault; returns its id. */
  inject(fault: Fault): string;
  removeFault(id: string): boolean;
  clearFaults(): void;
  /** false: metrics.k8s.io answers `404 page not found` and leaves discovery, as with no metrics-server. */
  setMetricsAvailable(available: boolean): void;
  /**
   * false: the group leaves discovery and every path under it answers 404 NotFound, as when its CRD is not
   * installed (`wgpolicyk8s.io`, `openreports.io`) or its aggregated API is gone (`metrics.k8s.io`, as
   * setMetricsAvailable). Its objects are kept and come back with the group.
   */
  setGroupAvailable(group: string, available: boolean): void;
  /** Watches open now. */
  readonly openWatches: number;
  /** Ends every open watch (as an API server restart or a load balancer does); returns how many. */
  endWatches(): number;
}

export const DEFAULT_CONTINUE_TTL_MS = 5 * 60_000;
const DEFAULT_MAX_LOG = 100_000;
/** Bodies above this are streamed in batches instead of built as one string. */
const STREAM_THRESHOLD_BYTES = 4 * 1024 * 1024;
const STREAM_BATCH_BYTES = 1024 * 1024;
/** Answered without credentials, as the API server's anonymous access allows them. */
const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);
const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';

interface BodyItem {
  readonly itemJson: string;
  readonly itemBytes: number;
}

/** A response body: head, then items joined by commas, then tail — so a page is never copied whole. */
interface Body {
  head: string;
  items?: readonly BodyItem[];
  /**
   * Text made as it is sent, after the items (fault injection: bodies too large to build, or endless). Without
   * `bytes` the body is sent chunked, with no Content-Length.
   */
  generated?: { chunks: () => Iterable<string>; bytes?: number };
  tail: string;
}

/** Filler for generated bodies: one shared 64 KiB string, written again and again. */
const FILLER_CHUNK = 'x'.repeat(64 * 1024);

function* filler(bytes: number): Generator<string> {
  for (let left = bytes; left > 0; left -= FILLER_CHUNK.length) {
    yield left >= FILLER_CHUNK.length ? FILLER_CHUNK : FILLER_CHUNK.slice(0, left);
  }
}

interface Reply {
  status: number;
  contentType: string;
  headers?: Record<string, string>;
  body: Body;
  /** A watch: the body is a stream of events instead. */
  watch?: WatchRequest;
}

interface WatchRequest {
  resource: ApiResource;
  namespace: string | undefined;
  selection: Selection;
  /** Replay the changes after this resourceVersion; undefined: ADDED for every current object first. */
  sinceRv?: number;
  timeoutMs?: number;
}

/** Largest request body the API server reads (its 3 MB limit), in bytes. */
const MAX_REQUEST_BYTES = 3 * 1024 * 1024;
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** An error answered as a `Status`. */
class HttpError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly opts: Parameters<typeof statusBody>[2] = {},
  ) {
    super(message);
  }
}

function jsonReply(value: unknown, status = 200): Reply {
  return { status, contentType: JSON_TYPE, body: { head: JSON.stringify(value), tail: '' } };
}

function statusReply(code: number, message?: string, opts?: Parameters<typeof statusBody>[2]): Reply {
  return jsonReply(statusBody(code, message, opts), code);
}

/** What a Go `http.ServeMux` answers for an unknown path (the API server's fallback, and an unregistered group). */
function pageNotFound(): Reply {
  return { status: 404, contentType: TEXT_TYPE, body: { head: '404 page not found\n', tail: '' } };
}

function bodyBytes(body: Body): number | undefined {
  if (body.generated && body.generated.bytes === undefined) return undefined;
  let n = Buffer.byteLength(body.head) + Buffer.byteLength(body.tail) + (body.generated?.bytes ?? 0);
  if (body.items && body.items.length > 0) {
    for (const item of body.items) n += item.itemBytes;
    n += body.items.length - 1;
  }
  return n;
}

/** The body as string chunks of about `batchBytes` each. */
function* bodyChunks(body: Body, batchBytes: number): Generator<string> {
  yield body.head;
  const items = body.items ?? [];
  let batch: string[] = [];
  let size = 0;
  for (let i = 0; i < items.length; i++) {
    batch.push(items[i].itemJson);
    size += items[i].itemBytes;
    if (size >= batchBytes) {
      yield (i + 1 - batch.length > 0 ? ',' : '') + batch.join(',');
      batch = [];
      size = 0;
    }
  }
  if (batch.length > 0) yield (items.length - batch.length > 0 ? ',' : '') + batch.join(',');
  yield body.tail;
}

/** Cuts the JSON short so a parser fails: the last character becomes `,"`. */
function malform(reply: Reply): Reply {
  const { head, items, tail } = reply.body;
  const cut = (s: string) => `${s.slice(0, -1)},"`;
  const body = tail !== '' ? { head, items, tail: cut(tail) } : { head: cut(head), items, tail };
  return { ...reply, body };
}

function waitForDrain(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

interface Sleep {
  /** Unset for a hang, which only the client or close() ends. */
  timer?: NodeJS.Timeout;
  resolve: () => void;
}

function parseTypeRef(type: TypeRef): { apiVersion: string; kind: string } {
  if (typeof type !== 'string') return type;
  const slash = type.lastIndexOf('/');
  if (slash <= 0) throw new TypeError(`expected apiVersion/Kind such as "apps/v1/Deployment", got "${type}"`);
  return { apiVersion: type.slice(0, slash), kind: type.slice(slash + 1) };
}

function getField(object: Readonly<Record<string, unknown>>, field: string): string {
  let value: unknown = object;
  for (const part of field.split('.')) {
    if (typeof value !== 'object' || value === null) return '';
    value = (value as Record<string, unknown>)[part];
  }
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

interface Selection {
  labels: LabelRequirement[];
  fields: FieldRequirement[];
  /** Whether any selector was given: the API server then leaves out remainingItemCount. */
  any: boolean;
}

class K8sSimulator implements Simulator {
  private readonly server: http.Server;
  private readonly store: ObjectStore;
  private readonly snapshots: SnapshotRegistry;
  private readonly faults = new FaultInjector();
  private readonly sleeps = new Set<Sleep>();
  private readonly log: RequestLogEntry[] = [];
  private readonly now: () => number;
  private readonly maxLog: number;
  /** Groups made absent by setGroupAvailable / setMetricsAvailable. */
  private readonly absentGroups = new Set<string>();
  private readonly watches = new Set<() => void>();
  private polls = 0;
  /** Makes each `continueTokens: 'endless'` token new. */
  private endlessTokens = 0;
  private closed = false;
  private boundPort = 0;
  private boundUrl = '';

  constructor(private readonly opts: SimulatorOptions) {
    this.now = opts.now ?? Date.now;
    this.maxLog = opts.maxLogEntries ?? DEFAULT_MAX_LOG;
    this.store = new ObjectStore(this.now, undefined, opts.watchHistory);
    this.snapshots = new SnapshotRegistry(opts.continueTtlMs ?? DEFAULT_CONTINUE_TTL_MS, this.now);
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        // Only a bug gets here; answer it as the API server answers a panic.
        if (!res.headersSent) {
          const body = JSON.stringify(statusBody(500, `Internal error occurred: ${String(err)}`));
          res.writeHead(500, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(body) }).end(body);
        } else {
          res.destroy();
        }
      });
    });
    if (opts.objects) this.load(opts.objects);
  }

  async listen(): Promise<void> {
    const host = this.opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (this.server.address() as { port: number }).port;
    const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    this.boundUrl = `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${this.boundPort}`;
  }

  get url(): string {
    return this.boundUrl;
  }

  get port(): number {
    return this.boundPort;
  }

  get resourceVersion(): string {
    return String(this.store.resourceVersion);
  }

  get requests(): readonly RequestLogEntry[] {
    return this.log;
  }

  get metricsPolls(): number {
    return this.polls;
  }

  clearLog(): void {
    this.log.length = 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.endWatches();
    for (const sleep of this.sleeps) {
      clearTimeout(sleep.timer);
      sleep.resolve();
    }
    this.sleeps.clear();
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closing;
  }

  writeKubeconfig(file: string, opts: KubeconfigOptions = {}): void {
    const name = opts.context ?? 'opsagent-simulator';
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name, cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name, user: this.opts.token !== undefined ? { token: this.opts.token } : {} }],
      contexts: [
        { name, context: { cluster: name, user: name, ...(opts.namespace ? { namespace: opts.namespace } : {}) } },
      ],
      'current-context': name,
      preferences: {},
    };
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, toYaml(config), { mode: 0o600 });
  }

  load(objects: Iterable<Record<string, unknown>>): void {
    for (const object of objects) this.store.upsert(object);
  }

  upsert(object: Record<string, unknown>): Record<string, unknown> {
    return this.store.upsert(object).copy();
  }

  remove(type: TypeRef, namespace: string | undefined, name: string): boolean {
    const { apiVersion, kind } = parseTypeRef(type);
    return this.store.remove(apiVersion, kind, namespace, name);
  }

  objects(): Record<string, unknown>[] {
    return this.store.all().map((e) => e.copy());
  }

  inject(fault: Fault): string {
    return this.faults.add(fault);
  }

  removeFault(id: string): boolean {
    return this.faults.remove(id);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  setMetricsAvailable(available: boolean): void {
    this.setGroupAvailable(METRICS_GROUP, available);
  }

  setGroupAvailable(group: string, available: boolean): void {
    if (available) this.absentGroups.delete(group);
    else this.absentGroups.add(group);
  }

  get openWatches(): number {
    return this.watches.size;
  }

  endWatches(): number {
    const n = this.watches.size;
    for (const end of [...this.watches]) end();
    return n;
  }

  // ---- HTTP ----

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    // Prefixed, not resolved against a base: a path starting with `//` must stay a path.
    const url = new URL(`http://simulator${req.url ?? '/'}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const entry: RequestLogEntry = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      bytes: 0,
      durationMs: 0,
      time: new Date(this.now()).toISOString(),
      faults: [],
    };
    this.record(entry);
    // Bodies of writes and reviews are read (up to the API server's limit); a refused write's body is read too,
    // so keep-alive keeps working.
    const isReview = method === 'POST' && (url.pathname === TOKEN_REVIEWS || url.pathname === ACCESS_REVIEWS);
    let body: string | undefined;
    if (isReview || WRITE_METHODS.has(method)) body = await readBody(req, MAX_REQUEST_BYTES);
    else req.resume();
    try {
      const applied = this.faults.match(method, url.pathname, url.searchParams, parseOrUndefined(body));
      entry.faults = applied.ids;
      if (applied.latencyMs > 0) await this.sleep(applied.latencyMs);
      if (applied.hang) await this.hangUntilClosed(req);
      if (this.closed || res.destroyed || req.socket.destroyed) {
        entry.outcome = 'client-closed';
        req.socket.destroy();
        return;
      }
      if (applied.drop === 'before-headers') {
        entry.outcome = 'dropped-before-headers';
        req.socket.destroy();
        return;
      }
      let reply: Reply;
      try {
        if (body === TOO_LARGE) throw new HttpError(413, 'the request body is too large (limit: 3 MB)');
        reply = applied.response
          ? faultReply(applied.response)
          : isReview
            ? this.review(url.pathname, body ?? '')
            : this.route(method, url, req.headers, applied, body);
      } catch (err) {
        if (err instanceof HttpError) reply = statusReply(err.code, err.message, err.opts);
        else if (err instanceof WriteError)
          reply = statusReply(err.code, err.message, { reason: err.reason, details: err.details });
        else if (err instanceof SelectorError || err instanceof ContinueTokenError)
          reply = statusReply(400, err.message);
        else throw err;
      }
      if (applied.drop === 'after-write') {
        entry.outcome = 'dropped-after-write';
        req.socket.destroy();
        return;
      }
      if (applied.malformedJson) reply = malform(reply);
      entry.status = reply.status;
      await this.send(req, res, reply, applied.drop === 'mid-body', entry);
    } finally {
      entry.durationMs = performance.now() - started;
    }
  }

  private record(entry: RequestLogEntry): void {
    if (this.log.length >= this.maxLog) this.log.splice(0, this.log.length - this.maxLog + 1);
    this.log.push(entry);
  }

  /** Resolves when the client closes the connection or the simulator closes (then the socket is destroyed). */
  private hangUntilClosed(req: http.IncomingMessage): Promise<void> {
    return new Promise((resolve) => {
      const sleep: Sleep = { resolve };
      this.sleeps.add(sleep);
      req.socket.once('close', () => {
        this.sleeps.delete(sleep);
        resolve();
      });
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleep: Sleep = {
        timer: setTimeout(() => {
          this.sleeps.delete(sleep);
          resolve();
        }, ms),
        resolve,
      };
      this.sleeps.add(sleep);
    });
  }

  /** Writes the reply with Content-Length; large bodies are streamed with backpressure. */
  private async send(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    reply: Reply,
    dropMidBody: boolean,
    entry: RequestLogEntry,
  ): Promise<void> {
    if (reply.watch) {
      await this.serveWatch(req, res, reply.watch, entry);
      return;
    }
    const total = bodyBytes(reply.body);
    res.writeHead(reply.status, {
      'Content-Type': reply.contentType,
      ...(total === undefined ? {} : { 'Content-Length': total }),
      'Cache-Control': 'no-cache, private',
      ...reply.headers,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (reply.body.generated) {
      await this.sendGenerated(res, reply.body, reply.body.generated.chunks(), entry);
      return;
    }
    if (total === undefined) throw new Error('a body without a length must be generated');
    if (dropMidBody) {
      // Headers and half the body, then the connection goes: the client sees a truncated response.
      res.flushHeaders();
      let budget = Math.floor(total / 2);
      for (const chunk of bodyChunks(reply.body, STREAM_BATCH_BYTES)) {
        if (budget <= 0) break;
        const buf = Buffer.from(chunk);
        const part = buf.length > budget ? buf.subarray(0, budget) : buf;
        budget -= part.length;
        entry.bytes += part.length;
        if (!res.write(part)) await waitForDrain(res);
      }
      entry.outcome = 'dropped-mid-body';
      // Let the written bytes leave before the reset.
      await new Promise<void>((resolve) => setImmediate(resolve));
      res.socket?.destroy();
      return;
    }
    if (total <= STREAM_THRESHOLD_BYTES) {
      const { head, items, tail } = reply.body;
      res.end(items && items.length > 0 ? head + items.map((i) => i.itemJson).join(',') + tail : head + tail);
      entry.bytes = total;
      return;
    }
    for (const chunk of bodyChunks(reply.body, STREAM_BATCH_BYTES)) {
      if (res.destroyed) {
        entry.outcome = 'client-closed';
        return;
      }
      entry.bytes += Buffer.byteLength(chunk);
      if (!res.write(chunk)) await waitForDrain(res);
    }
    res.end();
  }

  /** A generated body, chunk by chunk with backpressure, until it ends or the client goes away. */
  private async sendGenerated(
    res: http.ServerResponse,
    body: Body,
    chunks: Iterable<string>,
    entry: RequestLogEntry,
  ): Promise<void> {
    const write = async (chunk: string): Promise<boolean> => {
      if (res.destroyed) {
        entry.outcome = 'client-closed';
        return false;
      }
      entry.bytes += Buffer.byteLength(chunk);
      if (!res.write(chunk)) await waitForDrain(res);
      return true;
    };
    if (!(await write(body.head))) return;
    for (const chunk of chunks) if (!(await write(chunk))) return;
    if (!(await write(body.tail))) return;
    res.end();
  }

  /** TokenReview / SubjectAccessReview: the status the real API fills in, from `opts.reviews`. */
  private review(path: string, body: string): Reply {
    const reviews = this.opts.reviews;
    if (!reviews) return statusReply(405);
    let request: { apiVersion?: string; kind?: string; spec?: Record<string, unknown> };
    try {
      request = JSON.parse(body) as typeof request;
    } catch {
      return statusReply(400, 'the request body is not JSON');
    }
    const spec = request.spec ?? {};
    if (path === TOKEN_REVIEWS) {
      const user = typeof spec.token === 'string' ? reviews.users[spec.token] : undefined;
      return jsonReply(
        {
          kind: 'TokenReview',
          apiVersion: 'authentication.k8s.io/v1',
          metadata: { creationTimestamp: null },
          spec,
          status: user
            ? { authenticated: true, user: { username: user.username, groups: user.groups ?? [] } }
            : { authenticated: false, error: 'invalid bearer token' },
        },
        201,
      );
    }
    const attrs = (spec.nonResourceAttributes ?? {}) as { path?: string; verb?: string };
    const user: ReviewUser = { username: String(spec.user ?? ''), groups: (spec.groups as string[] | undefined) ?? [] };
    const allowed = attrs.path !== undefined && reviews.allowed(user, attrs.path, attrs.verb ?? '');
    return jsonReply(
      {
        kind: 'SubjectAccessReview',
        apiVersion: 'authorization.k8s.io/v1',
        metadata: { creationTimestamp: null },
        spec,
        status: allowed ? { allowed: true, reason: 'allowed by the simulator' } : { allowed: false },
      },
      201,
    );
  }

  private route(
    method: string,
    url: URL,
    headers: http.IncomingHttpHeaders,
    applied: AppliedFaults,
    body?: string,
  ): Reply {
    const p = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    if (this.opts.token !== undefined && !this.authorized(headers.authorization, p)) {
      return statusReply(401, 'Unauthorized');
    }
    const write = WRITE_METHODS.has(method);
    if ((method !== 'GET' && method !== 'HEAD' && !write) || (write && !/^\/apis?\/[^/]+\/[^/]/.test(p))) {
      return statusReply(405);
    }

    if (p === '/version') return jsonReply(VERSION_INFO);
    if (PUBLIC_PATHS.has(p)) return { status: 200, contentType: TEXT_TYPE, body: { head: 'ok', tail: '' } };

    const segs = p.split('/').filter((s) => s !== '');
    let gv: GroupVersion | undefined;
    let rest: string[];
    if (segs[0] === 'api') {
      if (segs.length === 1) return jsonReply(apiVersions(this.url.replace(/^http:\/\//, '')));
      gv = segs[1] === 'v1' ? findGroupVersion('', 'v1') : undefined;
      rest = segs.slice(2);
    } else if (segs[0] === 'apis') {
      if (segs.length === 1) return jsonReply(apiGroupList((g) => this.served(g.group)));
      if (!this.served(segs[1])) {
        // An aggregated API that is gone answers as Go's mux does; a group without its CRD, as the API server's
        // not-found handler does.
        return segs[1] === METRICS_GROUP ? pageNotFound() : statusReply(404);
      }
      if (segs.length === 2) {
        const doc = apiGroupDocument(segs[1]);
        return doc ? jsonReply(doc) : pageNotFound();
      }
      gv = findGroupVersion(segs[1], segs[2]);
      rest = segs.slice(3);
    } else {
      return pageNotFound();
    }
    if (!gv) return pageNotFound();
    if (rest.length === 0) return write ? statusReply(405) : jsonReply(apiResourceList(gv));

    let namespace: string | undefined;
    let name: string | undefined;
    let resourceName: string;
    let extra: string[];
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      [, namespace, resourceName, name] = rest;
      extra = rest.slice(4);
    } else {
      [resourceName, name] = rest;
      extra = rest.slice(2);
    }
    const resource = gv.resources.find((r) => r.resource === resourceName);
    if (
      !resource ||
      extra.length > 0 ||
      (namespace !== undefined && !resource.namespaced) ||
      (namespace === undefined && name !== undefined && resource.namespaced)
    ) {
      return statusReply(404);
    }
    if (!isReadable(resource)) return statusReply(405);
    if (write) {
      const patchable =
        method === 'PATCH' && name !== undefined && this.opts.patchableWorkloads === true
          ? WORKLOAD_RESOURCES.has(resource.resource) && resource.group !== METRICS_GROUP
          : false;
      if (!resource.writable && !patchable) return statusReply(405);
      return this.write(method, resource, namespace, name, String(headers['content-type'] ?? ''), body ?? '', url);
    }
    const watch = url.searchParams.get('watch');
    if (watch === 'true' || watch === '1') {
      if (resource.group === METRICS_GROUP) return statusReply(405);
      return this.watchReply(resource, namespace, name, url.searchParams);
    }

    if (resource.group === METRICS_GROUP) {
      return resource.kind === 'PodMetrics'
        ? this.podMetrics(resource, namespace, name, url.searchParams, applied)
        : this.staticMetrics(resource, namespace, name, url.searchParams, applied);
    }
    return name !== undefined
      ? this.getObject(resource, namespace, name)
      : this.listObjects(resource, namespace, url.searchParams, applied);
  }

  private served(group: string): boolean {
    return !this.absentGroups.has(group);
  }

  // ---- writes ----

  private write(
    method: string,
    resource: ApiResource,
    namespace: string | undefined,
    name: string | undefined,
    contentType: string,
    body: string,
    url: URL,
  ): Reply {
    if (url.searchParams.get('dryRun')) throw new HttpError(400, 'the simulator does not support dryRun');
    if (method === 'POST') {
      if (name !== undefined || (resource.namespaced && namespace === undefined)) return statusReply(405);
      return this.create(resource, namespace, parseObject(body), 201);
    }
    if (name === undefined) return statusReply(405); // deletecollection and cluster-wide writes: not simulated
    const existing = this.store.get(resource, namespace, name);
    if (method === 'DELETE') return this.delete(resource, existing, name, body);
    if (method === 'PUT') {
      const object = parseObject(body);
      checkType(resource, object);
      const meta = metadataOf(object);
      if (meta.name !== undefined && meta.name !== name) {
        throw new HttpError(
          400,
          `the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`,
        );
      }
      checkNamespace(meta, namespace);
      if (!existing) {
        if (!resource.allowCreateOnUpdate || nonEmptyString(meta.resourceVersion)) throw notFound(resource, name);
        return this.create(resource, namespace, { ...object, metadata: { ...meta, name } }, 201);
      }
      return this.replace(resource, existing, object);
    }
    // PATCH
    if (!existing) throw notFound(resource, name);
    const type = contentType.split(';')[0].trim().toLowerCase();
    const patch = parseJson(body);
    let patched: unknown;
    if (type === 'application/merge-patch+json') {
      patched = mergePatch(existing.copy(), patch);
    } else if (type === 'application/strategic-merge-patch+json' && !resource.custom) {
      // A Lease has no list with a patch strategy: there it is a merge patch; a Pod template's containers merge by name.
      patched = strategicMergePatch(existing.copy(), patch);
    } else if (type === 'application/json-patch+json') {
      patched = jsonPatch(existing.copy(), patch);
    } else {
      throw new HttpError(
        415,
        `the body of the request was in an unknown format - accepted media types include: ` +
          `application/json-patch+json, application/merge-patch+json${resource.custom ? '' : ', application/strategic-merge-patch+json'}`,
      );
    }
    if (!isRecord(patched)) throw new HttpError(400, 'the patched object is not a JSON object');
    const meta = metadataOf(patched);
    if (meta.name !== name)
      throw new WriteError(
        422,
        `metadata.name: Invalid value: ${JSON.stringify(meta.name)}: field is immutable`,
        'Invalid',
      );
    checkType(resource, patched);
    return this.replace(resource, existing, patched);
  }

  private create(
    resource: ApiResource,
    namespace: string | undefined,
    object: Record<string, unknown>,
    code: number,
  ): Reply {
    checkType(resource, object);
    const meta = metadataOf(object);
    checkNamespace(meta, namespace);
    let name = nonEmptyString(meta.name);
    const generateName = nonEmptyString(meta.generateName);
    if (name === undefined && generateName !== undefined)
      name = generateName + randomUUID().replace(/-/g, '').slice(0, 5);
    if (name === undefined) {
      throw new WriteError(
        422,
        `${resource.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
        'Invalid',
        {
          kind: resource.kind,
          ...(resource.group ? { group: resource.group } : {}),
          causes: [
            {
              reason: 'FieldValueRequired',
              message: 'Required value: name or generateName is required',
              field: 'metadata.name',
            },
          ],
        },
      );
    }
    if (namespace !== undefined && !this.store.get(namespacesResource(), undefined, namespace)) {
      throw new HttpError(404, `namespaces "${namespace}" not found`, {
        reason: 'NotFound',
        details: { name: namespace, kind: 'namespaces' },
      });
    }
    if (this.store.get(resource, namespace, name)) {
      const gr = groupResource(resource);
      throw new HttpError(409, `${gr} "${name}" already exists`, {
        reason: 'AlreadyExists',
        details: { name, ...(resource.group ? { group: resource.group } : {}), kind: resource.resource },
      });
    }
    const admitted = admit(resource, object, name);
    const entry = this.store.upsert({
      ...admitted,
      apiVersion: groupVersionString(resource.group, resource.version),
      kind: resource.kind,
      metadata: {
        ...serverlessMeta(meta),
        name,
        ...(namespace !== undefined ? { namespace } : {}),
        // Server-owned: a client's uid or creationTimestamp is ignored on create.
        uid: randomUUID(),
        creationTimestamp: formatTimestamp(this.now()),
        ...(resource.custom ? { generation: 1 } : {}),
      },
    });
    return objectReply(entry, code);
  }

  /** An update (PUT, or the result of a PATCH): resourceVersion and uid are preconditions when given. */
  private replace(resource: ApiResource, existing: StoredObject, object: Record<string, unknown>): Reply {
    const meta = metadataOf(object);
    const rv = nonEmptyString(meta.resourceVersion);
    if (rv !== undefined && rv !== existing.resourceVersion) throw conflict(resource, existing.name);
    const uid = nonEmptyString(meta.uid);
    if (uid !== undefined && uid !== existing.uid) {
      throw conflict(
        resource,
        existing.name,
        `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${existing.uid}`,
      );
    }
    const admitted = admit(resource, object, existing.name);
    const before = existing.copy();
    const oldMeta = metadataOf(before);
    const content = (o: Record<string, unknown>) => JSON.stringify(omitKeys(o, ['apiVersion', 'kind', 'metadata']));
    const generation = typeof oldMeta.generation === 'number' ? oldMeta.generation : undefined;
    const next = {
      ...admitted,
      apiVersion: existing.apiVersion,
      kind: existing.kind,
      metadata: {
        ...serverlessMeta(meta),
        name: existing.name,
        ...(existing.namespace !== undefined ? { namespace: existing.namespace } : {}),
        uid: existing.uid,
        creationTimestamp: existing.creationTimestamp,
        ...(generation !== undefined
          ? { generation: content(admitted) === content(before) ? generation : generation + 1 }
          : {}),
      },
    };
    // An update that changes nothing is not written: resourceVersion stays, no watch event (as the API server).
    const unchanged =
      content(next) === content(before) &&
      JSON.stringify(serverlessMeta(next.metadata)) === JSON.stringify(serverlessMeta(oldMeta)) &&
      next.metadata.generation === oldMeta.generation;
    if (unchanged) return objectReply(existing, 200);
    return objectReply(this.store.upsert(next), 200);
  }

  private delete(resource: ApiResource, existing: StoredObject | undefined, name: string, body: string): Reply {
    if (!existing) throw notFound(resource, name);
    const options = body.trim() === '' ? {} : parseJson(body);
    const pre = isRecord(options) && isRecord(options.preconditions) ? options.preconditions : {};
    const uid = nonEmptyString(pre.uid);
    if (uid !== undefined && uid !== existing.uid) {
      throw conflict(
        resource,
        name,
        `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${existing.uid}`,
      );
    }
    const rv = nonEmptyString(pre.resourceVersion);
    if (rv !== undefined && rv !== existing.resourceVersion) {
      throw conflict(
        resource,
        name,
        `Precondition failed: ResourceVersion in precondition: ${rv}, ResourceVersion in object meta: ${existing.resourceVersion}`,
      );
    }
    this.store.remove(existing.apiVersion, existing.kind, existing.namespace, existing.name);
    // A custom resource's registry returns the deleted object; built-in ones (Leases) a Status.
    if (resource.custom) return objectReply(existing, 200);
    return jsonReply({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: {
        name,
        ...(resource.group ? { group: resource.group } : {}),
        kind: resource.resource,
        uid: existing.uid,
      },
    });
  }

  // ---- watch ----

  private watchReply(
    resource: ApiResource,
    namespace: string | undefined,
    name: string | undefined,
    query: URLSearchParams,
  ): Reply {
    const selection = this.selection(resource, query);
    if (name !== undefined) {
      selection.fields.push(...parseFieldSelector(`metadata.name=${name}`, new Set(['metadata.name'])));
      selection.any = true;
    }
    const rvText = query.get('resourceVersion') ?? '';
    let sinceRv: number | undefined;
    if (rvText !== '' && rvText !== '0') {
      if (!/^\d+$/.test(rvText))
        throw new HttpError(400, `resourceVersion: Invalid value: "${rvText}": must be a number`);
      sinceRv = Number(rvText);
    }
    const timeoutText = query.get('timeoutSeconds');
    const timeoutMs = timeoutText !== null && /^\d+$/.test(timeoutText) ? Number(timeoutText) * 1000 : undefined;
    return {
      status: 200,
      contentType: JSON_TYPE,
      body: { head: '', tail: '' },
      watch: { resource, namespace, selection, sinceRv, timeoutMs },
    };
  }

  /** A watch: events as JSON lines, chunked, until timeoutSeconds, the client leaves, or endWatches/close. */
  private async serveWatch(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    watch: WatchRequest,
    entry: RequestLogEntry,
  ): Promise<void> {
    res.writeHead(200, { 'Content-Type': JSON_TYPE, 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const table = groupResource(watch.resource);
    const matches = (change: Change) =>
      change.table === table &&
      (watch.namespace === undefined || change.entry.namespace === watch.namespace) &&
      (!watch.selection.any || this.selects(watch.selection, change.entry));
    const send = (type: ChangeType | 'ERROR', objectJson: string) => {
      const line = `{"type":"${type}","object":${objectJson}}\n`;
      entry.bytes += Buffer.byteLength(line);
      res.write(line);
    };
    if (watch.sinceRv === undefined) {
      const { items } = readPage({
        entries: this.store.list(watch.resource),
        namespace: watch.namespace,
        filter: watch.selection.any ? (e) => this.selects(watch.selection, e) : undefined,
      });
      for (const item of items) send('ADDED', objectJson(item));
    } else {
      const changes = this.store.changesSince(watch.sinceRv);
      if (!changes) {
        const oldest = this.store.oldestWatchableRv;
        send(
          'ERROR',
          JSON.stringify(
            statusBody(410, `too old resource version: ${watch.sinceRv} (${oldest})`, { reason: 'Expired' }),
          ),
        );
        res.end();
        return;
      }
      for (const change of changes) if (matches(change)) send(change.type, objectJson(change.entry));
    }
    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const unsubscribe = this.store.subscribe((change) => {
        if (matches(change)) send(change.type, objectJson(change.entry));
      });
      const end = () => {
        if (!this.watches.delete(end)) return;
        clearTimeout(timer);
        unsubscribe();
        if (!res.destroyed) res.end();
        resolve();
      };
      this.watches.add(end);
      if (watch.timeoutMs !== undefined) timer = setTimeout(end, watch.timeoutMs);
      res.on('close', end);
    });
  }

  private authorized(header: string | undefined, p: string): boolean {
    if (header === undefined) return PUBLIC_PATHS.has(p);
    const match = /^bearer\s+(.+)$/i.exec(header.trim());
    return match !== null && match[1] === this.opts.token;
  }

  private getObject(resource: ApiResource, namespace: string | undefined, name: string): Reply {
    const entry = this.store.get(resource, namespace, name);
    if (!entry) throw notFound(resource, name);
    const gv = groupVersionString(resource.group, resource.version);
    // The cached item lacks kind and apiVersion; a single object carries them.
    const head = `{"kind":${JSON.stringify(resource.kind)},"apiVersion":${JSON.stringify(gv)},${entry.itemJson.slice(1)}`;
    return { status: 200, contentType: JSON_TYPE, body: { head, tail: '' } };
  }

  private listObjects(
    resource: ApiResource,
    namespace: string | undefined,
    query: URLSearchParams,
    applied: AppliedFaults,
  ): Reply {
    const selection = this.selection(resource, query);
    const limit = parseLimit(query.get('limit'));
    const paging = limit !== undefined && !applied.ignoreLimit;
    const id = groupResource(resource);
    // A `continueTokens` fault answers every request with the first page again.
    const tokens = applied.list.continueTokens;
    const token = tokens === undefined ? (query.get('continue') ?? '') : '';

    let entries: readonly StoredObject[];
    let rv: number;
    let start: string | undefined;
    if (token !== '') {
      const requestedRv = query.get('resourceVersion') ?? '';
      if (requestedRv !== '' && requestedRv !== '0') {
        throw new HttpError(400, 'specifying resource version is not allowed when using continue');
      }
      const key = decodeContinue(token);
      // No snapshot: older than the TTL ("compacted"), evicted, or never handed out by this simulator.
      const kept = applied.expireContinue ? undefined : this.snapshots.find(id, key.rv);
      if (!kept) throw this.expired(resource, key.start);
      entries = kept;
      rv = key.rv;
      start = key.start;
    } else {
      entries = this.store.list(resource);
      rv = this.store.resourceVersion;
    }

    const page = readPage({
      entries,
      namespace,
      start,
      limit: paging ? limit : undefined,
      filter: selection.any ? (e) => this.selects(selection, e) : undefined,
    });
    const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
    if (page.next !== undefined) {
      this.snapshots.remember(id, rv, entries);
      metadata.continue = encodeContinue({ rv, start: page.next });
      if (!selection.any) metadata.remainingItemCount = page.remaining;
    }
    if (tokens !== undefined) {
      // Valid tokens (a NUL start key lists from the beginning), so they still work once the fault is gone.
      this.snapshots.remember(id, rv, entries);
      const start = tokens === 'repeat' ? (page.next ?? '\u0000') : `\u0000${++this.endlessTokens}`;
      metadata.continue = encodeContinue({ rv, start });
    }
    return itemFaultedListReply(resource, metadata, page.items, applied.list);
  }

  /** 410 Expired, with a token that resumes at the same key in the current state (as newer API servers send). */
  private expired(resource: ApiResource, start: string): HttpError {
    const rv = this.store.resourceVersion;
    this.snapshots.remember(groupResource(resource), rv, this.store.list(resource));
    return new HttpError(410, EXPIRED_CONTINUE_MESSAGE, {
      reason: 'Expired',
      metadata: { continue: encodeContinue({ rv, start }) },
    });
  }

  private selection(resource: ApiResource, query: URLSearchParams): Selection {
    const labelText = query.get('labelSelector') ?? '';
    const fieldText = query.get('fieldSelector') ?? '';
    const allowed = new Set(['metadata.name', 'metadata.namespace', ...(resource.fieldLabels ?? [])]);
    return {
      labels: parseLabelSelector(labelText),
      fields: parseFieldSelector(fieldText, allowed),
      any: labelText.trim() !== '' || fieldText.trim() !== '',
    };
  }

  private selects(selection: Selection, entry: StoredObject): boolean {
    return (
      matchesLabels(selection.labels, entry.labels) &&
      matchesFields(selection.fields, (field) => {
        if (field === 'metadata.name') return entry.name;
        if (field === 'metadata.namespace') return entry.namespace ?? '';
        return getField(entry.object, field);
      })
    );
  }

  /**
   * PodMetrics ignore `limit` and `continue`, as metrics-server does. With a metrics provider they are
   * generated per request for every Running Pod; otherwise the loaded PodMetrics objects are served.
   */
  private podMetrics(
    resource: ApiResource,
    namespace: string | undefined,
    name: string | undefined,
    query: URLSearchParams,
    applied: AppliedFaults,
  ): Reply {
    const provider = this.opts.metricsProvider;
    if (!provider) return this.staticMetrics(resource, namespace, name, query, applied);
    const selection = this.selection(resource, query);
    const poll = this.polls++;
    const podsResource = findGroupVersion('', 'v1')?.resources.find((r) => r.resource === 'pods') as ApiResource;
    const nowMs = this.now();
    const candidates =
      name !== undefined
        ? [this.store.get(podsResource, namespace, name)].filter((p): p is StoredObject => p !== undefined)
        : readPage({ entries: this.store.list(podsResource), namespace }).items;
    const items: BodyItem[] = [];
    for (const pod of candidates) {
      if (!isRunningPod(pod) || (selection.any && !this.selects(selection, pod))) continue;
      const containers = provider(pod.object, poll);
      if (!containers || containers.length === 0) continue;
      const itemJson = podMetricsItem(pod, containers, nowMs);
      items.push({ itemJson, itemBytes: Buffer.byteLength(itemJson) });
    }
    if (name !== undefined) {
      if (items.length === 0) throw notFound(resource, `${namespace}/${name}`);
      return singleReply(resource, items[0]);
    }
    return itemFaultedListReply(resource, {}, items, applied.list);
  }

  private staticMetrics(
    resource: ApiResource,
    namespace: string | undefined,
    name: string | undefined,
    query: URLSearchParams,
    applied: AppliedFaults,
  ): Reply {
    if (resource.kind === 'PodMetrics') this.polls++;
    if (name !== undefined) {
      const entry = this.store.get(resource, namespace, name);
      if (!entry) throw notFound(resource, namespace === undefined ? name : `${namespace}/${name}`);
      return singleReply(resource, entry);
    }
    const selection = this.selection(resource, query);
    const { items } = readPage({
      entries: this.store.list(resource),
      namespace,
      filter: selection.any ? (e) => this.selects(selection, e) : undefined,
    });
    return itemFaultedListReply(resource, {}, items, applied.list);
  }
}

function notFound(resource: ApiResource, name: string): HttpError {
  // metrics-server names its resources after the kind: `podmetrics.metrics.k8s.io "ns/name" not found`.
  const plural = resource.group === METRICS_GROUP ? resource.kind.toLowerCase() : resource.resource;
  const gr = groupResource({ group: resource.group, resource: plural });
  return new HttpError(404, `${gr} "${name}" not found`, {
    reason: 'NotFound',
    details: { name, ...(resource.group ? { group: resource.group } : {}), kind: plural },
  });
}

/** A single object with kind and apiVersion (the cached item lacks them). */
function objectJson(entry: StoredObject): string {
  return `{"kind":${JSON.stringify(entry.kind)},"apiVersion":${JSON.stringify(entry.apiVersion)},${entry.itemJson.slice(1)}`;
}

function objectReply(entry: StoredObject, status: number): Reply {
  return { status, contentType: JSON_TYPE, body: { head: objectJson(entry), tail: '' } };
}

function conflict(resource: ApiResource, name: string, why?: string): HttpError {
  const gr = groupResource(resource);
  return new HttpError(
    409,
    `Operation cannot be fulfilled on ${gr} "${name}": ${
      why ?? 'the object has been modified; please apply your changes to the latest version and try again'
    }`,
    {
      reason: 'Conflict',
      details: { name, ...(resource.group ? { group: resource.group } : {}), kind: resource.resource },
    },
  );
}

function namespacesResource(): ApiResource {
  return findGroupVersion('', 'v1')?.resources.find((r) => r.resource === 'namespaces') as ApiResource;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function omitKeys(value: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!keys.includes(k)) out[k] = v;
  return out;
}

function metadataOf(object: Record<string, unknown>): Record<string, unknown> {
  return isRecord(object.metadata) ? object.metadata : {};
}

/** metadata without the fields the server owns (they are set by the server, whatever the client sent). */
function serverlessMeta(meta: Record<string, unknown>): Record<string, unknown> {
  return omitKeys(meta, [
    'name',
    'namespace',
    'uid',
    'resourceVersion',
    'creationTimestamp',
    'generation',
    'generateName',
    'managedFields',
    'selfLink',
  ]);
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch (err) {
    throw new HttpError(400, `the request body is not valid JSON: ${(err as Error).message}`);
  }
}

function parseOrUndefined(body: string | undefined): unknown {
  if (body === undefined || body === TOO_LARGE) return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function parseObject(body: string): Record<string, unknown> {
  const value = parseJson(body);
  if (!isRecord(value))
    throw new HttpError(400, "couldn't get version/kind; json parse error: the body is not a JSON object");
  return value;
}

function checkType(resource: ApiResource, object: Record<string, unknown>): void {
  const gv = groupVersionString(resource.group, resource.version);
  if (object.apiVersion !== undefined && object.apiVersion !== gv) {
    throw new HttpError(
      400,
      `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${gv})`,
    );
  }
  if (object.kind !== undefined && object.kind !== resource.kind) {
    throw new HttpError(
      400,
      `the kind in the data (${String(object.kind)}) does not match the expected kind (${resource.kind})`,
    );
  }
}

function checkNamespace(meta: Record<string, unknown>, namespace: string | undefined): void {
  const given = nonEmptyString(meta.namespace);
  if (given !== undefined && namespace !== undefined && given !== namespace) {
    throw new HttpError(400, 'the namespace of the provided object does not match the namespace sent on the request');
  }
}

function listReply(resource: ApiResource, metadata: Record<string, unknown>, items: readonly BodyItem[]): Reply {
  const gv = groupVersionString(resource.group, resource.version);
  const head =
    `{"kind":${JSON.stringify(`${resource.kind}List`)},"apiVersion":${JSON.stringify(gv)},` +
    `"metadata":${JSON.stringify(metadata)},"items":[`;
  return { status: 200, contentType: JSON_TYPE, body: { head, items, tail: ']}' } };
}

/** A list reply, changed by the item faults among `faults` when there are any (and an item to change). */
function itemFaultedListReply(
  resource: ApiResource,
  metadata: Record<string, unknown>,
  items: readonly BodyItem[],
  faults: ListFaults,
): Reply {
  const { endlessItems, hugeLabelBytes, nestedLabelDepth } = faults;
  if ((endlessItems || hugeLabelBytes !== undefined || nestedLabelDepth !== undefined) && items.length > 0) {
    return alteredListReply(resource, metadata, items, faults);
  }
  return listReply(resource, metadata, items);
}

/**
 * A list page changed by list faults, generated as it is sent: its first object renamed and repeated without
 * end (`endlessItems`), or carrying a label whose value is `hugeLabelBytes` long or a map `nestedLabelDepth`
 * deep, followed by the page's other objects.
 */
function alteredListReply(
  resource: ApiResource,
  metadata: Record<string, unknown>,
  items: readonly BodyItem[],
  faults: ListFaults,
): Reply {
  const envelope = listReply(resource, metadata, []);
  const first = () => JSON.parse(items[0].itemJson) as { metadata: Record<string, unknown> };
  function* chunks(): Generator<string> {
    if (faults.endlessItems) {
      const object = first();
      const name = String(object.metadata.name);
      for (let n = 0; ; n += 64) {
        const batch: string[] = [];
        for (let k = n; k < n + 64; k++) {
          object.metadata.name = `${name}-${k}`;
          object.metadata.uid = `endless-${k}`;
          batch.push(JSON.stringify(object));
        }
        yield (n > 0 ? ',' : '') + batch.join(',');
      }
    }
    const object = first();
    const placeholder = '\u0000fault\u0000';
    const key = faults.hugeLabelBytes !== undefined ? 'huge' : 'nested';
    object.metadata.labels = { ...(object.metadata.labels as Record<string, string> | undefined), [key]: placeholder };
    const [before, after] = JSON.stringify(object).split(JSON.stringify(placeholder));
    yield before;
    if (faults.hugeLabelBytes !== undefined) {
      yield '"';
      yield* filler(faults.hugeLabelBytes);
      yield '"';
    } else {
      const depth = faults.nestedLabelDepth ?? 1;
      yield '{"a":'.repeat(depth) + '"deep"' + '}'.repeat(depth);
    }
    yield after;
    for (const item of items.slice(1)) yield `,${item.itemJson}`;
  }
  return { ...envelope, body: { ...envelope.body, generated: { chunks } } };
}

function singleReply(resource: ApiResource, item: BodyItem): Reply {
  const gv = groupVersionString(resource.group, resource.version);
  const head = `{"kind":${JSON.stringify(resource.kind)},"apiVersion":${JSON.stringify(gv)},${item.itemJson.slice(1)}`;
  return { status: 200, contentType: JSON_TYPE, body: { head, tail: '' } };
}

/** `limit` as the API server reads it: an integer; zero or negative means no limit. */
function parseLimit(raw: string | null): number | undefined {
  if (raw === null || raw === '') return undefined;
  if (!/^[-+]?\d+$/.test(raw.trim())) {
    throw new HttpError(400, `limit: Invalid value: "${raw}": strconv.ParseInt: parsing "${raw}": invalid syntax`);
  }
  const n = Number(raw);
  return n > 0 ? n : undefined;
}

function faultReply(fault: Fault): Reply {
  const huge = fault.hugeBodyBytes;
  const status = fault.status ?? (huge !== undefined ? 500 : fault.retryAfterSeconds !== undefined ? 429 : 200);
  const headers: Record<string, string> = {};
  if (fault.retryAfterSeconds !== undefined) headers['Retry-After'] = String(fault.retryAfterSeconds);
  if (huge !== undefined) {
    const contentType = fault.contentType ?? JSON_TYPE;
    // A Status as the API server orders its fields, with a message that makes the body `huge` bytes long.
    const json = contentType === JSON_TYPE;
    const head = json ? '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"' : '';
    const tail = json ? `","reason":${JSON.stringify(reasonFor(status))},"code":${status}}` : '';
    const fill = Math.max(0, huge - head.length - tail.length);
    return {
      status,
      headers,
      contentType,
      body: { head, tail, generated: { chunks: () => filler(fill), bytes: fill } },
    };
  }
  if (fault.body !== undefined) {
    return { status, headers, contentType: fault.contentType ?? JSON_TYPE, body: { head: fault.body, tail: '' } };
  }
  const details = fault.retryAfterSeconds !== undefined ? { retryAfterSeconds: fault.retryAfterSeconds } : undefined;
  return { ...statusReply(status, undefined, { details }), headers };
}

/** Starts a simulator and resolves once it listens. */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const sim = new K8sSimulator(opts);
  await sim.listen();
  return sim;
}

/** Marks a request body over the limit (read to its end and dropped, so the connection stays usable). */
const TOO_LARGE = '\u0000too large\u0000';

function readBody(req: http.IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      if (bytes <= maxBytes) chunks.push(c);
    });
    req.on('end', () => resolve(bytes > maxBytes ? TOO_LARGE : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
