import {
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  ServerConfiguration,
  type RequestContext,
  type ResponseBody,
} from '@kubernetes/client-node';
import { ClusterReadError } from './kubernetes.errors';

export interface ApiClientOptions {
  requestTimeoutMs: number;
  retries: number;
  /** Backoff base; the n-th retry waits about base × 2^n (with full jitter), capped at maxBackoffMs. */
  backoffBaseMs?: number;
  maxBackoffMs?: number;
  /** Upper bound for a server's Retry-After. */
  maxRetryAfterMs?: number;
  /** How long one connection pool is reused before a fresh one from the kubeconfig replaces it; default 60 s. */
  connectionPoolTtlMs?: number;
}

/** undici's connection pool, as client-node hands it over. */
type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/**
 * Bytes read of a body no BodyConsumer takes (an error's `Status`, a proxy's error page): a Status message is
 * a few hundred bytes, so 4 KiB keeps every real one whole. The rest is never read: the stream is cancelled
 * (its connection closed), so a server cannot make the agent buffer a 100 MB or 4 GB error body.
 */
export const MAX_UNCONSUMED_BODY_BYTES = 4 * 1024;

export interface ApiResponse {
  status: number;
  /** The body, or its first MAX_UNCONSUMED_BODY_BYTES (see `truncated`); empty when a BodyConsumer read it. */
  text: string;
  /** Body bytes received. */
  bytes: number;
  /** The body was longer than MAX_UNCONSUMED_BODY_BYTES: `text` is its start, the rest was dropped unread. */
  truncated?: boolean;
}

/**
 * Reads a 200 body as it arrives, as the bytes come off the socket, instead of having it buffered and decoded
 * whole. Runs again from the start when the request is retried (a connection dropped mid-body, a timeout). Any
 * other error it throws (a malformed body, a cap exceeded, a bug such as a stack overflow) is deterministic: it
 * fails the request at once, without a retry, as a ClusterReadError.
 */
export type BodyConsumer = (chunks: AsyncIterable<Uint8Array>) => Promise<void>;

export interface GetOptions {
  resource: string;
  signal?: AbortSignal;
  onRequest?: (resource: string, code: string) => void;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

/**
 * GETs through @kubernetes/client-node's own request building, authentication (token, client
 * certificates, exec plugins, in-cluster service account) and HTTP library, but returns the raw body:
 * typed deserialization costs about 3× a JSON.parse and the rules need a fraction of each object.
 *
 * Every request has a timeout; 5xx, 429, dropped connections and timeouts are retried with bounded
 * exponential backoff and full jitter; Retry-After is honoured up to a cap.
 */
export class KubeApiClient {
  private readonly server: ServerConfiguration<Record<string, string>>;
  private readonly http = new IsomorphicFetchHttpLibrary();
  private readonly backoffBaseMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly poolTtlMs: number;
  private pool?: { dispatcher: Dispatcher; sinceMs: number };

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly options: ApiClientOptions,
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new ClusterReadError('kubeconfig', 'no current cluster');
    this.server = new ServerConfiguration(cluster.server, {});
    this.backoffBaseMs = options.backoffBaseMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 5_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
    this.poolTtlMs = options.connectionPoolTtlMs ?? 60_000;
  }

  get serverUrl(): string {
    return this.server.makeRequestContext('', HttpMethod.GET).getUrl();
  }

  /** One GET with retries. Resolves with any final status (callers decide what 4xx mean); rejects on abort. */
  async get(
    path: string,
    query: Record<string, string | undefined>,
    opts: GetOptions,
    consume?: BodyConsumer,
  ): Promise<ApiResponse> {
    for (let attempt = 0; ; attempt++) {
      let outcome: { response?: ApiResponse; retryAfterMs?: number; failure?: string };
      try {
        const { response, retryAfterMs } = await this.once(path, query, opts, consume);
        opts.onRequest?.(opts.resource, String(response.status));
        if (!RETRYABLE_STATUS.has(response.status) || attempt >= this.options.retries) return response;
        outcome = { response, retryAfterMs };
      } catch (error) {
        if (opts.signal?.aborted) throw new ClusterReadError(opts.resource, `aborted: ${abortReason(opts.signal)}`);
        if (error instanceof ClusterReadError) {
          // The consumer's verdict on a 200 body (malformed, too large): final, not retried.
          opts.onRequest?.(opts.resource, '200');
          throw error;
        }
        const failure = describeFailure(error, this.options.requestTimeoutMs);
        opts.onRequest?.(opts.resource, 'error');
        if (attempt >= this.options.retries) {
          throw new ClusterReadError(opts.resource, `${failure} (after ${attempt + 1} attempts)`);
        }
        outcome = { failure };
      }
      await sleep(this.delay(attempt, outcome.retryAfterMs), opts.signal).catch(() => {
        throw new ClusterReadError(opts.resource, `aborted: ${abortReason(opts.signal!)}`);
      });
    }
  }

  private delay(attempt: number, retryAfterMs: number | undefined): number {
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, this.maxRetryAfterMs);
    const ceiling = Math.min(this.maxBackoffMs, this.backoffBaseMs * 2 ** attempt);
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  private async once(
    path: string,
    query: Record<string, string | undefined>,
    opts: GetOptions,
    consume: BodyConsumer | undefined,
  ): Promise<{ response: ApiResponse; retryAfterMs?: number }> {
    const { signal } = opts;
    const ctx = this.server.makeRequestContext(path, HttpMethod.GET);
    ctx.setHeaderParam('Accept', 'application/json');
    for (const [key, value] of Object.entries(query)) if (value !== undefined) ctx.setQueryParam(key, value);
    await this.kubeConfig.applySecurityAuthentication(ctx);
    this.reusePool(ctx);
    const timeout = AbortSignal.timeout(this.options.requestTimeoutMs);
    ctx.setSignal(signal ? AbortSignal.any([signal, timeout]) : timeout);
    const response = await this.http.send(ctx).toPromise();
    const status = response.httpStatusCode;
    if (consume && status === 200) {
      const counted = { bytes: 0 };
      const stream = response.body.stream();
      try {
        await consume(stream ? countBytes(stream, counted) : wholeBody(await response.body.text(), counted));
      } catch (error) {
        if (error instanceof BodyStreamError) throw error.cause; // the connection, not the body: retried
        if (error instanceof ClusterReadError) throw error;
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        throw new ClusterReadError(opts.resource, `the response could not be read (${message})`, status);
      }
      return { response: { status, text: '', bytes: counted.bytes } };
    }
    const start = await readStart(response.body, MAX_UNCONSUMED_BODY_BYTES);
    return {
      response: { status, ...start },
      retryAfterMs: retryAfter(response.headers),
    };
  }

  /**
   * client-node gives every request a new undici Agent whenever the cluster has TLS settings (always in a Pod:
   * the CA): a new connection, and a TLS handshake, per page, and idle sockets piling up until their keep-alive
   * timeout. Pages share one pool instead; after `connectionPoolTtlMs` the next request's fresh Agent takes over
   * (so rotated client certificates or CA files are picked up) and the old one closes once its requests end.
   * Headers (the bearer token, re-read as it rotates) are still applied per request.
   */
  private reusePool(ctx: RequestContext): void {
    const fresh = ctx.getDispatcher();
    if (!fresh) return; // no TLS settings: undici's global pool already keeps connections alive
    const now = Date.now();
    if (this.pool && now - this.pool.sinceMs < this.poolTtlMs) {
      ctx.setDispatcher(this.pool.dispatcher); // `fresh` never connected: nothing to close
      return;
    }
    const previous = this.pool?.dispatcher;
    this.pool = { dispatcher: fresh, sinceMs: now };
    previous?.close().catch(() => undefined);
  }
}

/** An error of the body's stream (connection dropped, timeout): transient, unlike the consumer's own errors. */
class BodyStreamError extends Error {
  constructor(override readonly cause: unknown) {
    super('the response body could not be received');
  }
}

async function* countBytes(stream: AsyncIterable<Uint8Array>, counted: { bytes: number }): AsyncGenerator<Uint8Array> {
  // Only the stream throws in here: a consumer that stops early (throws) returns this generator, which cancels
  // the stream and closes its connection instead of reading the rest.
  try {
    for await (const chunk of stream) {
      counted.bytes += chunk.byteLength;
      yield chunk;
    }
  } catch (error) {
    throw new BodyStreamError(error);
  }
}

/**
 * The first `max` bytes of a body as text; a longer body is cancelled after them, unread. A multi-byte character
 * cut at the end reads as U+FFFD.
 */
async function readStart(body: ResponseBody, max: number): Promise<Omit<ApiResponse, 'status'>> {
  const stream = body.stream();
  if (!stream) {
    const text = await body.text();
    return {
      text: text.slice(0, max),
      bytes: Buffer.byteLength(text),
      ...(text.length > max ? { truncated: true } : {}),
    };
  }
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let bytes = 0;
  try {
    while (bytes <= max) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      bytes += value.byteLength;
    }
  } finally {
    if (bytes > max) await reader.cancel().catch(() => undefined);
    else reader.releaseLock();
  }
  const text = new TextDecoder().decode(Buffer.concat(parts).subarray(0, max));
  return { text, bytes, ...(bytes > max ? { truncated: true } : {}) };
}

async function* wholeBody(text: string, counted: { bytes: number }): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text);
  counted.bytes += bytes.byteLength;
  yield bytes;
}

function retryAfter(headers: Record<string, string>): number | undefined {
  const value = headers['retry-after'];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function describeFailure(error: unknown, timeoutMs: number): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const cause = error instanceof Error ? (error.cause as (Error & { code?: string }) | undefined) : undefined;
  // AbortSignal.timeout() rejects with a DOMException named TimeoutError, sometimes wrapped by fetch.
  if (/TimeoutError|aborted due to timeout/.test(text) || cause?.name === 'TimeoutError') {
    return `request timed out after ${timeoutMs} ms`;
  }
  if (!(error instanceof Error)) return text;
  if (cause?.code) return `${error.message} (${cause.code})`;
  if (cause?.message) return `${error.message}: ${cause.message}`;
  return error.message;
}

function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : String(reason ?? 'aborted');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error(abortReason(signal)));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error(abortReason(signal!)));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
