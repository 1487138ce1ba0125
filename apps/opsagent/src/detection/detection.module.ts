import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { IssuesModule } from '../issues/issues.module';
import { KubernetesModule } from '../kubernetes/kubernetes.module';
import { LeaderElectionModule } from '../leader-election/leader-election.module';
import { MetricsModule } from '../metrics/metrics.module';
import { PrometheusModule } from '../prometheus/prometheus.module';
import { ReportsModule } from '../reports/reports.module';
import { UsageModule } from '../usage/usage.module';
import { WorkloadsModule } from '../workloads/workloads.module';
import { DetectionService } from './detection.service';
import { ScansController } from './scans.controller';
import { ScanScheduler } from './scan-scheduler.service';

@Module({
  imports: [
    ScheduleModule.forRoot(),
    KubernetesModule,
    IssuesModule,
    MetricsModule,
    UsageModule,
    ReportsModule,
    PrometheusModule,
    LeaderElectionModule,
    WorkloadsModule,
  ],
  controllers: [ScansController],
  providers: [DetectionService, ScanScheduler],
  exports: [DetectionService, ScanScheduler],
})
export class DetectionModule {}
