import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { AppsV1Api, BatchV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { Issue } from '@opsagent/core/issue';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { strategicMergePatch } from '../../tools/k8s-simulator/writes';
import { ROOT, getJson, startAgent, tempDir, waitFor, type AgentProcess, type ScanJson } from './harness';

/**
 * Issue 15 §2 against the real agent and the simulator: the `fix` of each finding reaches the REST API, its
 * `kubectl patch` command's patch applied through @kubernetes/client-node (strategic merge) makes the finding go
 * away at the next scan, and `opsagent fix --from` rewrites the manifests with the agent's findings, over HTTP
 * with a bearer token (the agent's `server.auth.mode` is `kubernetes`).
 */
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'usage-chain');
const BIN = path.join(ROOT, 'bin', 'opsagent');
const READER = 'dashboard-token';

let sim: Simulator;
let agent: AgentProcess;
let kubeconfig: string;
const auth = { headers: { authorization: `Bearer ${READER}` } };

beforeAll(async () => {
  const text = fs.readFileSync(path.join(FIXTURE, 'cluster.yaml'), 'utf8');
  const objects = parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);
  sim = await startSimulator({
    objects,
    patchableWorkloads: true,
    reviews: {
      users: { [READER]: { username: 'system:serviceaccount:apps:dashboard' } },
      allowed: (user, p) =>
        user.username.endsWith(':dashboard') && (p.startsWith('/api/v1/') || p.startsWith('/api/docs')),
    },
  });
  kubeconfig = path.join(tempDir('opsagent-fix-e2e-'), 'config');
  sim.writeKubeconfig(kubeconfig);
  agent = await startAgent({
    kubeconfig,
    config: { schedule: '0 0 1 1 *', overProvisioning: { minSamples: 1 } },
    authMode: 'kubernetes',
  });
  await waitFor(
    async () => ((await fetch(`${agent.api}/health/ready`)).status === 200 ? true : undefined),
    60_000,
    'ready',
  );
}, 90_000);

afterAll(async () => {
  if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
  await sim?.close();
});

async function issues(): Promise<Issue[]> {
  const { status, body } = await getJson<{ items: Issue[] }>(`${agent.api}/api/v1/issues?limit=1000`, auth);
  expect(status).toBe(200);
  return body.items;
}

function cli(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '', TZ: 'UTC', KUBECONFIG: '/nonexistent/kubeconfig' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}

/** The words a POSIX shell makes of a command (kubectl replaced by printf, one word a line). */
function shellWords(command: string): string[] {
  const out = execFileSync('sh', ['-c', command.replace(/^kubectl /, `printf '%s\\n' `)], { encoding: 'utf8' });
  return out.slice(0, -1).split('\n');
}

/** The latest finished scan (with the token), once its id is not `not`. */
function latestScan(not?: string): Promise<ScanJson> {
  return waitFor(
    async () => {
      const { status, body } = await getJson<ScanJson>(`${agent.api}/api/v1/scans/latest`, auth);
      return status === 200 && body.id !== not ? body : undefined;
    },
    30_000,
    `a scan after ${not ?? 'start'}`,
  );
}

const key = (i: Issue) => `${i.rule} ${i.namespace}/${i.kind}/${i.name}/${i.container}`;

describe('fixes against the agent and the simulator', () => {
  it('opsagent fix --from rewrites the files as a scan of the same files does, with a token; 401 without', async () => {
    await latestScan();
    const dir = tempDir('opsagent-fix-from-');
    for (const name of ['remote', 'local']) {
      fs.mkdirSync(path.join(dir, name));
      fs.copyFileSync(path.join(FIXTURE, 'cluster.yaml'), path.join(dir, name, 'cluster.yaml'));
    }
    fs.writeFileSync(path.join(dir, 'token'), `${READER}\n`);

    const refused = await cli(['fix', '--from', agent.api, 'remote'], dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^opsagent: error: --from: GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/issues\?limit=1000 answered 401: .*\(the agent needs a token: --token or --token-file\)\n$/,
    );

    const remote = await cli(['fix', '--from', agent.api, '--token-file', path.join(dir, 'token'), 'remote'], dir);
    expect(remote.stderr).toBe('');
    expect(remote.code).toBe(0);
    const local = await cli(['fix', '--config', path.join(FIXTURE, 'config.yaml'), 'local'], dir);
    expect(local).toMatchObject({ code: 0, stderr: '' });
    // The agent's figures come from its usage history (a histogram within 2.5 %), the file's from the samples: the
    // same containers are rewritten, each exactly as the agent's own patches say.
    const original = fs.readFileSync(path.join(FIXTURE, 'cluster.yaml'), 'utf8');
    const rewritten = fs.readFileSync(path.join(dir, 'remote', 'cluster.yaml'), 'utf8');
    const containersOf = (out: string) => out.split('\n').map((l) => l.replace(/: (requests|limits)\..*$/, ''));
    expect(containersOf(remote.stdout.replace(/remote\//g, ''))).toEqual(
      containersOf(local.stdout.replace(/local\//g, '')),
    );
    expect(remote.stdout).toMatch(
      new RegExp(
        '^remote/cluster.yaml:22: Deployment shop/web container app: requests.cpu 1 → \\d+m, requests.memory 1Gi → \\d+Mi\\n' +
          'remote/cluster.yaml:212: CronJob shop/report container app: requests.cpu 1 → \\d+m, requests.memory 1Gi → \\d+Mi\\n' +
          'remote/cluster.yaml:275: StatefulSet shop/db container app: requests.memory 1Gi → \\d+Mi\\n' +
          'Summary: fixed 3 containers in 1 file; 5 findings with a fix\\n$',
      ),
    );
    const changed = original.split('\n').filter((line, i) => line !== rewritten.split('\n')[i]);
    expect(changed.length).toBeGreaterThan(0);
    for (const line of changed) expect(line).toMatch(/^ +requests: \{ cpu: '1', memory: 1Gi \}$/);

    let expected = parseAllDocuments(original).map((d) => d.toJS() as Record<string, unknown>);
    for (const issue of (await issues()).filter((i) => i.fix)) {
      expected = expected.map((o) => {
        const meta = o.metadata as { name: string; namespace: string };
        const same = o.kind === issue.kind && meta.name === issue.name && meta.namespace === issue.namespace;
        return same ? (strategicMergePatch(o, issue.fix!.patch) as Record<string, unknown>) : o;
      });
    }
    expect(parseAllDocuments(rewritten).map((d) => d.toJS() as unknown)).toEqual(expected);
  });

  it('serves each fix in the list and by id; its command’s patch, applied with client-node, resolves the finding', async () => {
    const before = await latestScan();
    const found = await issues();
    const withFix = found.filter((i) => i.fix !== undefined);
    expect(withFix.map(key).sort()).toEqual([
      'cpu-overprovisioned shop/CronJob/report/app',
      'cpu-overprovisioned shop/Deployment/web/app',
      'memory-overprovisioned shop/CronJob/report/app',
      'memory-overprovisioned shop/Deployment/web/app',
      'memory-overprovisioned shop/StatefulSet/db/app',
    ]);
    const one = await getJson<Issue>(`${agent.api}/api/v1/issues/${withFix[0].id}`, auth);
    expect(one.body.fix).toEqual(withFix[0].fix);
    // The OpenAPI document describes it on the issue.
    const docs = await getJson<{ components: { schemas: Record<string, { properties: Record<string, unknown> }> } }>(
      `${agent.api}/api/docs-json`,
      auth,
    );
    expect(docs.body.components.schemas.IssueResponse.properties.fix).toMatchObject({
      allOf: [{ $ref: '#/components/schemas/FixResponse' }],
    });
    expect(Object.keys(docs.body.components.schemas.FixResponse.properties)).toEqual(['patch', 'command']);

    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const apps = kc.makeApiClient(AppsV1Api);
    const batch = kc.makeApiClient(BatchV1Api);
    const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
    for (const issue of withFix) {
      const [verb, kind, name, n, namespace, type, strategy, p, json] = shellWords(issue.fix!.command);
      expect([verb, n, type, strategy, p]).toEqual(['patch', '-n', '--type', 'strategic', '-p']);
      expect([kind, name, namespace]).toEqual([issue.kind.toLowerCase(), issue.name, issue.namespace]);
      const body = JSON.parse(json) as object;
      expect(body).toEqual(issue.fix!.patch);
      const request = { name, namespace, body };
      if (kind === 'deployment') await apps.patchNamespacedDeployment(request, strategic);
      else if (kind === 'statefulset') await apps.patchNamespacedStatefulSet(request, strategic);
      else await batch.patchNamespacedCronJob(request, strategic);
    }

    const trigger = await getJson<{ id: string }>(`${agent.api}/api/v1/scans`, { method: 'POST', ...auth });
    expect(trigger.status).toBe(202);
    const after = await latestScan(before.id);
    expect(after.status).toBe('succeeded');
    const left = (await issues()).map(key);
    for (const issue of withFix) expect(left).not.toContain(key(issue));
  });
});
