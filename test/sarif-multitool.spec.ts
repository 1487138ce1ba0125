/**
 * `opsagent scan --output sarif` checked with Microsoft's SARIF multitool (`@microsoft/sarif-multitool`, a .NET
 * binary shipped in the registry package): `validate --rule-kind "Sarif;Gh"` runs the SARIF 2.1.0 schema and
 * specification rules plus GitHub code scanning's own. Each output must have no error and no warning.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'opsagent');
// The package's own bin.js runs the tool through a shell, which splits "Sarif;Gh" at the `;`: call the binary.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the package exports the binary's path only
const MULTITOOL = require('@microsoft/sarif-multitool') as string;
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-sarif-'));

interface ValidationResult {
  ruleId: string;
  level: 'error' | 'warning' | 'note' | 'none';
  message: { id?: string; text?: string; arguments?: string[] };
}

function validate(file: string): ValidationResult[] {
  const out = `${file}.validation.sarif`;
  const run = spawnSync(
    MULTITOOL,
    ['validate', '--rule-kind', 'Sarif;Gh', file, '--output', out, '--log', 'ForceOverwrite'],
    {
      encoding: 'utf8',
      // .NET without ICU on a minimal machine; the validation is culture-independent.
      env: { ...process.env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1', DOTNET_CLI_TELEMETRY_OPTOUT: '1' },
      timeout: 120_000,
    },
  );
  if (run.error) throw run.error;
  expect(run.stdout).toContain('Analysis completed successfully');
  const log = JSON.parse(fs.readFileSync(out, 'utf8')) as { runs: { results: ValidationResult[] }[] };
  return log.runs[0].results;
}

/** Scans with `--output sarif` and writes the log to a file; returns its path. */
function sarifOf(name: string, args: string[], expectedCode: number, stdin?: string): string {
  const run = spawnSync(BIN, ['scan', ...args, '--output', 'sarif'], {
    cwd: ROOT,
    encoding: 'utf8',
    input: stdin ?? '',
    env: { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig', KUBERNETES_SERVICE_HOST: '' },
  });
  expect(run.status).toBe(expectedCode);
  const file = path.join(TMP, `${name}.sarif`);
  fs.writeFileSync(file, run.stdout);
  return file;
}

const problems = (results: ValidationResult[]) =>
  results.filter((r) => r.level === 'error' || r.level === 'warning').map((r) => `${r.ruleId} ${r.message.arguments}`);

afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

describe('SARIF multitool validate --rule-kind "Sarif;Gh"', () => {
  it.each([
    ['examples', ['examples/'], 0],
    ['findings', ['test/fixtures/cli/findings.yaml'], 0],
    ['warnings', ['test/fixtures/cli/annotations.yaml'], 0],
    ['no-findings', ['test/fixtures/cli/clean.yaml'], 0],
    ['input-error', ['test/fixtures/cli/partial'], 2],
  ] as const)('%s: no error and no warning', (name, args, code) => {
    expect(problems(validate(sarifOf(name, [...args], code)))).toEqual([]);
  });

  it('read from stdin: no error and no warning', () => {
    const manifest = fs.readFileSync(path.join(ROOT, 'test/fixtures/cli/findings.yaml'), 'utf8');
    expect(problems(validate(sarifOf('stdin', ['-'], 0, manifest)))).toEqual([]);
  });

  it('does find the errors of a broken log (the check can fail)', () => {
    const log = JSON.parse(fs.readFileSync(sarifOf('to-break', ['test/fixtures/cli/findings.yaml'], 0), 'utf8'));
    delete log.runs[0].results[0].message;
    log.runs[0].results[1].locations[0].physicalLocation.region.startLine = 0;
    const broken = path.join(TMP, 'broken.sarif');
    fs.writeFileSync(broken, JSON.stringify(log));
    expect(problems(validate(broken))).toEqual([
      'JSON1002 runs[0].results[0],message',
      'JSON1008 runs[0].results[1].locations[0].physicalLocation.region.startLine,0,1',
    ]);
  });
});
