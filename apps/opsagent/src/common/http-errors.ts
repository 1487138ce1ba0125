import {
  ArgumentsHost,
  type ArgumentMetadata,
  BadRequestException,
  Catch,
  HttpException,
  HttpStatus,
  NotFoundException,
  ValidationPipe,
  type ExceptionFilter,
} from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import type { Request, Response } from 'express';
import { InvalidContinueTokenError } from '../issues/issue-store.types';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: { parameter: string; reason: string }[];
}

/** A refusal the caller may retry later: answered with `Retry-After` (whole seconds, at least 1). */
export class RetryLaterException extends HttpException {
  readonly retryAfterSeconds: number;

  constructor(status: 429 | 503, message: string, retryAfterMs: number) {
    super(message, status);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  }
}

/** A 400 that names each bad parameter and why. */
export class InvalidParametersException extends BadRequestException {
  constructor(readonly details: { parameter: string; reason: string }[]) {
    super(details.map((d) => `${d.parameter}: ${d.reason}`).join('; '));
  }
}

/**
 * Keys the validation never sees: Nest's ValidationPipe deletes `__proto__`, `prototype` and `constructor`
 * before validating, and class-transformer skips the other Object.prototype members (`toString`, …) while
 * building the DTO. Without this check `?toString=1` would be ignored instead of rejected.
 */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if ((metadata.type === 'query' || metadata.type === 'param') && typeof value === 'object' && value !== null) {
      const unknown = Object.keys(value).filter((key) => PROTOTYPE_KEYS.has(key));
      if (unknown.length > 0) {
        throw new InvalidParametersException(unknown.map((parameter) => ({ parameter, reason: 'unknown parameter' })));
      }
    }
    return super.transform(value, metadata);
  }
}

/** The global pipe: unknown parameters are rejected, not ignored; messages name the parameter. */
export function validationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors: ValidationError[]) => new InvalidParametersException(flatten(errors, '')),
  });
}

function flatten(errors: ValidationError[], prefix: string): { parameter: string; reason: string }[] {
  return errors.flatMap((e) => {
    const parameter = `${prefix}${e.property}`;
    const constraints = Object.entries(e.constraints ?? {});
    if (constraints.length === 0) return flatten(e.children ?? [], `${parameter}.`);
    const reasons = new Set(
      constraints.map(([name, message]) => (name === 'whitelistValidation' ? 'unknown parameter' : message)),
    );
    return [...reasons].map((reason) => ({ parameter, reason }));
  });
}

/**
 * One JSON error body for every failure; domain errors are mapped here, at the edge. A 500 says
 * nothing about the internals (no stack, no message): those go to the log.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly onUnexpected: (error: unknown) => void) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    this.send(exception, http.getRequest<Request>(), http.getResponse<Response>());
  }

  /** Answers `exception` on `response`; also for Express middleware that runs before Nest's routing. */
  send(exception: unknown, request: Request, response: Response): void {
    // Nest's answer for a request no route took; a handler's own 404 (an unknown issue id) says something else.
    const noRoute = exception instanceof NotFoundException && /^Cannot [A-Z]+ /.test(exception.message);
    const allowed = noRoute ? allowedMethods(request) : [];
    if (allowed.length > 0) {
      // The path exists, with other methods: say so, as HTTP asks (405 with Allow), not "not found".
      response.setHeader('Allow', allowed.join(', '));
      const [status, payload] = body(
        HttpStatus.METHOD_NOT_ALLOWED,
        `${request.method} is not allowed on ${request.path}; allowed: ${allowed.join(', ')}`,
      );
      response.status(status).json(payload);
      return;
    }
    if (exception instanceof BadRequestException && exception.cause instanceof URIError) {
      // Express could not percent-decode a path parameter (`/api/v1/issues/%zz`): a route with parameters matched,
      // and no resource has a name that is not even text. Not found, as for any other unknown id.
      const path = request.path.length > 128 ? `${request.path.slice(0, 128)}…` : request.path;
      const [status, payload] = body(
        HttpStatus.NOT_FOUND,
        `nothing at ${path}: a path segment is not valid percent-encoding`,
      );
      response.status(status).json(payload);
      return;
    }
    const [status, payload] = this.toBody(exception);
    if (exception instanceof RetryLaterException)
      response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    response.status(status).json(payload);
  }

  private toBody(exception: unknown): [number, ErrorBody] {
    if (exception instanceof InvalidContinueTokenError) {
      return body(HttpStatus.BAD_REQUEST, exception.message, [
        { parameter: 'continue', reason: exception.message.replace(/^continue: /, '') },
      ]);
    }
    if (exception instanceof InvalidParametersException) {
      return body(HttpStatus.BAD_REQUEST, String(exception.message), exception.details);
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const res = exception.getResponse();
      // Terminus answers 503 with its health report as the body: keep that shape for probes and humans.
      if (status === HttpStatus.SERVICE_UNAVAILABLE && typeof res === 'object' && res !== null && 'status' in res) {
        return [status, res as unknown as ErrorBody];
      }
      const message =
        typeof res === 'string'
          ? res
          : Array.isArray((res as { message?: unknown }).message)
            ? String((res as { message: unknown[] }).message.join('; '))
            : String((res as { message?: unknown }).message ?? exception.message);
      return body(status, message);
    }
    this.onUnexpected(exception);
    return body(HttpStatus.INTERNAL_SERVER_ERROR, 'internal error (see the agent log)');
  }
}

interface RouteLayer {
  route?: { path?: unknown; _methods?: () => string[] };
  match?: (path: string) => boolean;
}

/**
 * The methods the routes of the request's path answer, when a request matched no route (Nest's "Cannot PUT
 * /x"): empty when the path itself is unknown. Read from Express's router; if its internals ever change, this
 * finds nothing and the answer stays a 404.
 */
function allowedMethods(request: Request): string[] {
  const stack = (request.app as unknown as { router?: { stack?: RouteLayer[] } }).router?.stack ?? [];
  const methods = new Set<string>();
  for (const layer of stack) {
    if (!layer.route || typeof layer.match !== 'function' || typeof layer.route._methods !== 'function') continue;
    if (String(layer.route.path).includes('*')) continue; // catch-alls (Nest's not-found handler) take every method
    if (!layer.match(request.path)) continue;
    for (const method of layer.route._methods()) methods.add(method.toUpperCase());
  }
  if (methods.has('GET')) methods.add('HEAD');
  if (methods.has(request.method.toUpperCase())) return []; // a route took it: not a method problem
  return [...methods].sort();
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function body(statusCode: number, message: string, details?: ErrorBody['details']): [number, ErrorBody] {
  return [statusCode, { statusCode, error: REASONS[statusCode] ?? 'Error', message, ...(details ? { details } : {}) }];
}
