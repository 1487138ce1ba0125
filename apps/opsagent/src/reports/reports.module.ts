import { Module } from '@nestjs/common';
import { KubeConfig } from '@kubernetes/client-node';
import { OpsAgentConfig } from '@opsagent/core/config/config.schema';
import { parseDuration } from '@opsagent/core/duration';
import { KubernetesModule } from '../kubernetes/kubernetes.module';
import { KubernetesReportsApi } from './kubernetes-reports-api';
import { ReportPublisher } from './report-publisher.service';
import { ReportsApi } from './reports-api';

@Module({
  imports: [KubernetesModule],
  providers: [
    {
      provide: ReportsApi,
      useFactory: (kc: KubeConfig, config: OpsAgentConfig) =>
        new KubernetesReportsApi(kc, parseDuration(config.kubernetes.requestTimeout)),
      inject: [KubeConfig, OpsAgentConfig],
    },
    ReportPublisher,
  ],
  exports: [ReportsApi, ReportPublisher],
})
export class ReportsModule {}
