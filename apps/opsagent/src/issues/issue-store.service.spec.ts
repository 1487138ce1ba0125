import { issueId } from '@opsagent/core/audit/audit';
import type { Issue } from '@opsagent/core/issue';
import type { Severity } from '@opsagent/core/severity';
import { parseConfig } from '@opsagent/core/config/config.loader';
import { IssueStore } from './issue-store.service';
import { InvalidContinueTokenError } from './issue-store.types';

function issue(namespace: string, name: string, rule: string, severity: Severity, container = 'app'): Issue {
  return {
    id: issueId('Deployment', namespace, name, container, rule),
    rule,
    severity,
    namespace,
    kind: 'Deployment',
    name,
    container,
    message: `${rule} on ${name}`,
    remediation: 'fix it',
  };
}

const never = () => false;

describe('IssueStore', () => {
  let sut: IssueStore;
  beforeEach(() => {
    sut = new IssueStore();
  });

  it('tracks new and resolved issues and keeps firstSeen across scans', () => {
    const a = issue('shop', 'web', 'cpu-limit-missing', 'low');
    const b = issue('shop', 'api', 'memory-limit-missing', 'high');
    expect(
      sut
        .replace([a, b], 't1', never)
        .added.map((i) => i.id)
        .sort(),
    ).toEqual([a.id, b.id].sort());
    const second = sut.replace([a], 't2', never);
    expect(second.added).toEqual([]);
    expect(second.resolved.map((i) => i.id)).toEqual([b.id]);
    expect(sut.get(a.id)).toMatchObject({ firstSeen: 't1', lastSeen: 't2' });
    expect(sut.get(b.id)).toBeUndefined();
  });

  it('carries over previous issues the keep predicate accepts, unchanged', () => {
    const a = issue('shop', 'web', 'cpu-limit-missing', 'low');
    sut.replace([a], 't1', never);
    const result = sut.replace([], 't2', (prev) => prev.kind === 'Deployment');
    expect(result).toMatchObject({ resolved: [], carriedOver: 1 });
    expect(sut.get(a.id)).toMatchObject({ firstSeen: 't1', lastSeen: 't1' });
  });

  it('gives a page as the same JSON text as JSON.stringify, from issue texts made once and dropped with the issue', () => {
    const found = [
      issue('shop', 'web', 'cpu-limit-missing', 'low'),
      issue('shop', 'a"pi\u2028', 'memory-limit-missing', 'high'),
    ];
    sut.replace(found, 't1', never);
    const first = sut.query({}, 1);
    expect(first.continue).toBeDefined();
    expect(sut.pageJson(first)).toBe(JSON.stringify(first));
    const all = sut.query({}, 10);
    expect(all.continue).toBeUndefined();
    expect(sut.pageJson(all)).toBe(JSON.stringify(all));
    expect(sut.pageJson(sut.query({ namespace: 'none' }, 10))).toBe('{"items":[],"total":0}');
    // The next scan stores new objects (lastSeen moves): their text is made anew, not taken from the cache.
    sut.replace(found, 't2', never);
    const again = sut.query({}, 10);
    expect(sut.pageJson(again)).toBe(JSON.stringify(again));
    expect(JSON.parse(sut.pageJson(again)).items[0].lastSeen).toBe('t2');
  });

  it('counts an issue listed twice once', () => {
    const a = issue('shop', 'web', 'cpu-limit-missing', 'low');
    sut.replace([a, { ...a }], 't1', never);
    expect(sut.size).toBe(1);
  });

  describe('query', () => {
    const severities: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
    const all: Issue[] = [];
    for (let n = 0; n < 50; n++) {
      all.push(issue(`ns-${n % 5}`, `w-${n}`, n % 2 ? 'cpu-limit-missing' : 'memory-limit-missing', severities[n % 5]));
    }
    beforeEach(() => sut.replace(all, 't', never));

    it('sorts by severity first and pages stably with continue', () => {
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = sut.query({}, 7, token);
        expect(page.total).toBe(50);
        seen.push(...page.items.map((i) => i.id));
        token = page.continue;
        pages++;
      } while (token);
      expect(pages).toBe(8);
      expect(seen).toEqual(sut.all().map((i) => i.id));
      expect(new Set(seen).size).toBe(50);
      expect(sut.all()[0].severity).toBe('critical');
    });

    it('filters by every key, exact severity and minimum severity', () => {
      expect(sut.query({ namespace: 'ns-1' }, 100).total).toBe(10);
      expect(sut.query({ namespace: 'ns-1', rule: 'cpu-limit-missing' }, 100).total).toBe(5);
      expect(sut.query({ severity: 'high' }, 100).items.every((i) => i.severity === 'high')).toBe(true);
      expect(sut.query({ minSeverity: 'high' }, 100).total).toBe(20);
      expect(sut.query({ minSeverity: 'high', namespace: 'ns-0' }, 100).total).toBe(10);
      expect(sut.query({ name: 'w-3' }, 100).items.map((i) => i.name)).toEqual(['w-3']);
      // A part of the name: w-3 and w-30 … w-39; with another key, both hold.
      expect(new Set(sut.query({ nameContains: 'w-3' }, 100).items.map((i) => i.name))).toEqual(
        new Set(['w-3', ...Array.from({ length: 10 }, (_, n) => `w-3${n}`)]),
      );
      expect(sut.query({ nameContains: '-3', namespace: 'ns-0' }, 100).items.map((i) => i.name)).toEqual([
        'w-30',
        'w-35',
      ]);
      expect(sut.query({ nameContains: 'nope' }, 100)).toEqual({ items: [], total: 0 });
      expect(sut.query({ kind: 'StatefulSet' }, 100)).toEqual({ items: [], total: 0 });
    });

    it('pages a filtered query without duplicates or gaps', () => {
      const ids: string[] = [];
      let token: string | undefined;
      do {
        const page = sut.query({ minSeverity: 'medium', rule: 'cpu-limit-missing' }, 4, token);
        ids.push(...page.items.map((i) => i.id));
        token = page.continue;
      } while (token);
      const expected = sut
        .all()
        .filter((i) => ['critical', 'high', 'medium'].includes(i.severity) && i.rule === 'cpu-limit-missing');
      expect(ids).toEqual(expected.map((i) => i.id));
    });

    it('continues after the last item seen even when the set changed in between', () => {
      const first = sut.query({}, 10);
      sut.replace(all.slice(5), 't2', never); // five issues resolved meanwhile
      const second = sut.query({}, 10, first.continue);
      const last = first.items.at(-1)!;
      expect(second.items.map((i) => i.id)).not.toContain(last.id);
      expect(second.items.every((i) => !first.items.some((f) => f.id === i.id))).toBe(true);
    });

    it.each([
      'garbage',
      Buffer.from('{"a":1}').toString('base64url'),
      Buffer.from('["x","a","b","c","d","e"]').toString('base64url'),
    ])('rejects the continue token %p', (token) => {
      expect(() => sut.query({}, 10, token)).toThrow(InvalidContinueTokenError);
    });

    it('summarises by severity, rule and namespace', () => {
      const summary = sut.summary();
      expect(summary.bySeverity).toEqual({ critical: 10, high: 10, medium: 10, low: 10, info: 10 });
      expect(summary.byRule).toEqual({ 'cpu-limit-missing': 25, 'memory-limit-missing': 25 });
      expect(Object.values(summary.byNamespace)).toEqual([10, 10, 10, 10, 10]);
    });
  });
});

describe('IssueStore identity across restarts', () => {
  const found = (id: string): Issue => ({
    id,
    rule: 'cpu-limit-missing',
    severity: 'medium',
    namespace: 'shop',
    kind: 'Deployment',
    name: id,
    container: 'app',
    message: 'm',
    remediation: 'r',
  });

  it('keeps the first-seen time of an issue found again after a restart, and does not count it new', () => {
    const before = new IssueStore();
    before.replace([found('a'), found('b')], '2026-11-01T00:00:00.000Z', () => false);
    const saved = before.identity();
    const sut = new IssueStore();
    sut.restoreIdentity(saved);
    const { added } = sut.replace([found('a'), found('c')], '2026-11-20T00:00:00.000Z', () => false);
    expect(added.map((i) => i.id)).toEqual(['c']);
    expect(sut.get('a')?.firstSeen).toBe('2026-11-01T00:00:00.000Z');
    expect(sut.get('c')?.firstSeen).toBe('2026-11-20T00:00:00.000Z');
    // Used once: `b`, not found again, is forgotten; a later scan treats it as new.
    expect(sut.identity()).toEqual(
      new Map([
        ['a', '2026-11-01T00:00:00.000Z'],
        ['c', '2026-11-20T00:00:00.000Z'],
      ]),
    );
    expect(sut.replace([found('b')], '2026-11-21T00:00:00.000Z', () => false).added.map((i) => i.id)).toEqual(['b']);
  });

  it('saves the restored identity again when no scan has used it yet', () => {
    const sut = new IssueStore();
    sut.restoreIdentity(new Map([['a', '2026-11-01T00:00:00.000Z']]));
    expect(sut.identity()).toEqual(new Map([['a', '2026-11-01T00:00:00.000Z']]));
  });
});

describe('IssueStore waste', () => {
  const over = (namespace: string, name: string, resource: 'cpu' | 'memory', waste: number, cost: number): Issue => ({
    ...issue(namespace, name, `${resource}-overprovisioned`, 'medium'),
    overProvisioning: {
      resource,
      unit: resource === 'cpu' ? 'millicores' : 'bytes',
      samples: 12,
      usage: 0,
      request: 0,
      recommended: 0,
      wastePerPod: waste / 2,
      replicas: 2,
      wasteTotal: waste,
      wasteMonthlyCost: cost,
      currency: 'EUR',
    },
  });
  const config = parseConfig({ cost: { currency: 'EUR' } });

  it('sums the current set per namespace, carried-over issues included, in the configured currency', () => {
    const sut = new IssueStore(config);
    sut.replace(
      [
        over('shop', 'web', 'cpu', 1500, 34.61),
        over('shop', 'web', 'memory', 2 ** 30, 3.09),
        over('data', 'db', 'cpu', 500, 11.54),
      ],
      't1',
      never,
    );
    expect(sut.summary().waste).toEqual({
      currency: 'EUR',
      total: { cpuCores: 2, memoryBytes: 2 ** 30, monthlyCost: 49.24 },
      byNamespace: {
        data: { cpuCores: 0.5, memoryBytes: 0, monthlyCost: 11.54 },
        shop: { cpuCores: 1.5, memoryBytes: 2 ** 30, monthlyCost: 37.7 },
      },
    });
    // data's issue is carried over (its kind could not be read); shop's memory issue is resolved.
    sut.replace([over('shop', 'web', 'cpu', 1500, 34.61)], 't2', (previous) => previous.namespace === 'data');
    expect(sut.waste().total).toEqual({ cpuCores: 2, memoryBytes: 0, monthlyCost: 46.15 });
    sut.replace([], 't3', never);
    expect(sut.waste()).toEqual({
      currency: 'EUR',
      total: { cpuCores: 0, memoryBytes: 0, monthlyCost: 0 },
      byNamespace: {},
    });
  });
});
