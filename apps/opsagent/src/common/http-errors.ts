import {
  ArgumentsHost,
  type ArgumentMetadata,
  BadRequestException,
  Catch,
  HttpException,
  HttpStatus,
  ValidationPipe,
  type ExceptionFilter,
} from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import type { Response } from 'express';
import { InvalidContinueTokenError } from '../issues/issue-store.types';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: { parameter: string; reason: string }[];
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
    const response = host.switchToHttp().getResponse<Response>();
    const [status, payload] = this.toBody(exception);
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

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function body(statusCode: number, message: string, details?: ErrorBody['details']): [number, ErrorBody] {
  return [statusCode, { statusCode, error: REASONS[statusCode] ?? 'Error', message, ...(details ? { details } : {}) }];
}
