import { createHash } from 'node:crypto';
import {
  ForbiddenException,
  Injectable,
  ServiceUnavailableException,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { Request } from 'express';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { OpsAgentConfig } from '@opsagent/core/config/config.schema';
import { parseDuration } from '@opsagent/core/duration';
import { AccessReviewError, AccessReviewer, type ReviewOutcome } from '../kubernetes/access-reviewer';

/** Probes must work without credentials. */
const OPEN_PATHS = /^\/health(\/|$)/;
/** Bound on cached review results (a result is a few hundred bytes). */
const MAX_CACHE = 10_000;

/**
 * `server.auth.mode: kubernetes`: every API request but the health probes needs a bearer token that a
 * TokenReview accepts and a SubjectAccessReview allows for the request path (non-resource URL; verb =
 * the lower-case HTTP method, as the API server itself uses for non-resource URLs). Results are cached
 * for `server.auth.cacheTtl` under a hash of the token, never the token itself.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly enabled: boolean;
  private readonly ttlMs: number;
  private readonly cache = new Map<string, { expires: number; outcome: ReviewOutcome }>();

  constructor(
    config: OpsAgentConfig,
    private readonly reviewer: AccessReviewer,
    @InjectPinoLogger(AuthGuard.name) private readonly logger: PinoLogger,
  ) {
    this.enabled = config.server.auth.mode === 'kubernetes';
    this.ttlMs = parseDuration(config.server.auth.cacheTtl);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.enabled) return true;
    const request = context.switchToHttp().getRequest<Request>();
    const path = request.path;
    if (OPEN_PATHS.test(path)) return true;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new UnauthorizedException('a bearer token is required (Authorization: Bearer <token>)');
    const verb = request.method.toLowerCase();
    const outcome = await this.review(match[1], path, verb);
    if (outcome.allowed) return true;
    if (outcome.status === 401) throw new UnauthorizedException(outcome.reason);
    throw new ForbiddenException(outcome.reason);
  }

  private async review(token: string, path: string, verb: string): Promise<ReviewOutcome> {
    const key = createHash('sha256').update(token).update('\0').update(verb).update('\0').update(path).digest('hex');
    const now = Date.now();
    const cached = this.cache.get(key);
    if (cached && cached.expires > now) return cached.outcome;
    let outcome: ReviewOutcome;
    try {
      outcome = await this.reviewer.review(token, path, verb);
    } catch (error) {
      if (!(error instanceof AccessReviewError)) throw error;
      this.logger.warn({ event: 'auth-review-failed', reason: error.message }, 'access review failed');
      throw new ServiceUnavailableException('cannot verify the caller now (the Kubernetes API did not answer)');
    }
    if (this.ttlMs > 0) {
      if (this.cache.size >= MAX_CACHE) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, { expires: now + this.ttlMs, outcome });
    }
    return outcome;
  }
}
