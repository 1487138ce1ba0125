import { createHash } from 'node:crypto';
import { ForbiddenException, Injectable, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { OpsAgentConfig } from '@opsagent/core/config/config.schema';
import { parseDuration } from '@opsagent/core/duration';
import { RetryLaterException } from '../common/http-errors';
import { AccessReviewError, AccessReviewer, type ReviewOutcome } from '../kubernetes/access-reviewer';
import { TokenBucket } from './token-bucket';

/** Probes must work without credentials (the OpenAPI document declares no security on them). */
export const OPEN_PATHS = /^\/health(\/|$)/;
/** Bound on cached review results (a result is a few hundred bytes). */
const MAX_CACHE = 10_000;
/** A denial (invalid token, path not allowed) is kept at most this long, so a fix of RBAC shows soon. */
const MAX_NEGATIVE_TTL_MS = 10_000;

/**
 * `server.auth.mode: kubernetes`: every API request but the health probes needs a bearer token that a
 * TokenReview accepts and a SubjectAccessReview allows for the request path (non-resource URL; verb =
 * the lower-case HTTP method, as the API server itself uses for non-resource URLs). Results are cached
 * for `server.auth.cacheTtl` (denials for at most 10 s) under a hash of the token, never the token itself.
 *
 * The reviews are bounded: each has `server.auth.reviewTimeout`, at most `server.auth.reviewsPerSecond`
 * start per second (every request with a new token starts one), and concurrent requests with the same
 * token, path and verb share one review.
 */
@Injectable()
export class ApiAuthenticator {
  readonly enabled: boolean;
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly timeoutMs: number;
  private readonly reviewsPerSecond: number;
  private readonly budget: TokenBucket;
  private readonly cache = new Map<string, { expires: number; outcome: ReviewOutcome }>();
  private readonly inFlight = new Map<string, Promise<ReviewOutcome>>();

  constructor(
    config: OpsAgentConfig,
    private readonly reviewer: AccessReviewer,
    @InjectPinoLogger(ApiAuthenticator.name) private readonly logger: PinoLogger,
  ) {
    const auth = config.server.auth;
    this.enabled = auth.mode === 'kubernetes';
    this.ttlMs = parseDuration(auth.cacheTtl);
    this.negativeTtlMs = Math.min(this.ttlMs, MAX_NEGATIVE_TTL_MS);
    this.timeoutMs = parseDuration(auth.reviewTimeout);
    this.reviewsPerSecond = auth.reviewsPerSecond;
    this.budget = new TokenBucket(auth.reviewsPerSecond, auth.reviewsPerSecond);
  }

  /**
   * Resolves when the request may go on; otherwise rejects with the HTTP exception to answer (401, 403,
   * or 503, with Retry-After when the review budget is spent).
   */
  async authorize(path: string, method: string, authorization: string | undefined): Promise<void> {
    if (!this.enabled || OPEN_PATHS.test(path)) return;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) throw new UnauthorizedException('a bearer token is required (Authorization: Bearer <token>)');
    const verb = method.toLowerCase();
    const outcome = await this.review(match[1], path, verb);
    if (outcome.allowed) return;
    if (outcome.status === 401) throw new UnauthorizedException(outcome.reason);
    throw new ForbiddenException(outcome.reason);
  }

  private async review(token: string, path: string, verb: string): Promise<ReviewOutcome> {
    const key = createHash('sha256').update(token).update('\0').update(verb).update('\0').update(path).digest('hex');
    const cached = this.cache.get(key);
    if (cached && cached.expires > Date.now()) return cached.outcome;
    const running = this.inFlight.get(key);
    if (running) return running;
    const waitMs = this.budget.take();
    if (waitMs > 0) {
      this.logger.warn({ event: 'auth-review-throttled', retryAfterMs: waitMs }, 'access review budget spent');
      throw new RetryLaterException(
        503,
        `too many callers to verify (server.auth.reviewsPerSecond: ${this.reviewsPerSecond}); retry later`,
        waitMs,
      );
    }
    const review = this.reviewOnce(token, path, verb, key).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, review);
    return review;
  }

  private async reviewOnce(token: string, path: string, verb: string, key: string): Promise<ReviewOutcome> {
    const abort = new AbortController();
    const timer = setTimeout(
      () => abort.abort(new Error(`no answer within ${this.timeoutMs} ms (server.auth.reviewTimeout)`)),
      this.timeoutMs,
    );
    let outcome: ReviewOutcome;
    try {
      outcome = await this.reviewer.review(token, path, verb, abort.signal);
    } catch (error) {
      if (!(error instanceof AccessReviewError)) throw error;
      this.logger.warn({ event: 'auth-review-failed', reason: error.message }, 'access review failed');
      throw new ServiceUnavailableException('cannot verify the caller now (the Kubernetes API did not answer)');
    } finally {
      clearTimeout(timer);
    }
    const ttl = outcome.allowed ? this.ttlMs : this.negativeTtlMs;
    if (ttl > 0) {
      if (this.cache.size >= MAX_CACHE) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, { expires: Date.now() + ttl, outcome });
    }
    return outcome;
  }
}
