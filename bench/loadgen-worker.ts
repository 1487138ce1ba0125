/**
 * A child process that loads the agent's REST API with autocannon, one endpoint after the other, so the
 * load generator's event loop (which times the responses) shares nothing with the simulator's heap.
 */
import autocannon from 'autocannon';

export interface LoadTarget {
  name: string;
  url: string;
}

export interface LoadRequest {
  targets: LoadTarget[];
  connections: number;
  durationSec: number;
  warmupSec: number;
}

export interface LoadResult {
  name: string;
  url: string;
  /** Mean of autocannon's per-second request counts. */
  requestsPerSec: number;
  requests: number;
  /** Latency of 2xx responses, ms, from every response's own timing (not the 1 ms histogram buckets). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** Mean response body size, bytes. */
  bytesPerResponse: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  // nearest rank
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

async function load(target: LoadTarget, req: LoadRequest): Promise<LoadResult> {
  if (req.warmupSec > 0) {
    await autocannon({ url: target.url, connections: req.connections, duration: req.warmupSec });
  }
  const latencies: number[] = [];
  let bytes = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url: target.url, connections: req.connections, duration: req.durationSec },
      (error: unknown, res: autocannon.Result) => (error ? reject(error as Error) : resolve(res)),
    );
    instance.on('response', (_client, statusCode, resBytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) {
        latencies.push(responseTime);
        bytes += resBytes;
      }
    });
  });
  const sorted = Float64Array.from(latencies).sort();
  return {
    name: target.name,
    url: target.url,
    requestsPerSec: result.requests.average,
    requests: result.requests.total,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length > 0 ? sorted[sorted.length - 1] : NaN,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    bytesPerResponse: latencies.length > 0 ? bytes / latencies.length : 0,
  };
}

process.on('message', (message: LoadRequest) => {
  void (async () => {
    try {
      const results: LoadResult[] = [];
      for (const target of message.targets) results.push(await load(target, message));
      process.send?.({ type: 'result', results });
    } catch (error) {
      process.send?.({
        type: 'error',
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  })();
});
