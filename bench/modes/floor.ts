/** floor: every page the agent needs, over node:http with keep-alive, `JSON.parse`d and dropped. Nothing else. */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { LISTED, POD_METRICS_PATH } from '../cluster';
import { mapLimit, type WorkerInit } from '../protocol';
import type { Runner } from '../scan-worker';

interface RawList {
  metadata?: { continue?: string };
  items?: unknown[];
}

export function createRunner(init: WorkerInit): Runner {
  // Idle sockets are dropped after 4 s, before the server's 5 s keep-alive timeout can race a reuse.
  const agent = new http.Agent({ keepAlive: true, maxSockets: init.concurrency, timeout: 4_000 });
  const headers = { Authorization: `Bearer ${init.token}`, Accept: 'application/json' };
  const get = (path: string): Promise<{ body: RawList; bytes: number }> =>
    new Promise((resolve, reject) => {
      http
        .get(`${init.server}${path}`, { agent, headers }, (res) => {
          const chunks: Buffer[] = [];
          let bytes = 0;
          res.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            bytes += chunk.length;
          });
          res.on('end', () => {
            if (res.statusCode !== 200) return reject(new Error(`GET ${path}: HTTP ${res.statusCode}`));
            try {
              resolve({ body: JSON.parse(Buffer.concat(chunks, bytes).toString('utf8')) as RawList, bytes });
            } catch (error) {
              reject(error as Error);
            }
          });
          res.on('error', reject);
        })
        .on('error', reject);
    });

  return async () => {
    let requests = 0;
    let bytes = 0;
    let items = 0;
    const started = performance.now();
    await mapLimit(LISTED, init.concurrency, async ({ path }) => {
      let token: string | undefined;
      do {
        const query = `?limit=${init.pageSize}${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
        const page = await get(path + query);
        requests++;
        bytes += page.bytes;
        items += page.body.items?.length ?? 0;
        token = page.body.metadata?.continue || undefined;
      } while (token !== undefined);
    });
    const metrics = await get(POD_METRICS_PATH);
    requests++;
    bytes += metrics.bytes;
    items += metrics.body.items?.length ?? 0;
    return { durationMs: performance.now() - started, requests, bytes, items };
  };
}
