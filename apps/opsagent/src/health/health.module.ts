import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { IssuesModule } from '../issues/issues.module';
import { LeaderElectionModule } from '../leader-election/leader-election.module';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), IssuesModule, LeaderElectionModule],
  controllers: [HealthController],
})
export class HealthModule {}
