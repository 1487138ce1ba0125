import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { OpsAgentConfig } from '@opsagent/core/config/config.schema';
import { AuthModule } from './auth/auth.module';
import { LOG_LINE_FORMAT } from './common/json-log';
import { ConfigModule } from './config/config.module';
import type { RuntimeEnvironment } from './config/environment';
import { DetectionModule } from './detection/detection.module';
import { HealthModule } from './health/health.module';
import { IssuesModule } from './issues/issues.module';
import { MetricsModule } from './metrics/metrics.module';

/** Paths whose values never reach a log line (pino-http request logs, should they be enabled). */
export const REDACTED_LOG_PATHS = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'];

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
            redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
            ...LOG_LINE_FORMAT,
          },
        }),
        AuthModule,
        MetricsModule,
        IssuesModule,
        DetectionModule,
        HealthModule,
      ],
    };
  }
}
