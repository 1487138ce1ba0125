import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PrometheusClient, PrometheusError } from './prometheus.client';

/** A local HTTP server answering every request with `handler`; the faults and edges the client must handle. */
async function serve(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function failure(run: () => Promise<unknown>): Promise<PrometheusError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof PrometheusError) return error;
    throw error;
  }
  throw new Error('expected a PrometheusError');
}

const VECTOR = JSON.stringify({
  status: 'success',
  data: { resultType: 'vector', result: [{ metric: { pod: 'a' }, value: [1, '0.25'] }] },
});

describe('PrometheusClient', () => {
  it('stops reading an answer past its size bound and names the bound', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const write = () => {
        while (res.write(chunk));
        res.once('drain', write);
      };
      write();
    });
    try {
      const sut = new PrometheusClient({ url: server.url, timeoutMs: 20_000, maxResponseBytes: 1024 * 1024 });
      const error = await failure(() => sut.query('up', Date.now()));
      expect(error.message).toBe(
        `Prometheus ${server.url}/api/v1/query: the answer is larger than 1048576 bytes; not read further`,
      );
      expect(error.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('sends the query form-encoded with the bearer token read from its file, and keeps a path prefix', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-prom-token-'));
    const tokenFile = path.join(dir, 'token');
    fs.writeFileSync(tokenFile, 'first-token\n');
    const seen: { url?: string; auth?: string; body: string }[] = [];
    const server = await serve((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c));
      req.on('end', () => {
        seen.push({ url: req.url, auth: req.headers.authorization, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end(VECTOR);
      });
    });
    try {
      const sut = new PrometheusClient({ url: `${server.url}/prom/`, timeoutMs: 20_000, bearerTokenFile: tokenFile });
      expect(await sut.query('max(up{job="a"})', 1_700_000_000_000)).toEqual([{ metric: { pod: 'a' }, value: 0.25 }]);
      fs.writeFileSync(tokenFile, 'rotated-token');
      await sut.query('up', 1_700_000_000_000);
      expect(seen.map((s) => [s.url, s.auth])).toEqual([
        ['/prom/api/v1/query', 'Bearer first-token'],
        ['/prom/api/v1/query', 'Bearer rotated-token'],
      ]);
      expect(new URLSearchParams(seen[0].body).get('query')).toBe('max(up{job="a"})');
      expect(new URLSearchParams(seen[0].body).get('time')).toBe('1700000000.000');
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the token file and the key when the file cannot be read', async () => {
    const sut = new PrometheusClient({
      url: 'http://127.0.0.1:1',
      timeoutMs: 1000,
      bearerTokenFile: '/nonexistent/opsagent-token',
    });
    const error = await failure(() => sut.query('up', Date.now()));
    expect(error.message).toBe(
      'Prometheus http://127.0.0.1:1/api/v1/query: cannot read usage.prometheus.bearerTokenFile /nonexistent/opsagent-token (ENOENT)',
    );
  });

  it("gives Prometheus' own error of a refused query with its status", async () => {
    const server = await serve((_req, res) =>
      res.writeHead(422, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          status: 'error',
          errorType: 'execution',
          error: 'query processing would load too many samples',
        }),
      ),
    );
    try {
      const sut = new PrometheusClient({ url: server.url, timeoutMs: 20_000 });
      const error = await failure(() => sut.query('up', Date.now()));
      expect(error.message).toBe(
        `Prometheus ${server.url}/api/v1/query: HTTP 422 execution: query processing would load too many samples`,
      );
      expect(error.status).toBe(422);
    } finally {
      await server.close();
    }
  });

  it('refuses an answer that is not an instant vector', async () => {
    const server = await serve((_req, res) =>
      res.writeHead(200).end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } })),
    );
    try {
      const sut = new PrometheusClient({ url: server.url, timeoutMs: 20_000 });
      expect((await failure(() => sut.query('up[5m]', Date.now()))).message).toMatch(/expected a vector, got matrix$/);
    } finally {
      await server.close();
    }
  });
});
