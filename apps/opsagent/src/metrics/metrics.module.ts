import { Module } from '@nestjs/common';
import { makeCounterProvider, makeGaugeProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import { METRIC } from './metrics.names';
import { MetricsService } from './metrics.service';

/**
 * The metric instances (in prom-client's default registry) and the service that updates them. They are
 * served by MetricsHttpModule on `metrics.port`, a server of its own, not by the API port.
 */
@Module({
  providers: [
    makeCounterProvider({ name: METRIC.runs, help: 'Detection runs by final status', labelNames: ['status'] }),
    makeCounterProvider({
      name: METRIC.issuesFound,
      help: 'Issues found, each counted once: when it is new (first found, or found again after it was resolved)',
      labelNames: ['rule', 'severity'],
    }),
    makeHistogramProvider({
      name: METRIC.duration,
      help: 'Duration of detection runs in seconds',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 240],
    }),
    makeGaugeProvider({ name: METRIC.bySeverity, help: 'Current issues by severity', labelNames: ['severity'] }),
    makeGaugeProvider({
      name: METRIC.lastSuccess,
      help: 'Unix time of the end of the last scan that succeeded or was partial',
    }),
    makeCounterProvider({ name: METRIC.skipped, help: 'Scheduled scans skipped because a scan was still running' }),
    makeCounterProvider({
      name: METRIC.kubeRequests,
      help: 'Requests to the Kubernetes API by resource and HTTP status code (error = no response)',
      labelNames: ['resource', 'code'],
    }),
    makeGaugeProvider({
      name: METRIC.buildInfo,
      help: 'Always 1; the labels are the OpsAgent version and the Node.js version it runs on',
      labelNames: ['version', 'node_version'],
    }),
    makeGaugeProvider({
      name: METRIC.leader,
      help: 'This replica holds the leader election Lease and scans (always 1 without leader election)',
    }),
    makeGaugeProvider({
      name: METRIC.wasteCpu,
      help: 'CPU requested over the recommendations of the current over-provisioning issues, in cores, by namespace',
      labelNames: ['namespace'],
    }),
    makeGaugeProvider({
      name: METRIC.wasteMemory,
      help: 'Memory requested over the recommendations of the current over-provisioning issues, in bytes, by namespace',
      labelNames: ['namespace'],
    }),
    makeGaugeProvider({
      name: METRIC.wasteCost,
      help: 'What the waste of the current over-provisioning issues costs a month (config cost.*), by namespace',
      labelNames: ['namespace'],
    }),
    MetricsService,
  ],
  exports: [MetricsService],
})
export class MetricsModule {}
