import { Module } from '@nestjs/common';
import { makeCounterProvider } from '@willsoto/nestjs-prometheus';
import { OpsAgentConfig } from '@opsagent/core/config/config.schema';
import { IssuesModule } from '../issues/issues.module';
import { KubernetesModule } from '../kubernetes/kubernetes.module';
import { FileHistoryStore, HistoryStore, MemoryOnlyHistoryStore } from './history-store';
import { USAGE_METRIC, UsageHistoryService } from './usage-history.service';

@Module({
  imports: [KubernetesModule, IssuesModule],
  providers: [
    {
      provide: HistoryStore,
      useFactory: (config: OpsAgentConfig) =>
        config.usage.historyFile ? new FileHistoryStore(config.usage.historyFile) : new MemoryOnlyHistoryStore(),
      inject: [OpsAgentConfig],
    },
    makeCounterProvider({
      name: USAGE_METRIC.sampleReads,
      help: 'PodMetrics reads between scans (usage.sampleInterval) by result: ok or failed',
      labelNames: ['result'],
    }),
    makeCounterProvider({
      name: USAGE_METRIC.historyWrites,
      help: 'Saves of the usage history file (usage.historyFile) by result: ok or failed',
      labelNames: ['result'],
    }),
    UsageHistoryService,
  ],
  exports: [UsageHistoryService],
})
export class UsageModule {}
