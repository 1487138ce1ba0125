import fs from 'node:fs';
import path from 'node:path';
import type { UsageSource } from '@opsagent/core/audit/usage-stats';
import { defaultConfig } from '@opsagent/core/config/config.loader';
import { auditManifests } from '@opsagent/core/report/audit-manifests';
import { RULES } from '@opsagent/core/rules/registry';

/**
 * Walks test/fixtures/rules/<rule-id>/{pass,fail}-*: a `fail-` file must give at least one finding of
 * that rule (exactly for the containers in a `# expect: a,b` line when there is one); a `pass-` file
 * must give none of that rule.
 */
const FIXTURES = path.join(__dirname, 'fixtures', 'rules');
const README = path.join(__dirname, '..', 'README.md');

interface Fixture {
  rule: string;
  file: string;
  expectFinding: boolean;
  expectedContainers?: string[];
  /** `# cfs: <container>=<throttled>/<periods>`: CFS counters, which only the Prometheus source reads. */
  cfs?: Map<string, { throttled: number; periods: number }>;
}

/**
 * A UsageSource (our own port) that adds a fixture's CFS counters to the file's usage, as the Prometheus source
 * would: an in-memory stand-in for the one figure PodMetrics cannot carry.
 */
function withCfs(cfs: NonNullable<Fixture['cfs']>): (usage: UsageSource) => UsageSource {
  return (usage) => ({
    statsFor: (workload) =>
      new Map(
        [...usage.statsFor(workload)].map(([name, stats]) => {
          const c = cfs.get(name);
          return [name, c ? { ...stats, cpuThrottledPeriods: c.throttled, cpuPeriods: c.periods } : stats];
        }),
      ),
  });
}

function fixtures(): Fixture[] {
  return fs
    .readdirSync(FIXTURES)
    .flatMap((rule) =>
      fs.readdirSync(path.join(FIXTURES, rule)).map((name) => {
        const file = path.join(FIXTURES, rule, name);
        const text = fs.readFileSync(file, 'utf8');
        const expect = /^# expect: (.+)$/m.exec(text);
        const cfsLine = /^# cfs: (.+)$/m.exec(text);
        const cfs = cfsLine
          ? new Map(
              cfsLine[1].split(',').map((entry) => {
                const [, container, throttled, periods] = /^\s*([^=]+)=(\d+)\/(\d+)\s*$/.exec(entry)!;
                return [container, { throttled: Number(throttled), periods: Number(periods) }] as const;
              }),
            )
          : undefined;
        return {
          rule,
          file,
          expectFinding: name.startsWith('fail-'),
          expectedContainers: expect?.[1].split(',').map((s) => s.trim()),
          cfs,
        };
      }),
    )
    .sort((a, b) => a.file.localeCompare(b.file));
}

describe('rule fixtures', () => {
  it.each(fixtures().map((f) => [`${f.rule}/${path.basename(f.file)}`, f] as const))('%s', async (_name, fixture) => {
    const report = await auditManifests([fixture.file], {
      config: defaultConfig(),
      defaultNamespace: 'default',
      ...(fixture.cfs ? { wrapUsage: withCfs(fixture.cfs) } : {}),
    });
    const findings = report.issues.filter((i) => i.rule === fixture.rule);
    if (!fixture.expectFinding) {
      expect(findings).toEqual([]);
      return;
    }
    expect(findings.length).toBeGreaterThan(0);
    if (fixture.expectedContainers) {
      expect(findings.map((f) => f.container).sort()).toEqual([...fixture.expectedContainers].sort());
    }
    for (const f of findings) {
      expect(f.remediation).not.toBe('');
      expect(f.message).toContain(f.container);
      expect(f.id).toMatch(/^[0-9a-f]{16}$/);
    }
  });
});

describe('rule registry guard', () => {
  const all = fixtures();
  const readme = fs.existsSync(README) ? fs.readFileSync(README, 'utf8') : '';

  it.each(RULES.map((r) => [r.id, r] as const))('%s has remediation, docs and fixtures', (id, rule) => {
    expect(rule.remediation.trim().length).toBeGreaterThan(20);
    expect(rule.description.trim().length).toBeGreaterThan(20);
    expect(all.some((f) => f.rule === id && f.expectFinding)).toBe(true);
    expect(all.some((f) => f.rule === id && !f.expectFinding)).toBe(true);
    // A row of the README's rules table: | `id` | severity | …
    expect(readme).toMatch(new RegExp(`^\\|\\s*\`${id}\`\\s*\\|\\s*${rule.defaultSeverity}\\s*\\|`, 'm'));
  });

  it('has no fixture folder for an unregistered rule', () => {
    const ids = new Set(RULES.map((r) => r.id));
    expect(fs.readdirSync(FIXTURES).filter((dir) => !ids.has(dir))).toEqual([]);
  });

  it('has unique rule ids', () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
  });
});
