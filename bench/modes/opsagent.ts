/**
 * opsagent: a full scan through the real KubernetesClusterReader and DetectionService, with a real IssueStore,
 * MetricsService and pino logger (to /dev/null), built as KubernetesModule and detection.service.spec.ts
 * build them. The service's state (issues, usage history) carries over from scan to scan, as in the service.
 */
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { KubeConfig } from '@kubernetes/client-node';
import { PinoLogger } from 'nestjs-pino';
import pino from 'pino';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DetectionService } from '../../apps/opsagent/src/detection/detection.service';
import { IssueStore } from '../../apps/opsagent/src/issues/issue-store.service';
import {
  ClusterReader,
  type ClusterSnapshot,
  type ReadOptions,
  type ReadAttribution,
  type UsageRead,
} from '../../apps/opsagent/src/kubernetes/cluster-reader';
import { FileHistoryStore, MemoryOnlyHistoryStore } from '../../apps/opsagent/src/usage/history-store';
import { USAGE_METRIC, UsageHistoryService } from '../../apps/opsagent/src/usage/usage-history.service';
import { KubeApiClient } from '../../apps/opsagent/src/kubernetes/kube-api.client';
import { KubernetesClusterReader } from '../../apps/opsagent/src/kubernetes/kubernetes-cluster-reader';
import { MetricsService } from '../../apps/opsagent/src/metrics/metrics.service';
import { METRIC } from '../../apps/opsagent/src/metrics/metrics.names';
import { parseConfig } from '../../libs/core/src/config/config.loader';
import type { WorkerInit } from '../protocol';
import type { Runner } from '../scan-worker';

/** Times the read, so a scan splits into reading and everything after it (evaluate, store, log, metrics). */
class TimedReader extends ClusterReader {
  lastMs = 0;
  constructor(private readonly inner: ClusterReader) {
    super();
  }
  async read(options: ReadOptions): Promise<ClusterSnapshot> {
    const started = performance.now();
    try {
      return await this.inner.read(options);
    } finally {
      this.lastMs = performance.now() - started;
    }
  }
  readUsage(attribution: ReadAttribution, options: Parameters<ClusterReader['readUsage']>[1]): Promise<UsageRead> {
    return this.inner.readUsage(attribution, options);
  }
  get clusterIdentity(): string {
    return this.inner.clusterIdentity;
  }
}

function metricsService(): MetricsService {
  const registers = [new Registry()];
  return new MetricsService(
    new Counter({ name: METRIC.runs, help: 'scans', labelNames: ['status'], registers }),
    new Counter({ name: METRIC.issuesFound, help: 'findings', labelNames: ['rule', 'severity'], registers }),
    new Histogram({ name: METRIC.duration, help: 'scan duration', registers }),
    new Gauge({ name: METRIC.bySeverity, help: 'issues', labelNames: ['severity'], registers }),
    new Gauge({ name: METRIC.lastSuccess, help: 'last success', registers }),
    new Counter({ name: METRIC.skipped, help: 'skipped', registers }),
    new Counter({ name: METRIC.kubeRequests, help: 'requests', labelNames: ['resource', 'code'], registers }),
    new Gauge({ name: METRIC.buildInfo, help: 'build', labelNames: ['version', 'node_version'], registers }),
    new Gauge({ name: METRIC.leader, help: 'leader', registers }),
    new Gauge({ name: METRIC.wasteCpu, help: 'waste cpu', labelNames: ['namespace'], registers }),
    new Gauge({ name: METRIC.wasteMemory, help: 'waste memory', labelNames: ['namespace'], registers }),
    new Gauge({ name: METRIC.wasteCost, help: 'waste cost', labelNames: ['namespace'], registers }),
  );
}

/** The service's logger setup (app.module.ts), writing to /dev/null: log lines are built, then dropped. */
function detectionLogger(): PinoLogger {
  const logger = new PinoLogger({
    pinoHttp: [
      {
        level: 'info',
        base: { service: 'opsagent' },
        timestamp: () => `,"time":"${new Date().toISOString()}"`,
        formatters: { level: (label: string) => ({ level: label }) },
      },
      pino.destination({ dest: '/dev/null', sync: false }),
    ],
  });
  logger.setContext(DetectionService.name);
  return logger;
}

export function createRunner(init: WorkerInit): Runner {
  // Scans run back to back here: no minimum gap between manual scans.
  const config = parseConfig({ scanMinInterval: '0s', ...init.config });
  const kc = new KubeConfig();
  kc.loadFromFile(init.kubeconfig);
  // As KubernetesModule builds it.
  const reader = new TimedReader(
    new KubernetesClusterReader(
      new KubeApiClient(kc, { requestTimeoutMs: 30_000, retries: config.kubernetes.retries }),
      {
        pageSize: init.pageSize,
      },
    ),
  );
  const store = new IssueStore();
  const registers = [new Registry()];
  const usage = new UsageHistoryService(
    reader,
    store,
    config.usage.historyFile ? new FileHistoryStore(config.usage.historyFile) : new MemoryOnlyHistoryStore(),
    config,
    new Counter({ name: USAGE_METRIC.sampleReads, help: 'reads', labelNames: ['result'], registers }),
    new Counter({ name: USAGE_METRIC.historyWrites, help: 'writes', labelNames: ['result'], registers }),
    detectionLogger(),
  );
  const detection = new DetectionService(reader, store, metricsService(), config, detectionLogger(), usage);

  // Steady state: each scan happens one schedule interval after the previous one, as far as the usage
  // history's window can tell (it reads Date.now()).
  let clockOffset = 0;
  if (init.clockStepMs !== undefined) {
    const realNow = Date.now.bind(Date);
    Date.now = () => realNow() + clockOffset;
  }

  return async () => {
    const started = performance.now();
    const scan = await detection.runOnce('api');
    const durationMs = performance.now() - started;
    if (init.clockStepMs !== undefined) clockOffset += init.clockStepMs;
    if (scan.status !== 'succeeded') {
      throw new Error(`scan ${scan.status}: ${JSON.stringify(scan.errors)}`);
    }
    const c = scan.counts!;
    return {
      durationMs,
      readMs: reader.lastMs,
      requests: c.apiRequests,
      bytes: c.apiBytes,
      items: 0,
      status: scan.status,
      issues: c.issues,
      newIssues: c.new,
      workloads: c.workloads,
      containers: c.containers,
      usageSamples: c.usageSamples,
    };
  };
}
