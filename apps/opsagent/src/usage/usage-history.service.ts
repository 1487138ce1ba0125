import { performance } from 'node:perf_hooks';
import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { Counter } from 'prom-client';
import { HistoryFormatError, UsageHistory } from '@opsagent/core/audit/usage-history';
import { OpsAgentConfig } from '@opsagent/core/config/config.schema';
import { parseDuration } from '@opsagent/core/duration';
import type { ScanWarning } from '@opsagent/core/issue';
import type { UsageSample } from '@opsagent/core/usage';
import { ClusterReader, type ClusterSnapshot, type ReadAttribution } from '../kubernetes/cluster-reader';
import { IssueStore } from '../issues/issue-store.service';
import { HistoryStore, type HistoryPart } from './history-store';
import { decodeIdentity, encodeIdentity, IdentityFormatError } from './issue-identity';

export const USAGE_METRIC = {
  sampleReads: 'opsagent_usage_sample_reads_total',
  historyWrites: 'opsagent_usage_history_writes_total',
} as const;

/** One read's filter of PodMetrics whose `timestamp` did not move since the last read (the same sample). */
interface SampleFilter {
  accept: (sample: UsageSample) => boolean;
  /** The read succeeded: its timestamps are the ones the next read compares with. */
  commit: () => void;
}

/**
 * The service's usage history and how it is fed: PodMetrics read every `usage.sampleInterval` between scans
 * (attributed with the last scan's workloads), each scan's own PodMetrics read, and the history file kept across
 * restarts together with the issues' first-seen times. A failed sample is logged, counted and becomes a warning
 * on the next scan; nothing else fails. The history file never stops the agent: unreadable means starting empty,
 * unwritable means going on in memory, each with a warning.
 */
@Injectable()
export class UsageHistoryService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  history: UsageHistory;
  private readonly windowMs: number;
  private readonly intervalMs: number;
  private attribution?: ReadAttribution;
  /** `namespace/pod` → the time (ms) of its PodMetrics in the last successful read. */
  /** Per namespace, per Pod: the timestamp (ms) of the PodMetrics last read. */
  private stamps = new Map<string, Map<string, number>>();
  private timer?: NodeJS.Timeout;
  private sampling?: Promise<void>;
  private scanning = false;
  private stopped = false;
  private failed?: { count: number; last: string };
  /** The last save's error text, so an unwritable file is one warning, not one per scan. */
  private saveError?: string;
  private saving: Promise<void> = Promise.resolve();
  private gate: () => boolean = () => true;

  constructor(
    private readonly reader: ClusterReader,
    private readonly issues: IssueStore,
    private readonly files: HistoryStore,
    private readonly config: OpsAgentConfig,
    @InjectMetric(USAGE_METRIC.sampleReads) private readonly sampleReads: Counter<'result'>,
    @InjectMetric(USAGE_METRIC.historyWrites) private readonly historyWrites: Counter<'result'>,
    @InjectPinoLogger(UsageHistoryService.name) private readonly logger: PinoLogger,
  ) {
    this.windowMs = parseDuration(config.overProvisioning.window);
    this.intervalMs = parseDuration(config.usage.sampleInterval);
    this.history = new UsageHistory(this.windowMs);
    for (const result of ['ok', 'failed']) {
      this.sampleReads.inc({ result }, 0);
      this.historyWrites.inc({ result }, 0);
    }
  }

  private get persistent(): boolean {
    return this.config.usage.historyFile !== undefined;
  }

  /** Loads the history and the issues' identity saved by the previous run, if any. */
  async onModuleInit(): Promise<void> {
    if (!this.persistent) return;
    const cluster = this.reader.clusterIdentity;
    const started = performance.now();
    const usage = await this.loadPart('usage');
    if (usage) {
      try {
        this.history = UsageHistory.decode(usage, { windowMs: this.windowMs, cluster });
        this.history.expire(Date.now());
        const loadMs = Math.round(performance.now() - started);
        const file = this.files.where('usage');
        this.logger.info(
          { event: 'usage-history-loaded', file, containers: this.history.seriesCount, bytes: usage.length, loadMs },
          `usage history loaded from ${file} in ${loadMs} ms: ${this.history.seriesCount} containers, ` +
            `${this.history.sampleCount} samples`,
        );
      } catch (error) {
        this.unreadable('usage', error);
      }
    }
    const identity = await this.loadPart('issues');
    if (identity) {
      try {
        this.issues.restoreIdentity(decodeIdentity(identity, cluster));
      } catch (error) {
        this.unreadable('issues', error);
      }
    }
  }

  onApplicationBootstrap(): void {
    // With Prometheus as the source each scan reads the whole window from it: there is nothing to sample.
    if (this.config.usage.source === 'prometheus') return;
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops sampling, lets a running sample end, and saves the history (SIGTERM: the app is closing). */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.sampling;
    await this.save();
  }

  /**
   * A scan is about to read the cluster: waits for a sample in progress (so both never count one PodMetrics) and
   * gives the scan's read its filter. `scanRead` ends it.
   */
  async beginScan(): Promise<SampleFilter> {
    this.scanning = true;
    await this.sampling;
    return this.filter();
  }

  /**
   * The scan's read ended: its PodMetrics are a sample, its workloads attribute the samples until the next scan,
   * and workloads a complete read no longer found are forgotten.
   */
  scanRead(snapshot: ClusterSnapshot | undefined, filter: SampleFilter, at: number): void {
    this.scanning = false;
    if (!snapshot) return;
    this.attribution = snapshot.attribution;
    if (snapshot.failures.length === 0) this.history.retain(snapshot.workloads);
    if (snapshot.usagePeaks) {
      filter.commit();
      this.history.recordPeaks(snapshot.workloads, snapshot.usagePeaks, at);
    } else if (snapshot.samples) {
      filter.commit();
      this.history.record(snapshot.workloads, snapshot.samples, at);
    }
  }

  /** Warnings for the scan: samples that failed since the last one. */
  takeWarnings(): ScanWarning[] {
    const failed = this.failed;
    this.failed = undefined;
    if (!failed) return [];
    return [
      {
        code: 'usage-sample-failed',
        message:
          `${failed.count} usage sample${failed.count === 1 ? '' : 's'} (PodMetrics read every ` +
          `${this.config.usage.sampleInterval}) failed since the last scan; last: ${failed.last}`,
      },
    ];
  }

  /** Sampling happens only while `gate` allows it (leader election: only the leader samples). */
  setSampleGate(gate: () => boolean): void {
    this.gate = gate;
  }

  /** Reads PodMetrics once and adds them to the history (the interval's tick; tests call it). */
  sample(): Promise<void> {
    if (this.stopped || this.scanning || this.sampling || !this.attribution || !this.gate()) {
      return this.sampling ?? Promise.resolve();
    }
    const attribution = this.attribution;
    this.sampling = (async () => {
      const filter = this.filter();
      try {
        const read = await this.reader.readUsage(attribution, {
          namespaces: this.config.includeNamespaces,
          acceptSample: filter.accept,
          signal: AbortSignal.timeout(Math.max(this.intervalMs, parseDuration(this.config.kubernetes.requestTimeout))),
        });
        filter.commit();
        this.history.recordPeaks(attribution.workloads, read.peaks, Date.now());
        this.sampleReads.inc({ result: 'ok' });
        this.logger.debug({ event: 'usage-sample', samples: read.peaks.samples }, 'usage sampled');
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        this.failed = { count: (this.failed?.count ?? 0) + 1, last: reason };
        this.sampleReads.inc({ result: 'failed' });
        this.logger.warn({ event: 'usage-sample-failed', reason }, `usage sample failed: ${reason}`);
      }
    })().finally(() => {
      this.sampling = undefined;
    });
    return this.sampling;
  }

  /** Saves the history and the issues' identity (after a scan, at shutdown); a failure is a warning, once. */
  save(): Promise<void> {
    if (!this.persistent) return Promise.resolve();
    // One save at a time, in order: the last one written is the newest.
    this.saving = this.saving.then(async () => {
      const cluster = this.reader.clusterIdentity;
      const now = Date.now();
      try {
        // Streamed: the history (20 MiB at 15,000 containers) is never copied whole to be written.
        await this.files.save('usage', this.history.encodeChunks(cluster, now));
        await this.files.save('issues', encodeIdentity(cluster, this.issues.identity(), now));
        this.historyWrites.inc({ result: 'ok' });
        if (this.saveError !== undefined) {
          this.logger.info(
            { event: 'usage-history-saved', file: this.files.where('usage') },
            'usage history saved again',
          );
        }
        this.saveError = undefined;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        this.historyWrites.inc({ result: 'failed' });
        if (this.saveError === undefined) {
          this.logger.warn(
            { event: 'usage-history-unwritable', file: this.files.where('usage'), reason },
            `usage history file ${this.files.where('usage')} cannot be written (${reason}); keeping the history in memory only`,
          );
        }
        this.saveError = reason;
      }
    });
    return this.saving;
  }

  /** Resolves once the saves started so far have ended. */
  flush(): Promise<void> {
    return this.saving;
  }

  private filter(): SampleFilter {
    const previous = this.stamps;
    const next = new Map<string, Map<string, number>>();
    // Samples of one read mostly share their timestamps: the last one parsed is kept.
    let lastText: string | undefined;
    let lastAt = NaN;
    return {
      accept: (sample) => {
        if (sample.timestamp !== lastText) {
          lastText = sample.timestamp;
          lastAt = lastText === undefined ? NaN : Date.parse(lastText);
        }
        const at = lastAt;
        if (Number.isNaN(at)) return true; // no time: nothing to compare, count it
        let pods = next.get(sample.namespace);
        if (pods === undefined) next.set(sample.namespace, (pods = new Map()));
        pods.set(sample.pod, at);
        return previous.get(sample.namespace)?.get(sample.pod) !== at;
      },
      commit: () => {
        this.stamps = next;
      },
    };
  }

  private async loadPart(part: HistoryPart): Promise<Buffer | undefined> {
    try {
      return await this.files.load(part);
    } catch (error) {
      this.unreadable(part, error);
      return undefined;
    }
  }

  private unreadable(part: HistoryPart, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    const what = part === 'usage' ? 'usage history' : 'issue identity';
    const expected = error instanceof HistoryFormatError || error instanceof IdentityFormatError;
    this.logger.warn(
      { event: 'usage-history-unreadable', file: this.files.where(part), reason },
      `${what} file ${this.files.where(part)} ${expected ? 'not loaded' : 'cannot be read'}: ${reason}; starting empty`,
    );
  }
}
