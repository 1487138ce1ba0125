import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { IssuesModule } from '../issues/issues.module';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), IssuesModule],
  controllers: [HealthController],
})
export class HealthModule {}
