import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CONFIG_KEYS } from '@opsagent/core/config/config.keys';
import { parseConfig } from '@opsagent/core/config/config.loader';
import { RULES, RULE_IDS } from '@opsagent/core/rules/registry';

const README = join(__dirname, '..', 'README.md');
const HEADING = '## Configuration';

/** The README text from `## Configuration` up to the next heading of the same or a higher level. */
function configurationSection(): string {
  let text: string;
  try {
    text = readFileSync(README, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${README}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.trim() === HEADING);
  if (start < 0) throw new Error(`${README} has no "${HEADING}" section`);
  let inFence = false;
  let end = start + 1;
  for (; end < lines.length; end++) {
    // `# …` inside a fenced block is a YAML or shell comment, not a heading.
    if (/^\s*(```|~~~)/.test(lines[end])) inFence = !inFence;
    else if (!inFence && /^#{1,2} /.test(lines[end])) break;
  }
  return lines.slice(start, end).join('\n');
}

describe('README configuration section', () => {
  it('documents every config key in backticks', () => {
    const section = configurationSection();
    const missing = CONFIG_KEYS.filter((key) => !section.includes(`\`${key}\``));
    expect(missing).toEqual([]);
  });

  it('documents no key the schema does not have', () => {
    // The first cell of each table row is a key.
    const documented = configurationSection()
      .split('\n')
      .map((line) => /^\|\s*`([^`]+)`\s*\|/.exec(line)?.[1])
      .filter((key): key is string => key !== undefined);
    expect(documented.filter((key) => !CONFIG_KEYS.includes(key))).toEqual([]);
  });

  it('has a YAML example that is a valid config', () => {
    const example = /```yaml\n([\s\S]*?)```/.exec(configurationSection())?.[1];
    expect(example).toBeDefined();
    expect(() => parseConfig(parse(example ?? ''), 'README example')).not.toThrow();
  });
});

/**
 * Every registered rule in every place that lists rules: the README's rule reference (its description and fix,
 * verbatim, under `#### <id>`), the chart README's rule-id list and the chart's values.schema.json
 * (`config.rules`). The README's rules table is guarded in test/rules.fixtures.spec.ts.
 */
describe('rule docs', () => {
  const readme = readFileSync(README, 'utf8');
  const chartDir = join(__dirname, '..', 'charts', 'opsagent');
  const chartReadme = readFileSync(join(chartDir, 'README.md'), 'utf8');
  const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as {
    properties: { config: { properties: { rules: { properties: Record<string, unknown> } } } };
  };

  it.each(RULES.map((r) => [r.id, r] as const))(
    "README's rule reference gives %s's description and fix as the rule has them",
    (id, rule) => {
      const start = readme.indexOf(`\n#### ${id}\n`);
      expect(start).toBeGreaterThan(0);
      const section = readme.slice(start + 1).split(/\n#{1,4} /)[0];
      expect(section).toContain(`${rule.title} (default severity ${rule.defaultSeverity}). ${rule.description}`);
      expect(section).toContain(`**Fix:** ${rule.remediation}`);
    },
  );

  it("chart README's rule-id list names every registered rule, in order, and no other", () => {
    const list = /^Rule ids: ([\s\S]*?)\.\n/m.exec(chartReadme)?.[1];
    expect(list).toBeDefined();
    expect([...(list ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1])).toEqual(RULE_IDS);
  });

  it('chart values.schema.json has config.rules.<id> for every registered rule and no other', () => {
    expect(Object.keys(schema.properties.config.properties.rules.properties)).toEqual(RULE_IDS);
  });
});
