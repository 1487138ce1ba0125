/**
 * The Prometheus phase: the agent process (serve) with `usage.source: prometheus`, scanning a synthetic cluster
 * while a real Prometheus holds days of cAdvisor and kube-state-metrics series for every one of its Pods
 * (backfilled with promtool). Prints the scan time, the queries per scan and the Prometheus samples behind the
 * figures.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCpu, parseMemory } from '../libs/core/src/quantity';
import { startAgentProcess } from './agent-process';
import { buildCluster, SIZES, type SizeName } from './cluster';
import { backfill, cpuCounter, ensurePrometheus, startPrometheus, type OmFamily } from './prometheus-server';

export interface PrometheusPhaseOptions {
  size: SizeName;
  seed: number;
  days: number;
  /** Seconds between backfilled samples. */
  stepS: number;
  pageSize: number;
  nodeOptions: string;
  scans: number;
  /** Serves the cluster on the simulator and writes the kubeconfig; resolves with a closer. */
  serve: (cluster: ReturnType<typeof buildCluster>) => Promise<{ kubeconfig: string; close: () => Promise<void> }>;
  log: (line: string) => void;
}

export interface PrometheusSummary {
  size: SizeName;
  days: number;
  stepS: number;
  pods: number;
  series: number;
  samplesWritten: number;
  openMetricsBytes: number;
  backfillSeconds: number;
  scans: {
    durationMs: number;
    status: string;
    prometheusQueries?: number;
    usageSamples?: number;
    containersWithoutUsage?: number;
    issues?: number;
    warnings: string[];
  }[];
}

type Obj = Record<string, unknown>;

interface PodUsage {
  namespace: string;
  pod: string;
  containers: { name: string; cpu: number; memory: number }[];
}

/** A deterministic ±10 % wobble per series and step. */
function wobble(seed: number, t: number): number {
  let x = (seed * 2654435761) ^ (t * 40503);
  x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d);
  x = Math.imul(x ^ (x >>> 12), 0x297a2d39);
  return 0.9 + 0.2 * (((x ^ (x >>> 15)) >>> 0) / 2 ** 32);
}

/** cAdvisor and kube-state-metrics families for every Pod of the cluster, as kube-prometheus-stack scrapes them. */
export function familiesOf(
  cluster: ReturnType<typeof buildCluster>,
  range: { start: number; end: number; step: number },
) {
  const pods: PodUsage[] = [];
  const podOwners: Obj[] = [];
  const rsOwners: Obj[] = [];
  const jobOwners: Obj[] = [];
  for (const o of cluster.objects()) {
    const metadata = (o.metadata ?? {}) as { name: string; namespace: string; ownerReferences?: Obj[] };
    const controller = metadata.ownerReferences?.find((r) => r.controller === true);
    const owner = {
      namespace: metadata.namespace,
      owner_kind: String(controller?.kind ?? '<none>'),
      owner_name: String(controller?.name ?? '<none>'),
      owner_is_controller: controller ? 'true' : '<none>',
    };
    if (o.kind === 'Pod') podOwners.push({ ...owner, pod: metadata.name });
    else if (o.kind === 'ReplicaSet') rsOwners.push({ ...owner, replicaset: metadata.name });
    else if (o.kind === 'Job') jobOwners.push({ ...owner, job_name: metadata.name });
    else if (o.kind === 'PodMetrics') {
      const containers = (o.containers as { name: string; usage: { cpu: string; memory: string } }[]).map((c) => ({
        name: c.name,
        cpu: parseCpu(c.usage.cpu) / 1000,
        memory: parseMemory(c.usage.memory),
      }));
      pods.push({ namespace: metadata.namespace, pod: metadata.name, containers });
    }
  }
  const containers = pods.flatMap((p) => p.containers.map((c) => ({ ...c, namespace: p.namespace, pod: p.pod })));
  const labels = (c: (typeof containers)[number]) => ({
    namespace: c.namespace,
    pod: c.pod,
    container: c.name,
    job: 'kubelet',
  });
  const present = (labelSet: Obj) => ({ labels: labelSet as Record<string, string>, value: () => 1 });
  const families: OmFamily[] = [
    {
      name: 'container_cpu_usage_seconds',
      type: 'counter',
      series: containers.map((c, i) => ({
        labels: labels(c),
        value: cpuCounter(range, (t) => c.cpu * wobble(i, t)),
      })),
    },
    {
      name: 'container_memory_working_set_bytes',
      type: 'gauge',
      series: containers.map((c, i) => ({
        labels: labels(c),
        value: (t: number) => Math.round(c.memory * wobble(i + 7919, t)),
      })),
    },
    { name: 'kube_pod_owner', type: 'gauge', series: podOwners.map(present) },
    { name: 'kube_replicaset_owner', type: 'gauge', series: rsOwners.map(present) },
    { name: 'kube_job_owner', type: 'gauge', series: jobOwners.map(present) },
  ];
  return { families, pods: pods.length };
}

export async function runPrometheusPhase(opts: PrometheusPhaseOptions): Promise<PrometheusSummary> {
  ensurePrometheus();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-bench-prometheus-'));
  const cluster = buildCluster(SIZES[opts.size], opts.seed);
  const end = Math.floor(Date.now() / 1000 / opts.stepS) * opts.stepS - opts.stepS;
  const range = { start: end - opts.days * 86_400 + opts.stepS, end, step: opts.stepS };
  const { families, pods } = familiesOf(cluster, range);
  opts.log(`prometheus: backfilling ${opts.days} days for ${pods} Pods, one sample per ${opts.stepS} s, with promtool`);
  const filled = await backfill(dir, path.join(dir, 'tsdb'), families, range);
  opts.log(
    `prometheus: ${filled.samples} samples (${(filled.bytes / 1e6).toFixed(0)} MB of text) in ${filled.seconds} s`,
  );
  const prometheus = await startPrometheus(dir);
  const served = await opts.serve(cluster);
  const agent = await startAgentProcess({
    kubeconfig: served.kubeconfig,
    nodeOptions: opts.nodeOptions,
    config: {
      runOnStartup: false,
      schedule: '0 0 1 1 *',
      scanTimeout: '10m',
      kubernetes: { pageSize: opts.pageSize },
      overProvisioning: { window: `${opts.days}d` },
      // Two backfilled samples in every rate() range, whatever the step's phase.
      usage: {
        source: 'prometheus',
        prometheus: { url: prometheus.url, timeout: '5m', rateRange: `${2 * opts.stepS}s` },
      },
    },
  });
  const summary: PrometheusSummary = {
    size: opts.size,
    days: opts.days,
    stepS: opts.stepS,
    pods,
    series: families.reduce((n, f) => n + f.series.length, 0),
    samplesWritten: filled.samples,
    openMetricsBytes: filled.bytes,
    backfillSeconds: filled.seconds,
    scans: [],
  };
  try {
    const deadline = Date.now() + 60_000;
    while (
      (await fetch(`${agent.api}/health`).then(
        (r) => r.status,
        () => 0,
      )) !== 200
    ) {
      if (Date.now() > deadline) throw new Error('prometheus phase: the agent did not answer /health within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    for (let i = 0; i < opts.scans; i++) {
      const scan = await agent.scan(10 * 60_000);
      const counts = (scan.counts ?? {}) as Record<string, number | undefined>;
      const warnings = ((scan.warnings ?? []) as { code: string; message: string }[]).map(
        (w) => `${w.code}: ${w.message}`,
      );
      summary.scans.push({
        durationMs: Number(scan.durationMs),
        status: String(scan.status),
        prometheusQueries: counts.prometheusQueries,
        usageSamples: counts.usageSamples,
        containersWithoutUsage: counts.containersWithoutUsage,
        issues: counts.issues,
        warnings,
      });
      opts.log(
        `  prometheus scan ${i + 1}/${opts.scans}: ${(Number(scan.durationMs) / 1000).toFixed(2)} s, ` +
          `${counts.prometheusQueries} queries, ${counts.usageSamples} samples, ${scan.status}`,
      );
    }
  } finally {
    await agent.stop();
    await served.close();
    await prometheus.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return summary;
}
