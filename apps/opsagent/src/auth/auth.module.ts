import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { KubernetesModule } from '../kubernetes/kubernetes.module';
import { AuthGuard } from './auth.guard';

/** Optional API authentication (`server.auth.mode`); a no-op guard in mode `none`. */
@Module({
  imports: [KubernetesModule],
  providers: [{ provide: APP_GUARD, useClass: AuthGuard }],
})
export class AuthModule {}
