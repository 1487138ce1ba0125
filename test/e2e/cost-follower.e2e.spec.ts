/**
 * The cost on a follower replica (leader election on, the Lease held by another replica): it serves the
 * over-provisioning issues of the leader's PolicyReports with their money, sums their waste in GET /api/v1/summary
 * and exports the same opsagent_waste_* gauges as the leader, from the reports alone (issue 13 §5).
 */
import path from 'node:path';
import { issueId } from '@opsagent/core/audit/audit';
import { buildReports, REPORT_TYPES, type SeenIssue } from '@opsagent/core/reports/policy-report';
import { cpuOverprovisioned } from '@opsagent/core/rules/cpu-overprovisioned';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { getJson, startAgent, tempDir, waitFor, type AgentProcess } from './harness';

const NS = 'ops-system';
const TIMINGS = { leaseDuration: '4s', renewDeadline: '3s', retryPeriod: '1s' };

/** A DaemonSet's CPU finding as the leader wrote it: 480m per Pod over 3 Pods observed, EUR 42.05 a month. */
const AGENT_CPU: SeenIssue = {
  id: issueId('DaemonSet', 'infra', 'node-agent', 'agent', 'cpu-overprovisioned'),
  rule: 'cpu-overprovisioned',
  severity: 'medium',
  namespace: 'infra',
  kind: 'DaemonSet',
  name: 'node-agent',
  container: 'agent',
  message: 'reported by the leader',
  remediation: cpuOverprovisioned.remediation,
  overProvisioning: {
    resource: 'cpu',
    unit: 'millicores',
    samples: 12,
    usage: 20,
    request: 500,
    recommended: 20,
    wastePerPod: 480,
    observedPods: 3,
    wasteTotal: 1440,
    wasteMonthlyCost: 42.05,
    currency: 'EUR',
  },
  firstSeen: '2026-11-30T08:00:00.000Z',
  lastSeen: '2026-12-01T08:00:00.000Z',
};

function lease(holder: string, renewTime: string) {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'opsagent', namespace: NS },
    spec: { holderIdentity: holder, leaseDurationSeconds: 4, renewTime, acquireTime: renewTime, leaseTransitions: 0 },
  };
}

let sim: Simulator;
let agent: AgentProcess;
let renewing: NodeJS.Timeout | undefined;

beforeAll(async () => {
  sim = await startSimulator({
    token: 'cost-follower-e2e',
    objects: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
      ...buildReports([AGENT_CPU], REPORT_TYPES.PolicyReport).values(),
      lease('opsagent-other', new Date().toISOString()),
    ] as Record<string, unknown>[],
  });
  renewing = setInterval(() => sim.upsert(lease('opsagent-other', new Date().toISOString())), 1_000);
  const kubeconfig = path.join(tempDir('opsagent-cost-follower-'), 'config');
  sim.writeKubeconfig(kubeconfig);
  agent = await startAgent({
    kubeconfig,
    config: {
      schedule: '0 0 1 1 *',
      includeNamespaces: ['infra'],
      cost: { currency: 'EUR' },
      reports: { policyReports: true },
      leaderElection: { enabled: true, namespace: NS, identity: 'opsagent-follower', ...TIMINGS },
    },
  });
  await waitFor(
    async () => ((await fetch(`${agent.api}/health/ready`)).status === 200 ? true : undefined),
    60_000,
    'the follower ready',
  );
}, 90_000);

afterAll(async () => {
  clearInterval(renewing);
  if (agent && agent.child.exitCode === null) {
    agent.child.kill('SIGTERM');
    await agent.exited;
  }
  await sim?.close();
});

describe('a follower', () => {
  it("serves the leader's money: the issue's figures, the summary's waste and the waste gauges", async () => {
    const { body: issue } = await getJson<{ overProvisioning: Record<string, unknown> }>(
      `${agent.api}/api/v1/issues/${AGENT_CPU.id}`,
    );
    expect(issue.overProvisioning).toMatchObject({
      observedPods: 3,
      wasteTotal: 1440,
      wasteMonthlyCost: 42.05,
      currency: 'EUR',
    });
    const { body: summary } = await getJson<{ waste: unknown }>(`${agent.api}/api/v1/summary`);
    expect(summary.waste).toEqual({
      currency: 'EUR',
      total: { cpuCores: 1.44, memoryBytes: 0, monthlyCost: 42.05 },
      byNamespace: { infra: { cpuCores: 1.44, memoryBytes: 0, monthlyCost: 42.05 } },
    });
    const metrics = await (await fetch(`${agent.metrics}/metrics`)).text();
    expect(metrics).toMatch(/^opsagent_leader 0$/m);
    expect(metrics).toMatch(/^opsagent_waste_cpu_cores\{namespace="infra"\} 1\.44$/m);
    expect(metrics).toMatch(/^opsagent_waste_monthly_cost\{namespace="infra"\} 42\.05$/m);
    expect(metrics).toMatch(/^opsagent_waste_memory_bytes\{namespace="infra"\} 0$/m);
  });
});
