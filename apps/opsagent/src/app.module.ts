import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { pino } from 'pino';
import type { OpsAgentConfig } from '@opsagent/core/config/config.schema';
import { AuthModule } from './auth/auth.module';
import { LOG_LINE_FORMAT } from './common/json-log';
import { redactingSerializers } from './common/log-redaction';
import { ConfigModule } from './config/config.module';
import type { RuntimeEnvironment } from './config/environment';
import { DetectionModule } from './detection/detection.module';
import { HealthModule } from './health/health.module';
import { IssuesModule } from './issues/issues.module';
import { LeaderElectionModule } from './leader-election/leader-election.module';
import { MetricsModule } from './metrics/metrics.module';

@Module({})
export class AppModule {
  static forRoot(config: OpsAgentConfig, environment: RuntimeEnvironment): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config, environment),
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            // One line per scan and per new/resolved issue is the log; request lines would drown it.
            autoLogging: false,
            // Lines logged inside a request carry it (`req`): credential-bearing headers are redacted by name,
            // case-insensitively (common/log-redaction.ts). Scans run outside the request that started them.
            serializers: redactingSerializers,
            ...LOG_LINE_FORMAT,
            // Written as it is logged (pino's default stdout stream is asynchronous): a first scan logs an
            // `issue-new` line per issue in one go (21,800 at the bench's large size, ~30 MB), which an
            // asynchronous stream would hold in memory until the scan yields.
            stream: pino.destination({ dest: 1, sync: true }),
          },
        }),
        AuthModule,
        MetricsModule,
        IssuesModule,
        DetectionModule,
        LeaderElectionModule,
        HealthModule,
      ],
    };
  }
}
