import type { NextFunction, Request, Response } from 'express';
import type { HttpErrorFilter } from '../common/http-errors';
import type { ApiAuthenticator } from './api-authenticator.service';

/**
 * The same authentication for routes that Nest's guards never see: SwaggerModule registers `/api/docs*`
 * on Express directly. Mount it before those routes.
 */
export function authenticateExpressRoutes(paths: RegExp, authenticator: ApiAuthenticator, errors: HttpErrorFilter) {
  return (req: Request, res: Response, next: NextFunction): void => {
    // Matched here, not by app.use(path): Express matches a mount path by whole segments (`/api/docs-json`
    // is not under `/api/docs`).
    if (!paths.test(req.path)) {
      next();
      return;
    }
    authenticator.authorize(req.path, req.method, req.headers.authorization).then(
      () => next(),
      (error: unknown) => errors.send(error, req, res),
    );
  };
}
