import { Module } from '@nestjs/common';
import { OpsAgentConfig } from '@opsagent/core/config/config.schema';
import { parseDuration } from '@opsagent/core/duration';
import { PrometheusClient } from './prometheus.client';
import { PrometheusUsageReader } from './prometheus-usage.reader';
import { WindowUsageReader } from './window-usage-reader';

/** The Prometheus usage source of `usage.prometheus`; undefined unless `usage.source` is `prometheus`. */
export function createWindowUsageReader(config: OpsAgentConfig): PrometheusUsageReader | undefined {
  const { source, prometheus } = config.usage;
  // The config's cross-check makes the url required with this source.
  if (source !== 'prometheus' || prometheus.url === undefined) return undefined;
  const client = new PrometheusClient({
    url: prometheus.url,
    timeoutMs: parseDuration(prometheus.timeout),
    bearerTokenFile: prometheus.bearerTokenFile,
  });
  return new PrometheusUsageReader(client, {
    windowMs: parseDuration(config.overProvisioning.window),
    rateRangeMs: parseDuration(prometheus.rateRange),
  });
}

@Module({
  providers: [
    {
      provide: WindowUsageReader,
      // null (no window source) with `usage.source: metrics-server`: detection samples PodMetrics itself.
      useFactory: (config: OpsAgentConfig) => createWindowUsageReader(config) ?? null,
      inject: [OpsAgentConfig],
    },
  ],
  exports: [WindowUsageReader],
})
export class PrometheusModule {}
