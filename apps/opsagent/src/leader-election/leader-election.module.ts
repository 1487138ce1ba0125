import { Module } from '@nestjs/common';
import { KubeConfig } from '@kubernetes/client-node';
import { OpsAgentConfig } from '@opsagent/core/config/config.schema';
import { RuntimeEnvironment } from '../config/environment';
import { IssuesModule } from '../issues/issues.module';
import { KubernetesModule } from '../kubernetes/kubernetes.module';
import { MetricsModule } from '../metrics/metrics.module';
import { ReportsModule } from '../reports/reports.module';
import { KubernetesLeaseLock } from './kubernetes-lease-lock';
import { KubernetesReportFeed } from './kubernetes-report-feed';
import { LeaderElectionService } from './leader-election.service';
import { resolveLeaderElection, type LeaderElectionSettings } from './leader-election.settings';
import { LEADER_ELECTION_SETTINGS } from './leader-election.tokens';
import { Leadership } from './leadership';
import { LeaseLock } from './lease-lock';
import { ReportFeed } from './report-feed';
import { ReportMirror } from './report-mirror.service';

@Module({
  imports: [KubernetesModule, MetricsModule, IssuesModule, ReportsModule],
  providers: [
    {
      provide: LEADER_ELECTION_SETTINGS,
      useFactory: (config: OpsAgentConfig, environment: RuntimeEnvironment) =>
        resolveLeaderElection(config, environment),
      inject: [OpsAgentConfig, RuntimeEnvironment],
    },
    {
      provide: LeaseLock,
      useFactory: (settings: LeaderElectionSettings | undefined, kubeConfig: KubeConfig) =>
        settings ? new KubernetesLeaseLock(kubeConfig, settings.namespace, settings.leaseName) : undefined,
      inject: [LEADER_ELECTION_SETTINGS, KubeConfig],
    },
    {
      provide: ReportFeed,
      useFactory: (kubeConfig: KubeConfig) => new KubernetesReportFeed(kubeConfig),
      inject: [KubeConfig],
    },
    ReportMirror,
    LeaderElectionService,
    { provide: Leadership, useExisting: LeaderElectionService },
  ],
  exports: [Leadership, LeaderElectionService],
})
export class LeaderElectionModule {}
