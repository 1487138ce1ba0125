import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { KubernetesModule } from '../kubernetes/kubernetes.module';
import { ApiAuthenticator } from './api-authenticator.service';
import { AuthGuard } from './auth.guard';

/** Optional API authentication (`server.auth.mode`); a no-op in mode `none`. */
@Module({
  imports: [KubernetesModule],
  providers: [ApiAuthenticator, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [ApiAuthenticator],
})
export class AuthModule {}
