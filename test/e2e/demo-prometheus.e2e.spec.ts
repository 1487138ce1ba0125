import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import {
  ensurePrometheus,
  PROMETHEUS_SETUP_TIMEOUT_MS,
  startPrometheus,
  type PrometheusServer,
} from '../../bench/prometheus-server';
import { backfillDemo, demoRange } from '../../tools/demo/demo-prometheus';
import { buildDemoCluster } from '../../tools/k8s-simulator/demo-cluster';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { runCli, tempDir } from './harness';

/**
 * `npm run demo -- --prometheus` (issue 13 §6): the demo cluster's usage backfilled into a real Prometheus, read by
 * `opsagent scan` live against the simulator with `usage.source: prometheus`, shows every rule of issue 13 —
 * cpu-throttled (payments-api, 25 % of its CFS periods) among them, which metrics-server cannot show.
 */
interface IssueView {
  rule: string;
  severity: string;
  namespace: string;
  name: string;
  message: string;
  overProvisioning?: { hpa?: unknown; requestDefaultedBy?: string; wasteMonthlyCost?: number };
}

let prometheus: PrometheusServer;
let sim: Simulator;
let dir: string;

beforeAll(async () => {
  ensurePrometheus();
  dir = tempDir('opsagent-demo-prometheus-');
  const demo = buildDemoCluster();
  await backfillDemo(dir, demo, demoRange(Date.now()));
  prometheus = await startPrometheus(dir);
  sim = await startSimulator({ objects: demo.objects, metricsProvider: demo.metricsProvider });
  sim.writeKubeconfig(path.join(dir, 'kubeconfig'));
  fs.writeFileSync(
    path.join(dir, 'config.yaml'),
    stringify({
      overProvisioning: { minSamples: 3 },
      usage: { source: 'prometheus', prometheus: { url: prometheus.url } },
    }),
  );
}, PROMETHEUS_SETUP_TIMEOUT_MS + 180_000);

afterAll(async () => {
  await prometheus?.close();
  await sim?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the demo cluster with the Prometheus source', () => {
  it('shows cpu-throttled beside the OOM kill, the under-provisioning, the LimitRange infos, the HPA and the cost', async () => {
    const result = await runCli(['scan', '--config', path.join(dir, 'config.yaml'), '--output', 'json'], {
      KUBECONFIG: path.join(dir, 'kubeconfig'),
    });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const { issues } = JSON.parse(result.stdout) as { issues: IssueView[] };
    const of = (rule: string) =>
      issues
        .filter((i) => i.rule === rule)
        .map((i) => `${i.namespace}/${i.name}`)
        .sort();
    expect(of('cpu-throttled')).toEqual(['payments/payments-api']);
    expect(issues.find((i) => i.rule === 'cpu-throttled')?.message).toMatch(
      /^container "api" was CPU-throttled in 25 % of its CFS periods over the window \(\d+ of \d+\) at a CPU limit of 1,/,
    );
    // A throttled container never gets a CPU cut.
    expect(issues.filter((i) => i.name === 'payments-api').map((i) => i.rule)).toEqual(['cpu-throttled']);
    expect(of('memory-oom-killed')).toEqual(['shop/image-resizer']);
    expect(of('memory-underprovisioned')).toEqual(['shop/session-cache']);
    expect(issues.filter((i) => i.rule.endsWith('-missing') && i.severity === 'info')).toHaveLength(4);
    expect(issues.filter((i) => i.overProvisioning?.hpa).map((i) => `${i.name} ${i.rule}`)).toEqual([
      'catalog cpu-overprovisioned',
    ]);
    expect(issues.some((i) => (i.overProvisioning?.wasteMonthlyCost ?? 0) > 0)).toBe(true);
  });
});
