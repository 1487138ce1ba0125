import { Module, type OnModuleInit } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { Gauge, register } from 'prom-client';

/** Root module of the second HTTP server, on `metrics.port`: `GET /metrics` plus process metrics. */
@Module({
  imports: [PrometheusModule.register({ path: '/metrics', defaultMetrics: { enabled: true } })],
})
export class MetricsHttpModule implements OnModuleInit {
  onModuleInit(): void {
    dropTotalGauges();
  }
}

/**
 * Removes prom-client's `nodejs_active_{handles,requests,resources}_total` from the registry: gauges whose `_total`
 * suffix promtool (and OpenMetrics) reserve for counters. Nothing is lost: `sum(nodejs_active_handles)` over its
 * `type` label is the same number. Returns the names removed.
 */
export function dropTotalGauges(registry = register): string[] {
  const names = registry
    .getMetricsAsArray()
    .filter((metric) => metric.name.endsWith('_total') && (metric as unknown) instanceof Gauge)
    .map((metric) => metric.name);
  for (const name of names) registry.removeSingleMetric(name);
  return names;
}
