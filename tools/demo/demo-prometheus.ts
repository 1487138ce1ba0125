/**
 * The demo's usage as a real Prometheus would hold it (`npm run demo -- --prometheus`): cAdvisor's CPU, memory and
 * CFS counters and kube-state-metrics' owner series for every Running Pod of the demo cluster, over the hours before
 * now, backfilled into Debian's `prometheus` (bench/prometheus-server.ts, the same server the tests and the bench
 * use). The usage follows the demo's metrics provider, one poll per step; the CFS counters follow
 * `demoThrottling()`, so payments-api shows cpu-throttled.
 */
import { backfill, cpuCounter, type OmFamily, type OmRange } from '../../bench/prometheus-server';
import { parseCpu, parseMemory } from '@opsagent/core/quantity';
import { demoThrottling, type DemoCluster } from '../k8s-simulator/demo-cluster';

type Obj = Record<string, unknown>;

/** CFS periods per second of a container with a CPU limit (the kernel's default period is 100 ms). */
const CFS_PERIODS_PER_S = 10;

interface Meta {
  name: string;
  namespace: string;
  uid?: string;
  ownerReferences?: { kind: string; name: string; uid?: string; controller?: boolean }[];
}

/** The families of the demo cluster over `range` (unix seconds). */
export function demoFamilies(demo: DemoCluster, range: OmRange): OmFamily[] {
  const byUid = new Map<string, Obj>();
  for (const o of demo.objects) {
    const uid = (o.metadata as Meta | undefined)?.uid;
    if (uid) byUid.set(uid, o);
  }
  const controllerOf = (m: Meta) => m.ownerReferences?.find((r) => r.controller === true);
  /** The top of a Pod's controller chain (Pod → ReplicaSet → Deployment, Pod → Job → CronJob, …). */
  const topOf = (o: Obj): Meta => {
    let meta = o.metadata as Meta;
    for (let hops = 0; hops < 8; hops++) {
      const ref = controllerOf(meta);
      const owner = ref?.uid ? byUid.get(ref.uid) : undefined;
      if (!ref) return meta;
      if (!owner) return { name: ref.name, namespace: meta.namespace };
      meta = owner.metadata as Meta;
    }
    return meta;
  };
  const throttling = demoThrottling();
  const steps = Math.floor((range.end - range.start) / range.step) + 1;
  const poll = (t: number) => Math.round((t - range.start) / range.step);

  const cpu: OmFamily = { name: 'container_cpu_usage_seconds', type: 'counter', series: [] };
  const memory: OmFamily = { name: 'container_memory_working_set_bytes', type: 'gauge', series: [] };
  const periods: OmFamily = { name: 'container_cpu_cfs_periods', type: 'counter', series: [] };
  const throttled: OmFamily = { name: 'container_cpu_cfs_throttled_periods', type: 'counter', series: [] };
  const owners = {
    pod: { name: 'kube_pod_owner', type: 'gauge', series: [] } as OmFamily,
    replicaset: { name: 'kube_replicaset_owner', type: 'gauge', series: [] } as OmFamily,
    job_name: { name: 'kube_job_owner', type: 'gauge', series: [] } as OmFamily,
  };
  for (const o of demo.objects) {
    const meta = o.metadata as Meta | undefined;
    if (!meta) continue;
    const ref = controllerOf(meta);
    const owner = {
      namespace: meta.namespace,
      owner_kind: ref?.kind ?? '<none>',
      owner_name: ref?.name ?? '<none>',
      owner_is_controller: ref ? 'true' : '<none>',
      job: 'kube-state-metrics',
    };
    const present = (key: 'pod' | 'replicaset' | 'job_name') =>
      owners[key].series.push({ labels: { ...owner, [key]: meta.name }, value: () => 1 });
    if (o.kind === 'ReplicaSet') present('replicaset');
    else if (o.kind === 'Job') present('job_name');
    if (o.kind !== 'Pod') continue;
    present('pod');
    if ((o.status as Obj | undefined)?.phase !== 'Running') continue;
    // One metrics-server poll per step: the same seeded usage the demo serves as PodMetrics.
    const polls = Array.from({ length: steps }, (_, i) => demo.metricsProvider(o, i) ?? []);
    const top = topOf(o);
    for (const c of polls[0]) {
      const labels = { namespace: meta.namespace, pod: meta.name, container: c.name, job: 'kubelet' };
      const usageAt = (t: number) => polls[poll(t)].find((u) => u.name === c.name)?.usage;
      cpu.series.push({ labels, value: cpuCounter(range, (t) => parseCpu(usageAt(t)?.cpu ?? '0') / 1000) });
      memory.series.push({ labels, value: (t) => parseMemory(usageAt(t)?.memory ?? '0') });
      const share = throttling.get(`${top.namespace}/${top.name}/${c.name}`);
      if (share === undefined) continue; // no CPU limit: no CFS series
      periods.series.push({ labels, value: cpuCounter(range, () => CFS_PERIODS_PER_S) });
      throttled.series.push({ labels, value: cpuCounter(range, () => CFS_PERIODS_PER_S * share) });
    }
  }
  return [cpu, memory, periods, throttled, owners.pod, owners.replicaset, owners.job_name];
}

/** The hours of usage the demo backfills, ending now, at one sample per `stepS` seconds. */
export function demoRange(now: number, hours = 6, stepS = 300): OmRange {
  const end = Math.floor(now / 1000 / stepS) * stepS;
  return { start: end - hours * 3600, end, step: stepS };
}

/** Backfills the demo's families into `dir`/tsdb (see bench/prometheus-server.ts `backfill`). */
export async function backfillDemo(dir: string, demo: DemoCluster, range: OmRange): Promise<number> {
  return (await backfill(dir, `${dir}/tsdb`, demoFamilies(demo, range), range)).samples;
}
