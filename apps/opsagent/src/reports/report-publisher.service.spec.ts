import type { PinoLogger } from 'nestjs-pino';
import { parseConfig } from '@opsagent/core/config/config.loader';
import { REPORT_TYPES, type ReportType, type SeenIssue } from '@opsagent/core/reports/policy-report';
import type { Workload } from '@opsagent/core/workload';
import { ReportPublisher } from './report-publisher.service';
import { ReportsApi, ReportsApiError, type DeletePreconditions, type ReportObject } from './reports-api';

/** An in-memory API server for the report kinds: resourceVersions, conflicts, and a log of every call. */
class MemoryReportsApi extends ReportsApi {
  readonly objects = new Map<string, ReportObject>();
  readonly calls: string[] = [];
  /** Runs before the next write of this verb (a concurrent change by someone else). */
  readonly before: Partial<Record<'replace' | 'delete', () => void>> = {};
  private rv = 0;

  private key(type: ReportType, namespace: string, name: string) {
    return `${type.plural}/${namespace}/${name}`;
  }

  put(type: ReportType, namespace: string, body: ReportObject): ReportObject {
    const meta = body.metadata as Record<string, unknown>;
    const stored = structuredClone({
      ...body,
      metadata: { ...meta, namespace, uid: meta.uid ?? `uid-${namespace}`, resourceVersion: String(++this.rv) },
    });
    this.objects.set(this.key(type, namespace, String(meta.name)), stored);
    return stored;
  }

  async list(type: ReportType, name: string): Promise<ReportObject[]> {
    this.calls.push(`list ${type.plural}`);
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(`${type.plural}/`) && k.endsWith(`/${name}`))
      .map(([, v]) => structuredClone(v));
  }

  async get(type: ReportType, namespace: string, name: string): Promise<ReportObject | undefined> {
    this.calls.push(`get ${namespace}`);
    const found = this.objects.get(this.key(type, namespace, name));
    return found && structuredClone(found);
  }

  async create(type: ReportType, namespace: string, body: ReportObject): Promise<ReportObject> {
    this.calls.push(`create ${namespace}`);
    const meta = body.metadata as { name: string };
    if (this.objects.has(this.key(type, namespace, meta.name)))
      throw new ReportsApiError('exists', 409, 'AlreadyExists');
    return this.put(type, namespace, body);
  }

  async replace(type: ReportType, namespace: string, name: string, body: ReportObject): Promise<ReportObject> {
    this.calls.push(`replace ${namespace}`);
    this.before.replace?.();
    delete this.before.replace;
    const current = this.objects.get(this.key(type, namespace, name));
    if (!current) throw new ReportsApiError('gone', 404, 'NotFound');
    const rv = (body.metadata as { resourceVersion?: string }).resourceVersion;
    if (rv !== (current.metadata as { resourceVersion: string }).resourceVersion) {
      throw new ReportsApiError('conflict', 409, 'Conflict');
    }
    return this.put(type, namespace, body);
  }

  async delete(type: ReportType, namespace: string, name: string, pre: DeletePreconditions): Promise<void> {
    this.calls.push(`delete ${namespace}`);
    this.before.delete?.();
    delete this.before.delete;
    const current = this.objects.get(this.key(type, namespace, name));
    if (!current) throw new ReportsApiError('gone', 404, 'NotFound');
    if (pre.resourceVersion !== (current.metadata as { resourceVersion: string }).resourceVersion) {
      throw new ReportsApiError('conflict', 409, 'Conflict');
    }
    this.objects.delete(this.key(type, namespace, name));
  }
}

const silent = { info: () => undefined, warn: () => undefined } as unknown as PinoLogger;
const PR = REPORT_TYPES.PolicyReport;

function issue(namespace: string, name: string, message = 'no CPU request'): SeenIssue {
  return {
    id: `${namespace}-${name}`.padEnd(16, '0'),
    rule: 'cpu-request-missing',
    severity: 'high',
    namespace,
    kind: 'Deployment',
    name,
    container: 'app',
    message,
    remediation: '',
    firstSeen: '2026-12-01T00:00:00.000Z',
    lastSeen: '2026-12-01T00:05:00.000Z',
  };
}

function workload(namespace: string, name: string, uid: string): Workload {
  return {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    namespace,
    name,
    uid,
    annotations: {},
    templateAnnotations: {},
    containers: [],
  };
}

describe('ReportPublisher', () => {
  let api: MemoryReportsApi;
  let sut: ReportPublisher;

  beforeEach(() => {
    api = new MemoryReportsApi();
    sut = new ReportPublisher(api, parseConfig({ reports: { policyReports: true } }), silent);
  });

  it('is off by default and then never calls the API', async () => {
    const off = new ReportPublisher(api, parseConfig({}), silent);
    expect(off.enabled).toBe(false);
    expect(await off.publish({ issues: [issue('a', 'x')], workloads: [], complete: true })).toEqual([]);
    expect(api.calls).toEqual([]);
  });

  it('writes nothing, and asks nothing, while the write gate is closed (a follower)', async () => {
    let leader = false;
    sut.setWriteGate(() => leader);
    await sut.publish({ issues: [issue('a', 'x')], workloads: [], complete: true });
    expect(api.calls).toEqual([]);
    leader = true;
    await sut.publish({ issues: [issue('a', 'x')], workloads: [], complete: true });
    expect(api.calls).toEqual(['list policyreports', 'create a']);
  });

  it('sends no further write once the gate closes during a publish (a leader stepping down)', async () => {
    let leader = true;
    sut.setWriteGate(() => leader);
    await sut.publish({ issues: [issue('a', 'x'), issue('b', 'y')], workloads: [], complete: true });
    expect(api.calls).toEqual(['list policyreports', 'create a', 'create b']);
    api.calls.length = 0;
    // The first write of the next publish is where this replica stops leading: nothing is written after it.
    const create = api.create.bind(api);
    api.create = async (...args: Parameters<MemoryReportsApi['create']>) => {
      leader = false;
      return create(...args);
    };
    await sut.publish({ issues: [issue('c', 'z')], workloads: [], complete: true });
    expect(api.calls).toEqual(['list policyreports', 'create c']);
    expect([...api.objects.keys()].sort()).toEqual([
      'policyreports/a/opsagent',
      'policyreports/b/opsagent',
      'policyreports/c/opsagent',
    ]);
  });

  it("keeps a workload's uid for an issue carried over by a partial scan that did not read it", async () => {
    await sut.publish({ issues: [issue('a', 'x')], workloads: [workload('a', 'x', 'uid-x')], complete: true });
    await sut.publish({ issues: [issue('a', 'x', 'changed')], workloads: [], complete: false });
    const stored = [...api.objects.values()][0] as { results: { resources: { uid?: string }[]; message: string }[] };
    expect(stored.results[0]).toMatchObject({ message: 'changed', resources: [{ uid: 'uid-x' }] });
    // A complete scan without the workload forgets it.
    await sut.publish({ issues: [issue('a', 'x', 'again')], workloads: [], complete: true });
    const again = [...api.objects.values()][0] as { results: { resources: { uid?: string }[] }[] };
    expect(again.results[0].resources[0].uid).toBeUndefined();
  });

  it("keeps other tools' labels and annotations on our report when it updates it", async () => {
    await sut.publish({ issues: [issue('a', 'x')], workloads: [], complete: true });
    const stored = [...api.objects.values()][0] as { metadata: Record<string, unknown> };
    stored.metadata.annotations = { note: 'kept' };
    stored.metadata.labels = { ...(stored.metadata.labels as object), team: 'a' };
    await sut.publish({ issues: [issue('a', 'x', 'changed')], workloads: [], complete: true });
    const updated = [...api.objects.values()][0] as { metadata: Record<string, unknown> };
    expect(updated.metadata.annotations).toEqual({ note: 'kept' });
    expect(updated.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'opsagent', team: 'a' });
  });

  it('retries a delete that met a 409 after a fresh GET, and gives up on a report that stopped being ours', async () => {
    await sut.publish({ issues: [issue('a', 'x'), issue('b', 'y')], workloads: [], complete: true });
    const bump = (ns: string, change: (o: ReportObject) => void) => () => {
      const o = api.objects.get(`policyreports/${ns}/opsagent`)!;
      change(o);
      api.put(PR, ns, o);
    };
    api.before.delete = bump('a', () => undefined);
    api.calls.length = 0;
    await sut.publish({ issues: [issue('b', 'y')], workloads: [], complete: true });
    expect(api.calls).toEqual(['list policyreports', 'delete a', 'get a', 'delete a']);
    expect(api.objects.has('policyreports/a/opsagent')).toBe(false);

    // Someone takes the report over (relabels it) between our list and our delete: left alone.
    api.before.delete = bump(
      'b',
      (o) => ((o.metadata as { labels: object }).labels = { 'app.kubernetes.io/managed-by': 'x' }),
    );
    const warnings = await sut.publish({ issues: [], workloads: [], complete: true });
    expect(warnings).toEqual([]);
    expect(api.objects.has('policyreports/b/opsagent')).toBe(true);
  });

  it('gives up after three conflicts in a row with a warning naming the report', async () => {
    await sut.publish({ issues: [issue('a', 'x')], workloads: [], complete: true });
    const original = api.replace.bind(api);
    api.replace = async () => {
      api.calls.push('replace a');
      throw new ReportsApiError('policyreports "opsagent": the object has been modified', 409, 'Conflict');
    };
    const warnings = await sut.publish({ issues: [issue('a', 'x', 'changed')], workloads: [], complete: true });
    api.replace = original;
    expect(api.calls.filter((c) => c === 'replace a')).toHaveLength(3);
    expect(warnings).toEqual([
      {
        code: 'reports-write-failed',
        message: 'could not update PolicyReport a/opsagent: policyreports "opsagent": the object has been modified',
        namespace: 'a',
        kind: 'PolicyReport',
        name: 'opsagent',
      },
    ]);
  });

  it('a failed list (not a 404) is one warning for the kind, not an exception', async () => {
    api.list = async () => {
      throw new ReportsApiError('list policyreports.wgpolicyk8s.io: forbidden', 403, 'Forbidden');
    };
    expect(await sut.publish({ issues: [issue('a', 'x')], workloads: [], complete: true })).toEqual([
      {
        code: 'reports-write-failed',
        message: 'could not write PolicyReports: list policyreports.wgpolicyk8s.io: forbidden',
      },
    ]);
  });
});
