import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import type { ErrorBody } from './http-errors';

/**
 * No endpoint reads a request body (the servers run without a body parser), so a body is only ever
 * discarded. A request with one above this many bytes is refused with 413 instead of being handled (a
 * 5 MB POST /api/v1/scans must not start a scan); the bound leaves room for the `{}` or small form some
 * tools send with a POST.
 */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;

/**
 * Express middleware: 413 with the JSON error body for a request whose body exceeds `maxBytes`. A body over
 * the limit (by its Content-Length, or counted as a chunked one arrives) is read to its end and discarded
 * before the answer, as body-parser does: memory stays flat, the server's requestTimeout bounds the time,
 * and the client reads the 413 — a server that answers and closes while the client still sends makes the
 * client's TCP stack drop the answer (EPIPE/ECONNRESET instead of a 413).
 */
export function rejectLargeBodies(maxBytes = MAX_REQUEST_BODY_BYTES) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const declared = req.headers['content-length'];
    const chunked = req.headers['transfer-encoding'] !== undefined;
    // No body, or a small declared one (Node discards it after the answer). Node has already refused a
    // malformed Content-Length, so what is left is a decimal number.
    if ((declared === undefined && !chunked) || (declared !== undefined && Number(declared) <= maxBytes)) {
      next();
      return;
    }
    let received = 0;
    req.on('data', (chunk: Buffer) => (received += chunk.length));
    req.once('end', () => (received > maxBytes ? tooLarge(res, maxBytes) : next()));
  };
}

function tooLarge(res: Response, maxBytes: number): void {
  const body: ErrorBody = {
    statusCode: 413,
    error: 'Payload Too Large',
    message: `request bodies are limited to ${maxBytes} bytes (no endpoint reads one)`,
  };
  res.status(413).json(body);
}

/** The status Node's HTTP parser errors map to, as Node's own fallback answers them. */
function clientErrorStatus(code: string | undefined): [number, string, string] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'Request Header Fields Too Large', 'the request line and headers exceed the server limit'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'Request Timeout', 'the request was not received in time'];
    default:
      return [400, 'Bad Request', 'the request is not valid HTTP/1.1'];
  }
}

/**
 * Requests Node's parser rejects (headers over 16 KB, a broken request line or Content-Length) never reach
 * Express; Node answers them with an empty body. Answer them with the same JSON error body as every other
 * failure instead. Written to the socket directly: there is no request or response object at this point.
 */
export function answerClientErrorsAsJson(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    // As Node's own handler: never write into a response already under way, or to a closed socket.
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const [statusCode, reason, message] = clientErrorStatus(error.code);
    const body = JSON.stringify({ statusCode, error: reason, message } satisfies ErrorBody);
    socket.end(
      `HTTP/1.1 ${statusCode} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
