/**
 * values.schema.json: its `config` part is the application's config schema written as JSON Schema, so helm refuses a
 * bad config at install time instead of the pod crash-looping on it. These specs hold it to the application's
 * schema (CONFIG_KEYS, defaultConfig(), the enums), and check that helm itself refuses bad values.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { parse } from 'yaml';
import { CONFIG_KEYS } from '@opsagent/core/config/config.keys';
import { defaultConfig, loadConfigFile, parseConfig } from '@opsagent/core/config/config.loader';
import { LOG_LEVELS } from '@opsagent/core/config/config.schema';
import { RULE_IDS } from '@opsagent/core/rules/registry';
import { SEVERITIES } from '@opsagent/core/severity';
import { CHART_DIR, ensureHelm, helm, only, parseManifests, SETUP_TIMEOUT_MS, templateArgs } from './helm';

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  default?: unknown;
  enum?: unknown[];
}

const schema = JSON.parse(fs.readFileSync(path.join(CHART_DIR, 'values.schema.json'), 'utf8')) as JsonSchema;
const configSchema = schema.properties!.config;
const values = parse(fs.readFileSync(path.join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<string, unknown>;

/** A plain-data copy of the default config (class instances → objects, unset optional keys dropped). */
const defaults = JSON.parse(JSON.stringify(defaultConfig())) as Record<string, unknown>;

/** CONFIG_KEYS with `<id>` replaced by every registered rule id. */
const configPaths = CONFIG_KEYS.flatMap((key) =>
  key.includes('<id>') ? RULE_IDS.map((id) => key.replace('<id>', id)) : [key],
);

/** Leaf paths of a schema: the nodes without `properties`. */
function schemaLeaves(node: JsonSchema, prefix = ''): Map<string, JsonSchema> {
  if (!node.properties) return new Map([[prefix, node]]);
  return new Map(
    Object.entries(node.properties).flatMap(([key, child]) => [
      ...schemaLeaves(child, prefix ? `${prefix}.${key}` : key),
    ]),
  );
}

function objectNodes(node: JsonSchema, at = ''): [string, JsonSchema][] {
  if (!node.properties) return [];
  return [[at || '(root)', node], ...Object.entries(node.properties).flatMap(([k, c]) => objectNodes(c, `${at}/${k}`))];
}

function valueAt(object: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((o, key) => (o as Record<string, unknown> | undefined)?.[key], object);
}

beforeAll(ensureHelm, SETUP_TIMEOUT_MS);

describe('values.schema.json config ↔ the application config schema', () => {
  const leaves = schemaLeaves(configSchema);

  it('has every config key (rules.<id> for every registered rule) and no other', () => {
    expect([...leaves.keys()].sort()).toEqual([...configPaths].sort());
  });

  it.each(configPaths)('gives %s the default of defaultConfig()', (key) => {
    const expected = valueAt(defaults, key);
    const node = leaves.get(key)!;
    if (expected === undefined) expect(node).not.toHaveProperty('default');
    else expect(node.default).toEqual(expected);
  });

  it('refuses unknown keys at every level (additionalProperties: false)', () => {
    for (const [at, node] of objectNodes(schema)) {
      if (node === schema.properties?.global) continue;
      expect([at, node.additionalProperties]).toEqual([at, false]);
    }
  });

  it('allows the severities and log levels of the application, and only those', () => {
    for (const id of RULE_IDS) expect(leaves.get(`rules.${id}.severity`)?.enum).toEqual([...SEVERITIES]);
    expect(leaves.get('logLevel')?.enum).toEqual([...LOG_LEVELS]);
  });
});

describe('values.yaml config', () => {
  it('spells out the default config (rules left to their per-rule defaults), and sets the usage history file', () => {
    const { usage, ...config } = values.config as Record<string, unknown> & { usage: Record<string, unknown> };
    const { historyFile, ...usageDefaults } = usage;
    // The one value the chart sets beyond the agent's defaults: the history file on the /app/.cache volume.
    expect(historyFile).toBe('/app/.cache/usage-history');
    expect({ ...config, usage: usageDefaults, rules: defaults.rules }).toEqual(defaults);
    expect(config.rules).toEqual({});
    expect(JSON.parse(JSON.stringify(parseConfig({ ...config, usage: usageDefaults })))).toEqual(defaults);
  });
});

describe('the chart README', () => {
  const readme = fs.readFileSync(path.join(CHART_DIR, 'README.md'), 'utf8');
  const documented = (key: string) => readme.includes(`\`${key}\``);

  /** Value paths of values.yaml not in the README: a path is covered when it, or each of its children, is. */
  function undocumented(node: unknown, at: string): string[] {
    if (documented(at)) return [];
    const children = node !== null && typeof node === 'object' && !Array.isArray(node) ? Object.entries(node) : [];
    if (children.length === 0) return [at];
    return children.flatMap(([key, child]) => undocumented(child, `${at}.${key}`));
  }

  it('lists every value of values.yaml', () => {
    const missing = Object.entries(values).flatMap(([key, node]) => (key === 'config' ? [] : undocumented(node, key)));
    expect(missing).toEqual([]);
    for (const key of Object.keys(schema.properties!).filter((k) => k !== 'global'))
      expect([key, documented(key) || readme.includes(`\`${key}.`)]).toEqual([key, true]);
  });

  it('lists every config key', () => {
    expect(CONFIG_KEYS.filter((key) => !documented(`config.${key}`))).toEqual([]);
  });
});

describe('helm refuses bad values with its own schema error', () => {
  const refusal = (bad: unknown) => {
    const result = helm(templateArgs({}), bad);
    return { code: result.code, stderr: result.stderr };
  };

  it('a string for config.excludeNamespaces', () => {
    const { code, stderr } = refusal({ config: { excludeNamespaces: 'kube-system' } });
    expect(code).not.toBe(0);
    expect(stderr).toContain("values don't meet the specifications of the schema");
    expect(stderr).toContain("at '/config/excludeNamespaces': got string, want array");
  });

  it('an unknown key in config and at the top level', () => {
    const { code, stderr } = refusal({ config: { scheduel: '*/5 * * * *' }, replicas: 2 });
    expect(code).not.toBe(0);
    expect(stderr).toContain("at '/config': additional properties 'scheduel' not allowed");
    expect(stderr).toContain("at '': additional properties 'replicas' not allowed");
  });

  it('an invalid severity, and an unknown rule id', () => {
    const { code, stderr } = refusal({
      config: { rules: { 'cpu-limit-missing': { severity: 'urgent' }, 'no-such-rule': {} } },
    });
    expect(code).not.toBe(0);
    expect(stderr).toContain(
      "at '/config/rules/cpu-limit-missing/severity': value must be one of 'critical', 'high', 'medium', 'low', 'info'",
    );
    expect(stderr).toContain("at '/config/rules': additional properties 'no-such-rule' not allowed");
  });

  it('a second replica without leader election (refused by the templates, naming both keys)', () => {
    const { code, stderr } = refusal({ replicaCount: 2 });
    expect(code).not.toBe(0);
    expect(stderr).toContain('replicaCount 2 needs config.leaderElection.enabled: true');
  });
});

describe('helm and the agent agree on a config value', () => {
  const accepted = (config: Record<string, unknown>) => {
    const byHelm = helm(templateArgs({}), { config }).code === 0;
    let byAgent = true;
    try {
      parseConfig({ ...defaults, ...config });
    } catch {
      byAgent = false;
    }
    return { byHelm, byAgent };
  };

  it.each<[string, Record<string, unknown>, boolean]>([
    [
      'the README example',
      {
        schedule: '*/15 * * * *',
        includeNamespaces: ['payments'],
        overProvisioning: {
          minSamples: 6,
          cpu: { ratio: 1.5, minWaste: 0.1 },
          memory: { ratio: 2, minWaste: '1G' },
          window: '1h30m',
        },
      },
      true,
    ],
    [
      'rule settings',
      { rules: { 'cpu-limit-missing': { enabled: false }, 'memory-request-missing': { severity: 'critical' } } },
      true,
    ],
    ['a kubeconfig context', { kubernetes: { context: 'prod-eu', pageSize: 10_000, retries: 0 } }, true],
    ['port 0', { server: { port: 0 } }, false],
    ['port 65536', { metrics: { port: 65_536 } }, false],
    ['a port as a string', { server: { port: '18080' } }, false],
    ['a fractional minSamples', { overProvisioning: { minSamples: 1.5 } }, false],
    ['a ratio below 1', { overProvisioning: { cpu: { ratio: 0.5 } } }, false],
    ['a negative quantity', { overProvisioning: { memory: { minWaste: '-1Gi' } } }, false],
    ['a quantity with an unknown suffix', { overProvisioning: { cpu: { minWaste: '12Q' } } }, false],
    ['a duration without unit', { scanTimeout: '30' }, false],
    ['an empty includeNamespaces', { includeNamespaces: [] }, false],
    ['an invalid namespace name', { excludeNamespaces: ['Kube_System'] }, false],
    ['a too long namespace name', { excludeNamespaces: ['n'.repeat(64)] }, false],
    ['11 retries', { kubernetes: { retries: 11 } }, false],
    ['an unknown log level', { logLevel: 'verbose' }, false],
    ['an empty context', { kubernetes: { context: '' } }, false],
    ['a boolean as a string', { runOnStartup: 'yes' }, false],
    ['a schedule in words', { schedule: 'every five minutes' }, false],
    ['a schedule with too many fields', { schedule: '*/5 * * * * * *' }, false],
    ['a schedule with too few fields', { schedule: '*/5 * * *' }, false],
    ['a schedule with a step of nothing', { schedule: '*/ * * * *' }, false],
    ['a six-field schedule (seconds first)', { schedule: '*/30 * * * * *' }, true],
    ['a shorthand schedule', { schedule: '@hourly' }, true],
    ['a schedule with names, ranges, lists and steps', { schedule: '0,30 8-18/2 1-15 jan,jul mon-fri' }, true],
    ['a schedule with spaces around it', { schedule: ' 0 * * * * ' }, true],
    ['an unknown shorthand', { schedule: '@fortnightly' }, false],
  ])('%s', (_what, config, valid) => {
    expect(accepted(config)).toEqual({ byHelm: valid, byAgent: valid });
  });

  // What JSON Schema cannot express is left to the agent, which refuses it at start with the key path.
  it.each<[string, Record<string, unknown>]>([
    ['a cron field out of range', { schedule: '61 * * * *' }],
    ['an unknown day name', { schedule: '0 9 * * mox' }],
    ['a duration out of range', { overProvisioning: { window: '10s' } }],
  ])('%s: only the agent refuses it', (_what, config) => {
    expect(accepted(config)).toEqual({ byHelm: true, byAgent: false });
  });
});

describe('helm --set, which passes a decimal number as a string', () => {
  /** `helm template --set …`, then the rendered config.yaml loaded from a file by the agent's own loader. */
  const loadRendered = (sets: string[]) => {
    const result = helm([...templateArgs({}), ...sets.flatMap((set) => ['--set', set])]);
    if (result.code !== 0) return { code: result.code, stderr: result.stderr };
    const configMap = only<IConfigMap>(parseManifests(result.stdout), 'ConfigMap', 'opsagent-config');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-set-'));
    try {
      const file = path.join(dir, 'config.yaml');
      fs.writeFileSync(file, configMap.data!['config.yaml']);
      return { code: 0, config: loadConfigFile(file), text: configMap.data!['config.yaml'] };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  it('accepts --set config.overProvisioning.cpu.ratio=1.5, and the agent loads the rendered config', () => {
    const rendered = loadRendered([
      'config.overProvisioning.cpu.ratio=1.5',
      'config.overProvisioning.memory.ratio=2.25',
    ]);
    expect(rendered.stderr).toBeUndefined();
    expect(rendered.config?.overProvisioning.cpu.ratio).toBe(1.5);
    expect(rendered.config?.overProvisioning.memory.ratio).toBe(2.25);
    // A number in config.yaml, not the string helm was given.
    expect(parse(rendered.text!)).toMatchObject({ overProvisioning: { cpu: { ratio: 1.5 }, memory: { ratio: 2.25 } } });
  });

  it('accepts the under-provisioning ratios as --set decimal strings too, rendered as numbers', () => {
    const rendered = loadRendered([
      'config.underProvisioning.memory.ratio=1.5',
      'config.underProvisioning.cpu.throttledRatio=0.25',
    ]);
    expect(rendered.stderr).toBeUndefined();
    expect(rendered.config?.underProvisioning.memory.ratio).toBe(1.5);
    expect(rendered.config?.underProvisioning.cpu.throttledRatio).toBe(0.25);
    expect(parse(rendered.text!)).toMatchObject({
      underProvisioning: { memory: { ratio: 1.5 }, cpu: { throttledRatio: 0.25 } },
    });
  });

  it.each(['0', '1.5', 'abc', ''])('refuses --set config.underProvisioning.cpu.throttledRatio=%s', (ratio) => {
    const rendered = loadRendered([`config.underProvisioning.cpu.throttledRatio=${ratio}`]);
    expect(rendered.code).not.toBe(0);
    expect(rendered.stderr).toContain("at '/config/underProvisioning/cpu/throttledRatio'");
  });

  it('accepts --set prices and a currency (config.cost), and the agent loads them as numbers', () => {
    const rendered = loadRendered([
      'config.cost.cpuCoreHourly=0.0425',
      'config.cost.memoryGiBHourly=0',
      'config.cost.currency=EUR',
    ]);
    expect(rendered.stderr).toBeUndefined();
    expect(rendered.config?.cost).toMatchObject({ cpuCoreHourly: 0.0425, memoryGiBHourly: 0, currency: 'EUR' });
    expect(parse(rendered.text!)).toMatchObject({ cost: { cpuCoreHourly: 0.0425, memoryGiBHourly: 0 } });
  });

  it.each([
    ['cpuCoreHourly', '-1'],
    ['memoryGiBHourly', 'cheap'],
    ['currency', 'usd'],
  ])('refuses --set config.cost.%s=%s', (key, value) => {
    const rendered = loadRendered([`config.cost.${key}=${value}`]);
    expect(rendered.code).not.toBe(0);
    expect(rendered.stderr).toContain(`at '/config/cost/${key}'`);
  });

  it('still accepts whole numbers, which helm passes as integers', () => {
    expect(loadRendered(['config.overProvisioning.cpu.ratio=3']).config?.overProvisioning.cpu.ratio).toBe(3);
  });

  it.each(['0.5', '0.99', 'abc', '1.5x', ''])('refuses --set config.overProvisioning.cpu.ratio=%s', (ratio) => {
    const rendered = loadRendered([`config.overProvisioning.cpu.ratio=${ratio}`]);
    expect(rendered.code).not.toBe(0);
    expect(rendered.stderr).toContain("at '/config/overProvisioning/cpu/ratio'");
  });
});

describe('resources: Kubernetes quantities only', () => {
  const result = (resources: unknown) => helm(templateArgs({}), { resources });

  it.each<[string, unknown]>([
    [
      'millicores and binary suffixes',
      { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
    ],
    ['numbers', { requests: { cpu: 0.5, memory: 268_435_456 }, limits: { cpu: 2 } }],
    ['decimal suffixes and exponents', { requests: { cpu: '0.25', memory: '300M' }, limits: { memory: '1e9' } }],
  ])('accepts %s', (_what, resources) => {
    expect(result(resources).stderr).toBe('');
  });

  it.each<[string, unknown, string]>([
    ['a unit in words', { limits: { memory: '512 MB' } }, '/resources/limits/memory'],
    ['an unknown suffix', { requests: { cpu: '12Q' } }, '/resources/requests/cpu'],
    ['a negative quantity', { requests: { memory: '-1Gi' } }, '/resources/requests/memory'],
    ['a negative number', { limits: { cpu: -1 } }, '/resources/limits/cpu'],
    ['lower-case binary suffix', { limits: { memory: '512mi' } }, '/resources/limits/memory'],
    ['an empty string', { requests: { cpu: '' } }, '/resources/requests/cpu'],
  ])('refuses %s', (_what, resources, at) => {
    const { code, stderr } = result(resources);
    expect(code).not.toBe(0);
    expect(stderr).toContain(`at '${at}'`);
  });
});
