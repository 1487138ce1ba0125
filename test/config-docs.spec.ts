import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CONFIG_KEYS } from '@opsagent/core/config/config.keys';
import { parseConfig } from '@opsagent/core/config/config.loader';

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
