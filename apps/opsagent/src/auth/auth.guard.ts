import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { ApiAuthenticator } from './api-authenticator.service';

/** The authentication of Nest's routes (`server.auth.mode`); a no-op in mode `none`. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly authenticator: ApiAuthenticator) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    await this.authenticator.authorize(request.path, request.method, request.headers.authorization);
    return true;
  }
}
