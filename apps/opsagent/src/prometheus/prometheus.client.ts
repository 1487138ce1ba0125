import { readFile } from 'node:fs/promises';

/**
 * Bytes of one query answer read at most. A vector of one series per Pod container is about 200 bytes a series:
 * 128 MiB holds some 600,000 series, four times the 150,000 Pods of Kubernetes' scalability thresholds with a
 * few containers each. Past it the answer is dropped (the query fails naming the cap), never held whole.
 */
export const MAX_RESPONSE_BYTES = 128 * 1024 * 1024;

/** A Prometheus query that failed: unreachable, timed out, an HTTP error, a malformed or oversized answer. */
export class PrometheusError extends Error {
  override name = 'PrometheusError';

  constructor(
    /** The URL asked (no credentials: those go in a header). */
    readonly url: string,
    readonly reason: string,
    /** HTTP status when Prometheus answered. */
    readonly status?: number,
  ) {
    super(`Prometheus ${url}: ${reason}`);
  }
}

/** One series of an instant vector: its labels and its value at the query's time. */
export interface VectorSample {
  metric: Record<string, string>;
  value: number;
}

export interface PrometheusClientSettings {
  /** Base URL of the HTTP API, e.g. `http://prometheus-operated.monitoring:9090` (a path prefix is kept). */
  url: string;
  timeoutMs: number;
  /** A file holding a bearer token, read at every query (a rotated token is picked up). */
  bearerTokenFile?: string;
  /** Default MAX_RESPONSE_BYTES. */
  maxResponseBytes?: number;
}

/**
 * The instant-query API (`POST /api/v1/query`, form-encoded, so a long query is not limited by URL length), on
 * Node's fetch: a timeout per query, an answer read as it arrives and cut at a size bound, errors naming the URL
 * and the status. A small class rather than a client library: the ones on npm (`prometheus-query`) bring axios
 * and neither bound the answer's size nor take an AbortSignal per query.
 */
export class PrometheusClient {
  readonly endpoint: string;
  private readonly maxBytes: number;

  constructor(private readonly settings: PrometheusClientSettings) {
    this.endpoint = `${settings.url.replace(/\/+$/, '')}/api/v1/query`;
    this.maxBytes = settings.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  }

  /** Evaluates `query` at `time` (ms since the epoch); resolves with the vector, or throws a PrometheusError. */
  async query(query: string, time: number, signal?: AbortSignal): Promise<VectorSample[]> {
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    const token = await this.token();
    if (token) headers.authorization = `Bearer ${token}`;
    const timeout = AbortSignal.timeout(this.settings.timeoutMs);
    const abort = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let status: number | undefined;
    let text: string;
    try {
      const response = await fetch(this.endpoint, {
        method: 'POST',
        headers,
        body: new URLSearchParams({ query, time: (time / 1000).toFixed(3) }).toString(),
        signal: abort,
      });
      status = response.status;
      text = await this.readBody(response);
    } catch (error) {
      if (error instanceof PrometheusError) throw error;
      if (timeout.aborted) {
        throw new PrometheusError(
          this.endpoint,
          `no answer within ${this.settings.timeoutMs} ms (usage.prometheus.timeout)`,
          status,
        );
      }
      if (signal?.aborted) throw error;
      throw new PrometheusError(this.endpoint, `unreachable: ${describeFetchError(error)}`, status);
    }
    return this.parse(status, text);
  }

  private async token(): Promise<string | undefined> {
    const file = this.settings.bearerTokenFile;
    if (!file) return undefined;
    try {
      return (await readFile(file, 'utf8')).trim();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new PrometheusError(this.endpoint, `cannot read usage.prometheus.bearerTokenFile ${file} (${code})`);
    }
  }

  private async readBody(response: Response): Promise<string> {
    if (!response.body) return '';
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    for await (const chunk of response.body) {
      bytes += chunk.byteLength;
      if (bytes > this.maxBytes) {
        await response.body.cancel().catch(() => undefined);
        throw new PrometheusError(
          this.endpoint,
          `the answer is larger than ${this.maxBytes} bytes; not read further`,
          response.status,
        );
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private parse(status: number, text: string): VectorSample[] {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      const start = text.slice(0, 200).replace(/\s+/g, ' ').trim();
      throw new PrometheusError(
        this.endpoint,
        status === 200 ? `the answer is not JSON: ${start}` : `HTTP ${status}${start ? `: ${start}` : ''}`,
        status,
      );
    }
    const answer = body as { status?: string; error?: string; errorType?: string; data?: unknown };
    if (status !== 200 || answer.status !== 'success') {
      const why = answer.error ? `${answer.errorType ?? 'error'}: ${String(answer.error).slice(0, 300)}` : 'failed';
      throw new PrometheusError(this.endpoint, `HTTP ${status} ${why}`, status);
    }
    const data = answer.data as { resultType?: string; result?: unknown } | undefined;
    if (data?.resultType !== 'vector' || !Array.isArray(data.result)) {
      throw new PrometheusError(this.endpoint, `expected a vector, got ${String(data?.resultType)}`, status);
    }
    const out: VectorSample[] = [];
    for (const item of data.result as { metric?: Record<string, string>; value?: [number, string] }[]) {
      const value = Number(item.value?.[1]);
      if (!item.metric || !Number.isFinite(value)) continue; // NaN/±Inf: no figure (e.g. a rate over a reset)
      out.push({ metric: item.metric, value });
    }
    return out;
  }
}

function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code ? `${code} (${cause.message})` : cause.message;
  }
  return error.message;
}
