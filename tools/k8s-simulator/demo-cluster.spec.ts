import { OomKillHistory } from '@opsagent/core/audit/failure-history';
import { parseDuration } from '@opsagent/core/duration';
import { UsageAttribution } from '@opsagent/core/audit/usage-attribution';
import { SampleUsage } from '@opsagent/core/audit/usage-stats';
import { defaultConfig, isNamespaceAudited, resolveRuleSettings } from '@opsagent/core/config/config.loader';
import { matchesSelector } from '@opsagent/core/manifests/selector';
import { extractWorkloads } from '@opsagent/core/manifests/workload-extractor';
import { parseCpu, parseMemory } from '@opsagent/core/quantity';
import { WorkloadContext } from '@opsagent/core/audit/workload-context';
import { buildReport } from '@opsagent/core/report/report';
import { buildDemoCluster } from './demo-cluster';
import { startSimulator } from './simulator';

type Obj = Record<string, unknown> & {
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  };
};

const demo = buildDemoCluster();
const objects = demo.objects as Obj[];
const ofKind = (kind: string) => objects.filter((o) => o.kind === kind);
const ref = (o: Obj) => `${o.metadata.namespace}/${o.metadata.name}`;

describe('demo cluster', () => {
  it('is deterministic for a seed', () => {
    expect(JSON.stringify(buildDemoCluster(42).objects)).toBe(JSON.stringify(objects));
    expect(JSON.stringify(buildDemoCluster(7).objects)).not.toBe(JSON.stringify(objects));
  });

  it('has 30–41 workloads of every kind over the demo namespaces', () => {
    expect(demo.workloads.length).toBeGreaterThanOrEqual(30);
    expect(demo.workloads.length).toBeLessThanOrEqual(41);
    expect(ofKind('Namespace').map((n) => n.metadata.name)).toEqual([
      'shop',
      'payments',
      'data',
      'batch',
      'monitoring',
      'logging',
      'team-a',
      'kube-system',
    ]);
    for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'Job', 'ReplicationController']) {
      expect(ofKind(kind).length).toBeGreaterThan(0);
    }
    const barePods = ofKind('Pod').filter((p) => !p.metadata.ownerReferences);
    expect(barePods.map(ref)).toEqual(['batch/debug-shell']);
    expect(ofKind('Node')).toHaveLength(4);
  });

  it('chains ownerReferences to objects that exist (Deployment → ReplicaSet → Pod, CronJob → Job → Pod)', () => {
    const byUid = new Map(objects.map((o) => [o.metadata.uid, o]));
    expect(byUid.size).toBe(objects.length);
    for (const o of objects) {
      for (const owner of o.metadata.ownerReferences ?? []) {
        const found = byUid.get(owner.uid);
        expect(found).toMatchObject({
          kind: owner.kind,
          metadata: { name: owner.name, namespace: o.metadata.namespace },
        });
      }
    }
    const chain = (pod: Obj): string[] => {
      const owner = pod.metadata.ownerReferences?.[0];
      return owner ? [...chain(byUid.get(owner.uid) as Obj), pod.kind] : [pod.kind];
    };
    const settlementPod = ofKind('Pod').find((p) => p.metadata.name.startsWith('settlement-')) as Obj;
    expect(chain(settlementPod)).toEqual(['CronJob', 'Job', 'Pod']);
    const catalogPod = ofKind('Pod').find((p) => p.metadata.name.startsWith('catalog-')) as Obj;
    expect(chain(catalogPod)).toEqual(['Deployment', 'ReplicaSet', 'Pod']);
  });

  it("selects each controller's Pods by its selector, with the controller labels", () => {
    for (const d of [...ofKind('Deployment'), ...ofKind('StatefulSet'), ...ofKind('DaemonSet')]) {
      const spec = d.spec as { replicas?: number; selector: { matchLabels: Record<string, string> } };
      const pods = ofKind('Pod').filter(
        (p) => p.metadata.namespace === d.metadata.namespace && matchesSelector(spec.selector, p.metadata.labels ?? {}),
      );
      expect(pods.length).toBe(d.kind === 'DaemonSet' ? 4 : spec.replicas);
      if (d.kind === 'Deployment') expect(pods[0].metadata.labels?.['pod-template-hash']).toMatch(/^[a-z0-9]{10}$/);
      if (d.kind === 'StatefulSet') expect(pods[0].metadata.name).toBe(`${d.metadata.name}-0`);
    }
  });

  it('varies usage per poll around the base, deterministically', () => {
    const pods = ofKind('Pod').filter((p) => p.metadata.name.startsWith('catalog-'));
    const cpuAt = (pod: Obj, poll: number) => parseCpu(demo.metricsProvider(pod, poll)?.[0].usage.cpu as string);
    expect(cpuAt(pods[0], 3)).toBe(cpuAt(pods[0], 3));
    expect(new Set([0, 1, 2, 3, 4].map((poll) => cpuAt(pods[0], poll))).size).toBe(5);
    // The over-provisioned catalog uses 10–20 % of its 2 CPU / 2Gi request.
    for (const pod of pods) {
      for (let poll = 0; poll < 20; poll++) {
        const usage = demo.metricsProvider(pod, poll)?.[0].usage as { cpu: string; memory: string };
        expect(parseCpu(usage.cpu) / 2000).toBeGreaterThan(0.08);
        expect(parseCpu(usage.cpu) / 2000).toBeLessThan(0.2);
        expect(parseMemory(usage.memory) / (2 * 1024 ** 3)).toBeGreaterThan(0.1);
        expect(parseMemory(usage.memory) / (2 * 1024 ** 3)).toBeLessThan(0.2);
      }
    }
  });

  it('gives Pods added later half their requests', () => {
    const usage = demo.metricsProvider(
      {
        metadata: { name: 'extra', namespace: 'shop' },
        spec: { containers: [{ name: 'c', resources: { requests: { cpu: '400m', memory: '1Gi' } } }] },
      },
      0,
    );
    expect(usage).toHaveLength(1);
    const { name, usage: u } = usage?.[0] as { name: string; usage: { cpu: string; memory: string } };
    expect(name).toBe('c');
    // ±30 % CPU and ±5 % memory noise around 200m and 512Mi.
    expect(parseCpu(u.cpu)).toBeGreaterThanOrEqual(140);
    expect(parseCpu(u.cpu)).toBeLessThanOrEqual(260);
    expect(parseMemory(u.memory) / 1024 ** 2).toBeGreaterThanOrEqual(486);
    expect(parseMemory(u.memory) / 1024 ** 2).toBeLessThanOrEqual(538);
  });

  it('yields the intended findings once the scans have gathered enough samples', async () => {
    const sim = await startSimulator({ objects: demo.objects, metricsProvider: demo.metricsProvider });
    try {
      const config = defaultConfig();
      const { rules, settings } = resolveRuleSettings(config);
      const samples: Record<string, unknown>[] = [];
      const scan = async () => {
        const res = await fetch(`${sim.url}/apis/metrics.k8s.io/v1beta1/pods`);
        const list = (await res.json()) as { apiVersion: string; items: Record<string, unknown>[] };
        samples.push(...list.items.map((i) => ({ kind: 'PodMetrics', apiVersion: list.apiVersion, ...i })));
        const extracted = extractWorkloads(
          [...demo.objects, ...samples].map((object) => ({ object })),
          { defaultNamespace: 'default' },
        );
        const attribution = new UsageAttribution(extracted.workloads, extracted.owners);
        return buildReport(
          {
            workloads: extracted.workloads,
            usage: new SampleUsage(extracted.workloads, extracted.samples, attribution),
            failures: new OomKillHistory(
              extracted.owners,
              attribution,
              Date.now() - parseDuration(config.overProvisioning.window),
            ),
            observedPods: attribution.observedPods(),
            usageSamples: extracted.samples.length,
            skipped: extracted.skipped,
            warnings: extracted.warnings,
            context: new WorkloadContext(extracted.limitRanges, extracted.hpas),
          },
          { rules, settings, isNamespaceAudited: (ns) => isNamespaceAudited(config, ns) },
        );
      };
      const overProvisioned = (report: Awaited<ReturnType<typeof scan>>) =>
        report.issues
          .filter((i) => i.overProvisioning)
          .map((i) => `${i.namespace}/${i.name}:${i.rule}`)
          .sort();

      const first = await scan();
      expect(overProvisioned(first)).toEqual([]);
      expect(first.issues.map((i) => i.namespace)).not.toContain('kube-system');
      expect(first.summary.byRule).toMatchObject({
        'cpu-request-missing': expect.any(Number),
        'memory-request-missing': expect.any(Number),
        'cpu-limit-missing': expect.any(Number),
        'memory-limit-missing': expect.any(Number),
      });
      expect(first.summary.exemptions).toBeGreaterThan(0);

      for (let i = 1; i < 12; i++) await scan();
      const last = await scan();
      expect(overProvisioned(last)).toEqual([
        'batch/batch-runner:cpu-overprovisioned',
        'data/kafka:memory-overprovisioned',
        'data/spark-history:cpu-overprovisioned',
        'data/spark-history:memory-overprovisioned',
        'logging/elasticsearch:memory-overprovisioned',
        'logging/fluent-bit:cpu-overprovisioned',
        'monitoring/kube-state-metrics:cpu-overprovisioned',
        'monitoring/kube-state-metrics:memory-overprovisioned',
        'payments/fraud-detector:cpu-overprovisioned',
        'payments/fraud-detector:memory-overprovisioned',
        'payments/legacy-billing:cpu-overprovisioned',
        'payments/legacy-billing:memory-overprovisioned',
        'shop/catalog:cpu-overprovisioned',
        'shop/catalog:memory-overprovisioned',
        'shop/search:memory-overprovisioned',
        'team-a/notebook:cpu-overprovisioned',
        'team-a/notebook:memory-overprovisioned',
      ]);
      // image-resizer was OOM-killed two hours before today (UTC): no memory cut, whatever its usage since.
      const context = (report: Awaited<ReturnType<typeof scan>>) =>
        report.issues
          .filter((i) => ['memory-oom-killed', 'memory-underprovisioned', 'cpu-throttled'].includes(i.rule))
          .map((i) => `${i.namespace}/${i.name}:${i.rule}`)
          .sort();
      expect(context(first)).toEqual(['shop/image-resizer:memory-oom-killed']);
      expect(context(last)).toEqual([
        'shop/image-resizer:memory-oom-killed',
        'shop/session-cache:memory-underprovisioned',
      ]);
      // A DaemonSet's waste is priced over the Pods the read found of it: one per node.
      const fluentBit = last.issues.find((i) => i.name === 'fluent-bit' && i.rule === 'cpu-overprovisioned');
      const pods = demo.objects.filter(
        (o) => o.kind === 'Pod' && (o.metadata as { name: string }).name.startsWith('fluent-bit-'),
      ).length;
      expect(pods).toBeGreaterThan(1);
      const op = fluentBit?.overProvisioning;
      expect(op).toMatchObject({ observedPods: pods, wasteTotal: op!.wastePerPod * pods, currency: 'USD' });
      expect(op?.wasteMonthlyCost).toBe(Math.round(((op!.wastePerPod * pods) / 1000) * 0.031611 * 730 * 100) / 100);
      expect(last.summary.waste.byNamespace.logging.monthlyCost).toBeGreaterThan(op!.wasteMonthlyCost!);
      // team-a's LimitRange sets notebook's requests and limits: its `*-missing` findings are info, and the
      // over-provisioning is judged against the defaulted request.
      const notebook = last.issues.filter((i) => i.name === 'notebook');
      expect(
        notebook
          .filter((i) => i.rule.endsWith('-missing'))
          .map((i) => `${i.rule} ${i.severity}`)
          .sort(),
      ).toEqual([
        'cpu-limit-missing info',
        'cpu-request-missing info',
        'memory-limit-missing info',
        'memory-request-missing info',
      ]);
      expect(notebook.find((i) => i.rule === 'cpu-overprovisioned')?.overProvisioning).toMatchObject({
        request: 250,
        requestDefaultedBy: 'team-a-defaults',
      });
      // The HPA on catalog (CPU at 60 %): the recommendation is the p95 ÷ 0.6.
      const catalog = last.issues.find((i) => i.name === 'catalog' && i.rule === 'cpu-overprovisioned');
      expect(catalog?.overProvisioning?.hpa).toMatchObject({ name: 'catalog', averageUtilization: 60 });
      expect(catalog?.overProvisioning?.recommended).toBe(Math.ceil(catalog!.overProvisioning!.usage / 0.6));
    } finally {
      await sim.close();
    }
  });
});
