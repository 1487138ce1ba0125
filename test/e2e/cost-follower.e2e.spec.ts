/**
 * The cost on a follower replica (leader election on, the Lease held by another replica): it serves the
 * over-provisioning issues of the leader's PolicyReports with their money, sums their waste in GET /api/v1/summary
 * and exports the same opsagent_waste_* gauges as the leader, from the reports alone (issue 13 §5).
 */
import { issueId } from '@opsagent/core/audit/audit';
import { buildReports, REPORT_TYPES, type SeenIssue } from '@opsagent/core/reports/policy-report';
import { cpuOverprovisioned } from '@opsagent/core/rules/cpu-overprovisioned';
import { getJson, startFollower, type AgentProcess } from './harness';

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

let agent: AgentProcess;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ agent, close } = await startFollower({
    token: 'cost-follower-e2e',
    objects: [...buildReports([AGENT_CPU], REPORT_TYPES.PolicyReport).values()] as unknown as Record<string, unknown>[],
    config: { includeNamespaces: ['infra'], cost: { currency: 'EUR' } },
  }));
}, 90_000);

afterAll(() => close?.());

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
