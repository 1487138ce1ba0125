import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * `opsagent scan` without `--config` takes the defaults without loading the validation libraries (class-validator,
 * class-transformer, cron): see libs/core/src/config/validation-libraries.ts. These tests run the built modules in a
 * new process, where nothing has loaded those libraries yet, and prove that the defaults it gets that way are the
 * ones the validating loader gives for an empty config.
 */

const ROOT = path.join(__dirname, '..');
const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');
const DIST = path.join(ROOT, 'dist', 'libs', 'core', 'src', 'config');

/** Runs `script` in a new Node process, with `dist` set to the built config modules; returns what it printed. */
function inNewProcess(script: string): unknown {
  const child = spawnSync(NODE, ['-e', `const dist = ${JSON.stringify(DIST)};\n${script}`], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`node exited ${child.status}: ${child.stderr}`);
  return JSON.parse(child.stdout);
}

/** A config as data: every value, and the class of every section, so a plain object would not pass for it. */
const DESCRIBE = `
const loaded = (name) => Object.keys(require.cache).some((f) => f.includes('/node_modules/' + name + '/'));
function describe(value) {
  if (Array.isArray(value)) return value.map(describe);
  if (typeof value !== 'object' || value === null) return value;
  const out = { '(class)': value.constructor.name };
  for (const [k, v] of Object.entries(value)) out[k] = describe(v);
  return out;
}
`;

describe('the defaults without the validation libraries', () => {
  const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-defaults-'));
  const EMPTY = path.join(TMP, 'empty.yaml');
  fs.writeFileSync(EMPTY, '# only a comment\n');

  const result = inNewProcess(`${DESCRIBE}
const { OpsAgentConfig } = require(dist + '/config.schema.js');
const beforeLoading = describe(new OpsAgentConfig());
const librariesBefore = ['class-validator', 'class-transformer', 'cron'].filter(loaded);
const loader = require(dist + '/config.loader.js');
const defaultsAfterLoader = describe(loader.defaultConfig());
const librariesAfterLoader = ['class-validator', 'class-transformer', 'cron'].filter(loaded);
const parsedEmpty = describe(loader.parseConfig({}));
const parsedNull = describe(loader.parseConfig(null));
const emptyFile = describe(loader.loadConfigFile(${JSON.stringify(EMPTY)}));
const librariesAfterParse = ['class-validator', 'class-transformer', 'cron'].filter(loaded);
const defaultsAfterParse = describe(new OpsAgentConfig());
process.stdout.write(JSON.stringify({
  beforeLoading, librariesBefore, defaultsAfterLoader, librariesAfterLoader,
  parsedEmpty, parsedNull, emptyFile, librariesAfterParse, defaultsAfterParse,
}));
`) as Record<string, unknown>;

  afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

  it('are taken without loading class-validator, class-transformer or cron', () => {
    expect(result.librariesBefore).toEqual([]);
    // The loader module alone loads none either: only validating a config does.
    expect(result.librariesAfterLoader).toEqual([]);
  });

  it('are what the validating loader gives for an empty config, section classes included', () => {
    expect(result.beforeLoading).toMatchObject({ '(class)': 'OpsAgentConfig', schedule: '*/5 * * * *' });
    expect(result.parsedEmpty).toEqual(result.beforeLoading);
    expect(result.parsedNull).toEqual(result.beforeLoading);
    expect(result.emptyFile).toEqual(result.beforeLoading);
    expect(result.defaultsAfterLoader).toEqual(result.beforeLoading);
  });

  it('do not change once the libraries are loaded and the decorators applied', () => {
    expect(result.librariesAfterParse).toEqual(['class-validator', 'class-transformer', 'cron']);
    expect(result.defaultsAfterParse).toEqual(result.beforeLoading);
  });

  it('validation still works once the decorators are applied late: a bad value is refused', () => {
    const refused = inNewProcess(`
const { OpsAgentConfig } = require(dist + '/config.schema.js');
new OpsAgentConfig();
const loader = require(dist + '/config.loader.js');
const problems = [];
for (const input of [{ schedule: 'nope' }, { overProvisioning: { cpu: { minWaste: 'x' } } }, { kubernetes: { context: '' } }]) {
  try { loader.parseConfig(input); problems.push('accepted'); } catch (e) { problems.push(e.problems.map((p) => p.path)); }
}
process.stdout.write(JSON.stringify(problems));
`);
    expect(refused).toEqual([['schedule'], ['overProvisioning.cpu.minWaste'], ['kubernetes.context']]);
  });
});
