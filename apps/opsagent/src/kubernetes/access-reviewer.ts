import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { abortableCall } from './abortable-call';

export type ReviewOutcome = { allowed: true; username: string } | { allowed: false; status: 401 | 403; reason: string };

/** Port: may the holder of this bearer token do `verb` on the non-resource URL `path`? */
export abstract class AccessReviewer {
  /** `signal` ends the review: the calls under way are aborted and the promise rejects with AccessReviewError. */
  abstract review(token: string, path: string, verb: string, signal: AbortSignal): Promise<ReviewOutcome>;
}

/** The answer could not be obtained (API server unreachable or too slow, review APIs refused). */
export class AccessReviewError extends Error {
  override name = 'AccessReviewError';
}

/** TokenReview, then SubjectAccessReview, through @kubernetes/client-node's typed APIs (a few calls per cache TTL). */
export class KubernetesAccessReviewer extends AccessReviewer {
  private readonly authn: AuthenticationV1Api;
  private readonly authz: AuthorizationV1Api;

  constructor(kubeConfig: KubeConfig) {
    super();
    this.authn = kubeConfig.makeApiClient(AuthenticationV1Api);
    this.authz = kubeConfig.makeApiClient(AuthorizationV1Api);
  }

  async review(token: string, path: string, verb: string, signal: AbortSignal): Promise<ReviewOutcome> {
    let user: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> } | undefined;
    try {
      const tokenReview = await abortableCall(signal, (options) =>
        this.authn.createTokenReview(
          { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } },
          options,
        ),
      );
      if (!tokenReview.status?.authenticated) {
        return { allowed: false, status: 401, reason: 'the bearer token is not valid' };
      }
      user = tokenReview.status.user ?? {};
    } catch (error) {
      throw new AccessReviewError(`TokenReview failed: ${describe(error, signal)}`);
    }
    try {
      const access = await abortableCall(signal, (options) =>
        this.authz.createSubjectAccessReview(
          {
            body: {
              apiVersion: 'authorization.k8s.io/v1',
              kind: 'SubjectAccessReview',
              spec: {
                user: user.username,
                uid: user.uid,
                groups: user.groups,
                extra: user.extra,
                nonResourceAttributes: { path, verb },
              },
            },
          },
          options,
        ),
      );
      return access.status?.allowed
        ? { allowed: true, username: user.username ?? '' }
        : { allowed: false, status: 403, reason: `${user.username ?? 'the caller'} may not ${verb} ${path}` };
    } catch (error) {
      throw new AccessReviewError(`SubjectAccessReview failed: ${describe(error, signal)}`);
    }
  }
}

function describe(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) return (signal.reason as Error | undefined)?.message ?? 'aborted';
  const e = error as { code?: number; message?: string };
  return e.code ? `HTTP ${e.code}` : (e.message ?? String(error)).split('\n')[0];
}
