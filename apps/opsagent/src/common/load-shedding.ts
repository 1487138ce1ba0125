import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { ErrorBody } from './http-errors';

/**
 * Load shedding for the API routes, by the time the event loop has been busy without a break.
 *
 * Every handler is synchronous CPU work on the one event loop, and a page of 1000 issues is ~0.5 MB of JSON.
 * With 500 connections asking for such pages, each turn of the loop serves every connection that has a
 * request waiting, one after the other, and a liveness probe waited behind hundreds of them: seconds, then a
 * probe timeout. Counting requests in flight does not see that queue (each is done before the next is read);
 * it is in the turn. So: once the current turn has been busy for `budgetMs`, API requests that arrive in it
 * are answered at once with a 503, `Retry-After: 1` and the JSON error body, before Express sees them (a
 * refusal costs a few microseconds: clients that retry at once must not eat the budget's share of the loop). The turn then ends soon, and `/health`, which is never refused, is
 * answered within about one budget. The next turn starts with a fresh budget, so the API keeps serving at
 * full speed.
 */
export function shedLoad(server: Server, budgetMs: number, shed: RegExp): void {
  let turnStartedMs: number | undefined;
  const body: ErrorBody = {
    statusCode: 503,
    error: 'Service Unavailable',
    message: `the API is busy (server.shedAfterBusy: ${budgetMs} ms); retry later`,
  };
  const refusal = JSON.stringify(body);
  const headers = {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(refusal),
    'Retry-After': '1',
  };
  // The application's own listener (Express), called for every request this does not refuse.
  const listeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (shed.test(req.url ?? '')) {
      const now = performance.now();
      if (turnStartedMs === undefined) {
        turnStartedMs = now;
        // setImmediate runs after the poll phase that delivers the requests: the turn's end.
        setImmediate(() => (turnStartedMs = undefined));
      } else if (now - turnStartedMs >= budgetMs) {
        res.writeHead(503, headers).end(refusal);
        return;
      }
    }
    for (const listener of listeners) listener.call(server, req, res);
  });
}
