import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { isExemptionAnnotation } from '@opsagent/core/audit/exemptions';
import { toUsageSample } from '@opsagent/core/manifests/pod-metrics';
import { toWorkload } from '@opsagent/core/manifests/workload-extractor';
import { UsageAttribution } from '@opsagent/core/audit/usage-attribution';
import { UsagePeaks } from '@opsagent/core/audit/usage-peaks';
import type { Workload, WorkloadKind } from '@opsagent/core/workload';
import { buildCluster, SIZES } from '../../bench/cluster';
import { KubeApiClient } from '../../apps/opsagent/src/kubernetes/kube-api.client';
import type { ClusterSnapshot } from '../../apps/opsagent/src/kubernetes/cluster-reader';
import {
  KubernetesClusterReader,
  WORKLOAD_RESOURCES,
} from '../../apps/opsagent/src/kubernetes/kubernetes-cluster-reader';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { tempDir } from './harness';

/**
 * The reader against realistic objects (the bench's generator: full Pod JSON with managedFields, status,
 * last-applied-configuration, owner references), over HTTP with the real client: what it projects must be
 * exactly what the core projection makes of the whole objects, though it never parses most of them.
 */
type Obj = Record<string, unknown> & { kind: string; metadata: { name: string; namespace?: string; labels?: object } };

let sim: Simulator;
let objects: Obj[];
let snapshot: ClusterSnapshot;
let peaksSnapshot: ClusterSnapshot;
let reader: KubernetesClusterReader;
/** PodMetrics served without labels (as some metrics pipelines do): the Pod list supplies them. */
const unlabeled = new Set<string>();

beforeAll(async () => {
  objects = [...buildCluster(SIZES.tiny, 7).objects()] as Obj[];
  let n = 0;
  for (const o of objects) {
    if (o.kind === 'PodMetrics' && n++ % 3 === 0) {
      unlabeled.add(`${o.metadata.namespace}/${o.metadata.name}`);
      delete o.metadata.labels;
    }
  }
  sim = await startSimulator({ token: 't', objects });
  const kubeconfig = path.join(tempDir('opsagent-reader-'), 'config');
  sim.writeKubeconfig(kubeconfig);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  reader = new KubernetesClusterReader(new KubeApiClient(kc, { requestTimeoutMs: 10_000, retries: 1 }), {
    pageSize: 25,
  });
  snapshot = await reader.read({});
  peaksSnapshot = await reader.read({ usage: 'peaks' });
});

afterAll(() => sim.close());

const ref = (w: { kind: string; namespace: string; name: string }) => `${w.kind}/${w.namespace}/${w.name}`;

/** The core projection of the whole object, with only the annotations the audit reads. */
function expectedWorkloads(): Map<string, Workload> {
  const keep = (a: Record<string, string>) =>
    Object.fromEntries(Object.entries(a).filter(([key]) => isExemptionAnnotation(key)));
  const out = new Map<string, Workload>();
  for (const type of WORKLOAD_RESOURCES) {
    for (const o of objects.filter((x) => x.kind === type.kind)) {
      const p = toWorkload(o, {
        defaultNamespace: 'default',
        kind: type.kind as WorkloadKind,
        apiVersion: type.apiVersion,
      });
      if (p.type !== 'workload') continue;
      out.set(ref(p.workload), {
        ...p.workload,
        annotations: keep(p.workload.annotations),
        templateAnnotations: keep(p.workload.templateAnnotations),
      });
    }
  }
  return out;
}

describe('KubernetesClusterReader on full objects', () => {
  it('reads every kind, with no failure and no warning', () => {
    expect(snapshot.failures).toEqual([]);
    expect(snapshot.warnings).toEqual([]);
    expect(snapshot.requests).toBeGreaterThan(WORKLOAD_RESOURCES.length + 1); // several pages per kind
  });

  it('projects each workload exactly as the core projection of the whole object', () => {
    const expected = expectedWorkloads();
    expect(snapshot.workloads.length).toBe(expected.size);
    for (const workload of snapshot.workloads) expect(workload).toEqual(expected.get(ref(workload)));
  });

  it('counts owned ReplicaSets, Jobs and Pods as skipped (their specs are never parsed)', () => {
    const owned = (kind: string) =>
      objects.filter(
        (o) =>
          o.kind === kind &&
          ((o.metadata as { ownerReferences?: { controller?: boolean }[] }).ownerReferences ?? []).some(
            (r) => r.controller === true,
          ),
      ).length;
    for (const kind of ['ReplicaSet', 'Job', 'Pod']) {
      expect(owned(kind)).toBeGreaterThan(0);
      expect(snapshot.skipped[`${kind} (owned)`]).toBe(owned(kind));
    }
  });

  it('gives every PodMetrics a sample, labelled from its Pod where metrics came without labels', () => {
    const metrics = objects.filter((o) => o.kind === 'PodMetrics');
    expect(unlabeled.size).toBeGreaterThan(0);
    expect(snapshot.samples).toHaveLength(metrics.length);
    const key = (o: Obj) => `${o.metadata.namespace}/${o.metadata.name}`;
    const pods = new Map(objects.filter((o) => o.kind === 'Pod').map((p) => [key(p), p]));
    expect(snapshot.owners!.size).toBe(pods.size); // every Pod indexed for attribution, owned or bare
    for (const sample of snapshot.samples!) {
      const pod = pods.get(`${sample.namespace}/${sample.pod}`)!;
      expect(sample.labels).toEqual(pod.metadata.labels);
      const metric = metrics.find((m) => m.metadata.namespace === sample.namespace && m.metadata.name === sample.pod)!;
      const whole = toUsageSample(metric, { defaultNamespace: 'default', kind: 'PodMetrics' });
      expect(sample.containers).toEqual(whole.containers);
    }
    // Equal label sets are one shared object (Pods of a workload carry the same labels).
    const byText = new Map<string, Set<unknown>>();
    for (const sample of snapshot.samples!) {
      const text = JSON.stringify(sample.labels);
      if (!byText.has(text)) byText.set(text, new Set());
      byText.get(text)!.add(sample.labels);
    }
    expect(byText.size).toBeLessThan(snapshot.samples!.length);
    for (const objects of byText.values()) expect(objects.size).toBe(1);
  });

  it("with usage: 'peaks', reduces the samples to exactly the peaks of the listed samples, holding none", () => {
    const expected = new UsagePeaks(snapshot.workloads, new UsageAttribution(snapshot.workloads, snapshot.owners));
    for (const sample of snapshot.samples!) expected.add(sample);
    expect(peaksSnapshot.samples).toBeUndefined();
    expect(peaksSnapshot.usagePeaks!.samples).toBe(snapshot.samples!.length);
    expect(peaksSnapshot.workloads.map(ref)).toEqual(snapshot.workloads.map(ref));
    let matched = 0;
    snapshot.workloads.forEach((workload, i) => {
      const peaks = peaksSnapshot.usagePeaks!.of(peaksSnapshot.workloads[i]);
      expect(peaks).toEqual(expected.of(workload));
      if (peaks) matched++;
    });
    expect(matched).toBeGreaterThan(snapshot.workloads.length / 2);
  });

  it('readUsage: reads the PodMetrics list alone, attributed with an earlier read, the filter leaving samples out', async () => {
    sim.clearLog();
    let asked = 0;
    const read = await reader.readUsage(peaksSnapshot.attribution, {
      acceptSample: () => ++asked % 2 === 0,
    });
    expect(sim.requests.map((r) => r.path)).toEqual(['/apis/metrics.k8s.io/v1beta1/pods']);
    expect(read.requests).toBe(1);
    expect(read.bytes).toBeGreaterThan(0);
    expect(asked).toBe(snapshot.samples!.length);
    expect(read.peaks.samples).toBe(Math.floor(asked / 2));
    // Every other sample, attributed as the full read attributes them (labels from the Pods where missing).
    const expected = new UsagePeaks(snapshot.workloads);
    snapshot.samples!.forEach((sample, i) => {
      if (i % 2 === 1) expected.add(sample);
    });
    snapshot.workloads.forEach((workload, i) => {
      expect(read.peaks.of(peaksSnapshot.workloads[i])).toEqual(expected.of(workload));
    });
  });

  it('names the cluster it reads by the API server URL', () => {
    expect(reader.clusterIdentity).toBe(sim.url);
  });
});
