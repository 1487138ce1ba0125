import { Global, Module, type DynamicModule } from '@nestjs/common';
import { OpsAgentConfig } from '@opsagent/core/config/config.schema';
import { RuntimeEnvironment } from './environment';

/** Provides the validated config (loaded once, before the app is built) and the runtime environment. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: OpsAgentConfig, environment: RuntimeEnvironment): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: OpsAgentConfig, useValue: config },
        { provide: RuntimeEnvironment, useValue: environment },
      ],
      exports: [OpsAgentConfig, RuntimeEnvironment],
    };
  }
}
