import { Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';

/** Root module of the second HTTP server, on `metrics.port`: `GET /metrics` plus process metrics. */
@Module({
  imports: [PrometheusModule.register({ path: '/metrics', defaultMetrics: { enabled: true } })],
})
export class MetricsHttpModule {}
