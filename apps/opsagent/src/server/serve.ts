import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import type { OpsAgentConfig } from '@opsagent/core/config/config.schema';
import { parseDuration } from '@opsagent/core/duration';
import { AppModule } from '../app.module';
import { ApiAuthenticator } from '../auth/api-authenticator.service';
import { authenticateExpressRoutes } from '../auth/auth.middleware';
import { HttpErrorFilter, validationPipe } from '../common/http-errors';
import { shedLoad } from '../common/load-shedding';
import { answerClientErrorsAsJson, rejectLargeBodies } from '../common/request-limits';
import { RuntimeEnvironment } from '../config/environment';
import { DetectionService } from '../detection/detection.service';
import { LeaderElectionService } from '../leader-election/leader-election.service';
import { ScanScheduler } from '../detection/scan-scheduler.service';
import { MetricsHttpModule } from '../metrics/metrics-http.module';
import { MetricsService } from '../metrics/metrics.service';
import { buildOpenApiDocument } from './openapi';
import { ListenError } from './server.errors';
import { loadDashboard, serveDashboard } from './dashboard';

export interface RunningAgent {
  apiUrl: string;
  metricsUrl: string;
  /** Stops the scheduler, lets a running scan end (or aborts it after `graceMs`), closes both servers. */
  close(graceMs?: number): Promise<void>;
}

/** Starts the service: the API on `server.port`, Prometheus metrics on `metrics.port`, and the scheduler. */
export async function startAgent(
  config: OpsAgentConfig,
  environment = RuntimeEnvironment.fromProcess(),
  version = '0.0.0',
): Promise<RunningAgent> {
  const app = await NestFactory.create(AppModule.forRoot(config, environment), {
    // Nest's own lines wait for the JSON logger. A failed start (no kubeconfig) is thrown to the caller, which
    // reports it as one JSON line: flushing them then would print Nest's coloured text and a stack trace.
    bufferLogs: true,
    autoFlushLogs: false,
    abortOnError: false,
    // No endpoint takes a body: nothing to parse, nothing to overflow.
    bodyParser: false,
  });
  const logger = app.get(Logger);
  app.get(MetricsService).build(version);
  // No framework fingerprint in responses.
  (app.getHttpAdapter().getInstance() as { disable(setting: string): void }).disable('x-powered-by');
  app.useLogger(logger);
  app.flushLogs();
  // Before Express: API requests past the event loop's busy budget are refused cheaply, so /health stays
  // answered under any REST load.
  shedLoad(app.getHttpServer(), parseDuration(config.server.shedAfterBusy), /^\/api\//);
  app.use(rejectLargeBodies());
  // The dashboard's page and assets (issue 15 §1): no authentication, they hold no data; its data is the API's.
  const dashboard = loadDashboard();
  if (!dashboard) logger.warn('the dashboard was not built (dist/apps/dashboard): GET / answers 404', 'Bootstrap');
  app.use(serveDashboard(dashboard));
  answerClientErrorsAsJson(app.getHttpServer());
  app.useGlobalPipes(validationPipe());
  const errors = new HttpErrorFilter((error) => logger.error({ err: error }, 'unexpected error in a request'));
  app.useGlobalFilters(errors);
  // Swagger's routes bypass Nest's guards: authenticate them here, as the guard does the API's.
  app.use(authenticateExpressRoutes(/^\/api\/docs/, app.get(ApiAuthenticator), errors));
  setUpOpenApi(app, version, config.server.auth.mode === 'kubernetes');

  let metricsApp: INestApplication | undefined;
  try {
    await listen(app, 'server.port', config.server.port);
    metricsApp = await NestFactory.create(MetricsHttpModule, { logger: false, abortOnError: false, bodyParser: false });
    metricsApp.use(rejectLargeBodies());
    answerClientErrorsAsJson(metricsApp.getHttpServer());
    metricsApp.useGlobalFilters(new HttpErrorFilter((error) => logger.error({ err: error }, 'unexpected error')));
    await listen(metricsApp, 'metrics.port', config.metrics.port);
  } catch (error) {
    // Listening starts the scheduler (and the startup scan) first: stop it, or it would keep the process alive.
    app.get(ScanScheduler).stop();
    await app.get(LeaderElectionService).stop();
    await Promise.allSettled([app.close(), metricsApp?.close()]);
    throw error;
  }
  logger.log(`serving: API on :${config.server.port}, metrics on :${config.metrics.port}`, 'Bootstrap');

  return {
    apiUrl: `http://127.0.0.1:${config.server.port}`,
    metricsUrl: `http://127.0.0.1:${config.metrics.port}`,
    async close(graceMs = 5_000) {
      app.get(ScanScheduler).stop();
      const leadership = app.get(LeaderElectionService);
      // With leader election another replica takes over and scans again: hand over now rather than finish.
      await app.get(DetectionService).stop(leadership.enabled ? 0 : graceMs);
      // Nothing scans or writes any more: release the Lease, so a follower takes over at its next attempt.
      await leadership.stop();
      await Promise.all([app.close(), metricsApp.close()]);
    },
  };
}

/** Listens on `port`; a failure (the port is taken, or privileged) is a ListenError naming the config key. */
async function listen(app: INestApplication, key: ListenError['key'], port: number): Promise<void> {
  try {
    await app.listen(port);
  } catch (error) {
    throw new ListenError(key, port, error);
  }
}

function setUpOpenApi(app: INestApplication, version: string, authEnabled: boolean): void {
  const document = buildOpenApiDocument(app, version, authEnabled);
  // /api/docs (browsable page) and /api/docs-json (the OpenAPI document)
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
}
