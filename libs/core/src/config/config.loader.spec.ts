import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type ConfigProblem } from './config.errors';
import { CONFIG_KEYS } from './config.keys';
import {
  defaultConfig,
  isNamespaceAudited,
  loadConfigFile,
  parseConfig,
  resolveRuleSettings,
  type OpsAgentConfig,
} from './config.loader';
import { OverProvisioningConfig, OpsAgentConfig as OpsAgentConfigClass, RuleConfig } from './config.schema';

const RULE_DEFAULTS: [string, string][] = [
  ['cpu-request-missing', 'medium'],
  ['memory-request-missing', 'high'],
  ['cpu-limit-missing', 'low'],
  ['memory-limit-missing', 'high'],
  ['cpu-overprovisioned', 'medium'],
  ['memory-overprovisioned', 'medium'],
  ['memory-oom-killed', 'high'],
  ['memory-underprovisioned', 'medium'],
  ['cpu-throttled', 'medium'],
];
const RULE_ID_LIST = RULE_DEFAULTS.map(([id]) => id).join(', ');

/** `{ a: { b: value } }` from `'a.b'`. */
function at(path: string, value: unknown): Record<string, unknown> {
  return path
    .split('.')
    .reduceRight<Record<string, unknown>>((inner, key) => ({ [key]: inner }), value as Record<string, unknown>);
}

function get(config: OpsAgentConfig, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config);
}

function problemsOf(run: () => unknown): ConfigProblem[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError, but the config was accepted');
}

describe('defaults', () => {
  const expected: [string, unknown][] = [
    ['schedule', '*/5 * * * *'],
    ['runOnStartup', true],
    ['excludeNamespaces', ['kube-system', 'kube-public', 'kube-node-lease']],
    ['includeNamespaces', undefined],
    ...RULE_DEFAULTS.flatMap(([id, severity]): [string, unknown][] => [
      [`rules.${id}.enabled`, true],
      [`rules.${id}.severity`, severity],
    ]),
    ['overProvisioning.minSamples', 12],
    ['overProvisioning.cpu.ratio', 2],
    ['overProvisioning.cpu.minWaste', '100m'],
    ['overProvisioning.memory.ratio', 2],
    ['overProvisioning.memory.minWaste', '128Mi'],
    ['overProvisioning.window', '14d'],
    ['underProvisioning.memory.ratio', 1.2],
    ['underProvisioning.cpu.throttledRatio', 0.1],
    ['usage.sampleInterval', '1m'],
    ['usage.historyFile', undefined],
    ['usage.source', 'metrics-server'],
    ['usage.prometheus.url', undefined],
    ['usage.prometheus.bearerTokenFile', undefined],
    ['usage.prometheus.timeout', '30s'],
    ['usage.prometheus.rateRange', '5m'],
    ['cost.cpuCoreHourly', 0.031611],
    ['cost.memoryGiBHourly', 0.004237],
    ['cost.currency', 'USD'],
    ['server.port', 18080],
    ['server.shedAfterBusy', '100ms'],
    ['server.auth.mode', 'none'],
    ['server.auth.cacheTtl', '30s'],
    ['server.auth.reviewTimeout', '5s'],
    ['server.auth.reviewsPerSecond', 20],
    ['metrics.port', 9090],
    ['kubernetes.context', undefined],
    ['kubernetes.pageSize', 500],
    ['kubernetes.requestTimeout', '30s'],
    ['kubernetes.retries', 3],
    ['reports.policyReports', false],
    ['reports.openReports', false],
    ['scanTimeout', '4m'],
    ['scanMinInterval', '30s'],
    ['logLevel', 'info'],
  ];

  it.each([
    ['defaultConfig()', () => defaultConfig()],
    ['parseConfig(undefined)', () => parseConfig(undefined)],
    ['parseConfig(null)', () => parseConfig(null)],
    ['parseConfig({})', () => parseConfig({})],
  ])('%s has every default', (_name, make) => {
    const sut = make();
    expect(sut).toBeInstanceOf(OpsAgentConfigClass);
    expect(expected.map(([path]) => [path, get(sut, path)])).toEqual(expected);
  });

  it('keeps the defaults of absent keys beside a key that is set', () => {
    const sut = parseConfig({
      overProvisioning: { cpu: { ratio: 3 } },
      rules: { 'cpu-limit-missing': { enabled: false } },
    });
    expect(sut.overProvisioning).toBeInstanceOf(OverProvisioningConfig);
    expect(sut.overProvisioning.cpu).toEqual({ ratio: 3, minWaste: '100m' });
    expect(sut.overProvisioning.memory).toEqual({ ratio: 2, minWaste: '128Mi' });
    expect(sut.overProvisioning.minSamples).toBe(12);
    expect(sut.rules['cpu-limit-missing']).toBeInstanceOf(RuleConfig);
    expect(sut.rules['cpu-limit-missing']).toEqual({ enabled: false, severity: 'low' });
    expect(sut.rules['memory-limit-missing']).toEqual({ enabled: true, severity: 'high' });
  });

  it('gives a key set to null (`key:` with no value) its default', () => {
    const sut = parseConfig({ schedule: null, overProvisioning: { cpu: null }, rules: null, includeNamespaces: null });
    expect(sut).toEqual(defaultConfig());
  });

  it('returns independent objects', () => {
    const first = defaultConfig();
    first.excludeNamespaces.push('mutated');
    first.rules['cpu-limit-missing'].enabled = false;
    expect(defaultConfig().excludeNamespaces).not.toContain('mutated');
    expect(defaultConfig().rules['cpu-limit-missing'].enabled).toBe(true);
  });

  it('does not modify its input', () => {
    const input = { scheduel: 'x', server: { port: 1, host: 'h' } };
    const copy = structuredClone(input);
    expect(() => parseConfig(input)).toThrow(ConfigError);
    expect(input).toEqual(copy);
  });
});

describe('accepted values', () => {
  // One row per key in CONFIG_KEYS (checked below): path, value as written, value as stored.
  const good: [string, unknown, unknown][] = [
    ['schedule', '0 * * * *', '0 * * * *'],
    ['schedule', '*/30 * * * * *', '*/30 * * * * *'],
    ['schedule', '@hourly', '@hourly'],
    ['runOnStartup', false, false],
    ['excludeNamespaces', ['team-a', 'x', 'a1-b2'], ['team-a', 'x', 'a1-b2']],
    ['excludeNamespaces', [], []],
    ['excludeNamespaces', ['a'.repeat(63)], ['a'.repeat(63)]],
    ['includeNamespaces', ['payments'], ['payments']],
    ['rules.<id>.enabled', false, false],
    ['rules.<id>.severity', 'critical', 'critical'],
    ['rules.<id>.severity', 'info', 'info'],
    ['overProvisioning.minSamples', 1, 1],
    ['overProvisioning.cpu.ratio', 1, 1],
    ['overProvisioning.cpu.ratio', 1.5, 1.5],
    ['overProvisioning.cpu.minWaste', '250m', '250m'],
    ['overProvisioning.cpu.minWaste', 0.1, '0.1'],
    ['overProvisioning.cpu.minWaste', 0, '0'],
    ['overProvisioning.memory.ratio', 4, 4],
    ['overProvisioning.memory.minWaste', '1Gi', '1Gi'],
    ['overProvisioning.memory.minWaste', 1000000, '1000000'],
    ['overProvisioning.memory.minWaste', '1e6', '1e6'],
    ['overProvisioning.window', '1h', '1h'],
    ['overProvisioning.window', '7d', '7d'],
    ['overProvisioning.window', '30d', '30d'],
    ['underProvisioning.memory.ratio', 1, 1],
    ['underProvisioning.memory.ratio', 1.5, 1.5],
    ['underProvisioning.cpu.throttledRatio', 0.001, 0.001],
    ['underProvisioning.cpu.throttledRatio', 1, 1],
    ['usage.sampleInterval', '1s', '1s'],
    ['usage.sampleInterval', '1h', '1h'],
    ['usage.historyFile', '/app/.cache/usage-history', '/app/.cache/usage-history'],
    ['usage.source', 'metrics-server', 'metrics-server'],
    ['usage.prometheus.url', 'http://prometheus.monitoring:9090', 'http://prometheus.monitoring:9090'],
    ['usage.prometheus.url', 'https://thanos.example.com/prom/', 'https://thanos.example.com/prom/'],
    ['usage.prometheus.bearerTokenFile', '/var/run/secrets/prom/token', '/var/run/secrets/prom/token'],
    ['usage.prometheus.timeout', '2m', '2m'],
    ['usage.prometheus.rateRange', '2m', '2m'],
    ['cost.cpuCoreHourly', 0, 0],
    ['cost.cpuCoreHourly', 0.0425, 0.0425],
    ['cost.memoryGiBHourly', 0.0057, 0.0057],
    ['cost.currency', 'EUR', 'EUR'],
    ['cost.currency', 'JPY', 'JPY'],
    ['server.port', 1, 1],
    ['server.port', 65535, 65535],
    ['server.shedAfterBusy', '1ms', '1ms'],
    ['server.auth.mode', 'kubernetes', 'kubernetes'],
    ['server.auth.cacheTtl', '0s', '0s'],
    ['server.auth.reviewTimeout', '100ms', '100ms'],
    ['server.auth.reviewsPerSecond', 10000, 10000],
    ['metrics.port', 8081, 8081],
    ['kubernetes.context', 'prod-eu', 'prod-eu'],
    ['kubernetes.pageSize', 1, 1],
    ['kubernetes.pageSize', 10000, 10000],
    ['kubernetes.requestTimeout', '1m30s', '1m30s'],
    ['kubernetes.retries', 0, 0],
    ['reports.policyReports', true, true],
    ['reports.openReports', true, true],
    ['leaderElection.enabled', false, false],
    ['leaderElection.leaseName', 'opsagent-eu.prod', 'opsagent-eu.prod'],
    ['leaderElection.namespace', 'ops-system', 'ops-system'],
    ['leaderElection.identity', 'opsagent-7d9f-x2x4q', 'opsagent-7d9f-x2x4q'],
    ['leaderElection.leaseDuration', '1m', '1m'],
    ['leaderElection.renewDeadline', '5s', '5s'],
    ['leaderElection.retryPeriod', '500ms', '500ms'],
    ['scanTimeout', '90s', '90s'],
    ['scanMinInterval', '0s', '0s'],
    ['logLevel', 'debug', 'debug'],
  ];

  it.each(
    RULE_DEFAULTS.flatMap(([id]) =>
      good.map(([key, written, stored]): [string, unknown, unknown] => [key.replace('<id>', id), written, stored]),
    ),
  )('%s: %j', (path, written, stored) => {
    expect(get(parseConfig(at(path, written)), path)).toEqual(stored);
  });

  it('has a row for every key in CONFIG_KEYS', () => {
    expect([...new Set(good.map(([key]) => key))]).toEqual(CONFIG_KEYS);
  });
});

describe('rejected values', () => {
  const severities = 'must be one of critical, high, medium, low, info';
  const mapping = 'must be a mapping of keys';
  const currency = 'must be an ISO 4217 currency code: three capital letters such as "USD" or "EUR"';
  const port = 'must be an integer from 1 to 65535';
  const cpuQuantity = 'must be a CPU quantity such as 100m or 0.5';
  const memoryQuantity = 'must be a memory quantity such as 128Mi or 1G';
  const cron = 'must be a cron expression such as "*/5 * * * *"';
  const namespaces =
    "must contain only namespace names (DNS-1123 labels: lowercase letters, digits and '-', at most 63 characters)";

  // input, the one problem expected: path and reason (a string is the exact reason, a RegExp matches it)
  // prettier-ignore
  const bad: [string, unknown, string, string | RegExp][] = [
    ['unknown key at the root', { scheduel: '* * * * *' }, 'scheduel', 'unknown key'],
    ['unknown nested key', at('overProvisioning.cpu.ratoi', 3), 'overProvisioning.cpu.ratoi', 'unknown key'],
    ['unknown key in a section', at('server.host', 'x'), 'server.host', 'unknown key'],
    ['unknown key in a rule', at('rules.cpu-limit-missing.severty', 'low'), 'rules.cpu-limit-missing.severty', 'unknown key'],
    ['a key named like an Object member', { toString: 'x' }, 'toString', 'unknown key'],
    ['a nested key named like an Object member', at('server.constructor', 1), 'server.constructor', 'unknown key'],
    ['a dotted key', { 'server.port': 80 }, 'server.port', /^unknown key \(write nested keys as nested YAML mappings/],
    ['schedule of the wrong type', { schedule: 5 }, 'schedule', cron],
    ['schedule that is not cron', { schedule: 'every minute' }, 'schedule', /^must be a cron expression such as "\*\/5 \* \* \* \*" \(.+\)$/],
    ['schedule out of range', { schedule: '61 * * * *' }, 'schedule', `${cron} (Field value (61) is out of range)`],
    ['schedule with too few fields', { schedule: '* * * *' }, 'schedule', `${cron} (Too few fields)`],
    ['runOnStartup not boolean', { runOnStartup: 'yes' }, 'runOnStartup', 'must be true or false'],
    ['excludeNamespaces a string', { excludeNamespaces: 'foo' }, 'excludeNamespaces', 'must be a list of namespace names'],
    ['excludeNamespaces a mapping', { excludeNamespaces: { a: 1 } }, 'excludeNamespaces', 'must be a list of namespace names'],
    ['excludeNamespaces with bad names', { excludeNamespaces: ['ok', 'Bad_NS', '-x', 7] }, 'excludeNamespaces', `${namespaces}; invalid: "Bad_NS", "-x", 7`],
    ['namespace name too long', { excludeNamespaces: ['a'.repeat(64)] }, 'excludeNamespaces', `${namespaces}; invalid: "${'a'.repeat(64)}"`],
    ['includeNamespaces empty', { includeNamespaces: [] }, 'includeNamespaces', 'must name at least one namespace (remove the key to audit every namespace)'],
    ['includeNamespaces with a bad name', { includeNamespaces: ['kube_system'] }, 'includeNamespaces', `${namespaces}; invalid: "kube_system"`],
    ['rules a string', { rules: 'all' }, 'rules', mapping],
    ['rules a list', { rules: [{ 'cpu-limit-missing': { enabled: false } }] }, 'rules', mapping],
    ['unknown rule id', at('rules.cpu-limits-missing.enabled', false), 'rules.cpu-limits-missing', `unknown rule id; valid ids: ${RULE_ID_LIST}`],
    ['rule not a mapping', at('rules.cpu-limit-missing', false), 'rules.cpu-limit-missing', mapping],
    ['rule enabled not boolean', at('rules.cpu-limit-missing.enabled', 'no'), 'rules.cpu-limit-missing.enabled', 'must be true or false'],
    ['unknown severity', at('rules.cpu-limit-missing.severity', 'urgent'), 'rules.cpu-limit-missing.severity', severities],
    ['severity in capitals', at('rules.memory-request-missing.severity', 'HIGH'), 'rules.memory-request-missing.severity', severities],
    ['overProvisioning a number', { overProvisioning: 5 }, 'overProvisioning', mapping],
    ['overProvisioning a list', { overProvisioning: [{ minSamples: 1 }] }, 'overProvisioning', mapping],
    ['cost a string', { cost: 'cheap' }, 'cost', mapping],
    ['cpuCoreHourly negative', at('cost.cpuCoreHourly', -0.01), 'cost.cpuCoreHourly', 'must be a number ≥ 0'],
    ['cpuCoreHourly a string', at('cost.cpuCoreHourly', '0.03'), 'cost.cpuCoreHourly', 'must be a number ≥ 0'],
    ['memoryGiBHourly infinite', at('cost.memoryGiBHourly', Infinity), 'cost.memoryGiBHourly', 'must be a number ≥ 0'],
    ['currency in lower case', at('cost.currency', 'usd'), 'cost.currency', currency],
    ['currency a symbol', at('cost.currency', '$'), 'cost.currency', currency],
    ['currency too long', at('cost.currency', 'EURO'), 'cost.currency', currency],
    ['currency a number', at('cost.currency', 978), 'cost.currency', currency],
    ['minSamples zero', at('overProvisioning.minSamples', 0), 'overProvisioning.minSamples', 'must be an integer ≥ 1'],
    ['minSamples fractional', at('overProvisioning.minSamples', 1.5), 'overProvisioning.minSamples', 'must be an integer ≥ 1'],
    ['minSamples a string', at('overProvisioning.minSamples', '12'), 'overProvisioning.minSamples', 'must be an integer ≥ 1'],
    ['cpu a string', at('overProvisioning.cpu', 'high'), 'overProvisioning.cpu', mapping],
    ['cpu ratio below 1', at('overProvisioning.cpu.ratio', 0.5), 'overProvisioning.cpu.ratio', 'must be a number ≥ 1'],
    ['cpu ratio a string', at('overProvisioning.cpu.ratio', 'two'), 'overProvisioning.cpu.ratio', 'must be a number ≥ 1'],
    ['cpu ratio infinite', at('overProvisioning.cpu.ratio', Infinity), 'overProvisioning.cpu.ratio', 'must be a number ≥ 1'],
    ['cpu ratio NaN', at('overProvisioning.cpu.ratio', NaN), 'overProvisioning.cpu.ratio', 'must be a number ≥ 1'],
    ['cpu minWaste not a quantity', at('overProvisioning.cpu.minWaste', 'lots'), 'overProvisioning.cpu.minWaste', /^must be a CPU quantity such as 100m or 0\.5 \(expected a number/],
    ['cpu minWaste negative', at('overProvisioning.cpu.minWaste', '-100m'), 'overProvisioning.cpu.minWaste', `${cpuQuantity} (must not be negative)`],
    ['cpu minWaste negative number', at('overProvisioning.cpu.minWaste', -1), 'overProvisioning.cpu.minWaste', `${cpuQuantity} (must not be negative)`],
    ['cpu minWaste boolean', at('overProvisioning.cpu.minWaste', true), 'overProvisioning.cpu.minWaste', cpuQuantity],
    ['memory a list', at('overProvisioning.memory', [1]), 'overProvisioning.memory', mapping],
    ['memory ratio below 1', at('overProvisioning.memory.ratio', 0), 'overProvisioning.memory.ratio', 'must be a number ≥ 1'],
    ['memory minWaste bad suffix', at('overProvisioning.memory.minWaste', '128MB'), 'overProvisioning.memory.minWaste', /^must be a memory quantity such as 128Mi or 1G \(/],
    ['memory minWaste a mapping', at('overProvisioning.memory.minWaste', { Mi: 128 }), 'overProvisioning.memory.minWaste', memoryQuantity],
    ['server a string', { server: 'localhost:8080' }, 'server', mapping],
    ['server port zero', at('server.port', 0), 'server.port', port],
    ['server port too big', at('server.port', 65536), 'server.port', port],
    ['server port fractional', at('server.port', 80.5), 'server.port', port],
    ['server port a string', at('server.port', '8080'), 'server.port', port],
    ['metrics port too big', at('metrics.port', 70000), 'metrics.port', port],
    ['metrics port equal to the default server port', at('metrics.port', 18080), 'metrics.port', 'must differ from server.port (both are 18080)'],
    ['window not a duration', at('overProvisioning.window', 'a day'), 'overProvisioning.window', /^must be a duration from 1m to 30d/],
    ['window too short', at('overProvisioning.window', '30s'), 'overProvisioning.window', /^must be a duration from 1m to 30d/],
    ['window too long', at('overProvisioning.window', '31d'), 'overProvisioning.window', /^must be a duration from 1m to 30d/],
    ['under-provisioning ratio below 1', at('underProvisioning.memory.ratio', 0.9), 'underProvisioning.memory.ratio', /^must be a number ≥ 1/],
    ['throttled ratio above 1', at('underProvisioning.cpu.throttledRatio', 1.5), 'underProvisioning.cpu.throttledRatio', /^must be a number from 0.001 to 1/],
    ['throttled ratio not a number', at('underProvisioning.cpu.throttledRatio', 'ten'), 'underProvisioning.cpu.throttledRatio', /^must be a number from 0.001 to 1/],
    ['sample interval too short', at('usage.sampleInterval', '500ms'), 'usage.sampleInterval', /^must be a duration from 1s to 1h/],
    ['sample interval too long', at('usage.sampleInterval', '2h'), 'usage.sampleInterval', /^must be a duration from 1s to 1h/],
    ['history file empty', at('usage.historyFile', ''), 'usage.historyFile', 'must be a non-empty string'],
    ['usage source unknown', at('usage.source', 'datadog'), 'usage.source', 'must be one of metrics-server, prometheus'],
    ['prometheus without its url', at('usage.source', 'prometheus'), 'usage.prometheus.url', 'must be set when usage.source is prometheus'],
    ['prometheus url without a scheme', at('usage.prometheus.url', 'prometheus:9090'), 'usage.prometheus.url', /^must be an http:\/\/ or https:\/\/ URL/],
    ['prometheus url not http', at('usage.prometheus.url', 'ftp://prometheus'), 'usage.prometheus.url', /^must be an http:\/\/ or https:\/\/ URL/],
    ['prometheus token file empty', at('usage.prometheus.bearerTokenFile', ''), 'usage.prometheus.bearerTokenFile', 'must be a non-empty string'],
    ['prometheus rate range too short', at('usage.prometheus.rateRange', '30s'), 'usage.prometheus.rateRange', /^must be a duration from 1m to 1d/],
    ['prometheus timeout too short', at('usage.prometheus.timeout', '10ms'), 'usage.prometheus.timeout', /^must be a duration from 100ms to 10m/],
    ['context empty', at('kubernetes.context', ''), 'kubernetes.context', 'must be a non-empty string'],
    ['page size zero', at('kubernetes.pageSize', 0), 'kubernetes.pageSize', 'must be an integer from 1 to 10000'],
    ['request timeout a number', at('kubernetes.requestTimeout', 30), 'kubernetes.requestTimeout', /^must be a duration from 100ms to 10m/],
    ['retries negative', at('kubernetes.retries', -1), 'kubernetes.retries', 'must be an integer from 0 to 10'],
    ['policy reports a string', at('reports.policyReports', 'yes'), 'reports.policyReports', 'must be true or false'],
    ['scan timeout bad unit', at('scanTimeout', '4 minutes'), 'scanTimeout', /^must be a duration from 1s to 24h/],
    ['scan gap too long', at('scanMinInterval', '2d'), 'scanMinInterval', /^must be a duration from 0s to 24h/],
    ['shedding budget 0', at('server.shedAfterBusy', '0s'), 'server.shedAfterBusy', /^must be a duration from 1ms to 10s/],
    ['auth mode unknown', at('server.auth.mode', 'oidc'), 'server.auth.mode', 'must be one of none, kubernetes'],
    ['auth cache too long', at('server.auth.cacheTtl', '2h'), 'server.auth.cacheTtl', /^must be a duration from 0s to 1h/],
    ['review timeout 0', at('server.auth.reviewTimeout', '0s'), 'server.auth.reviewTimeout', /^must be a duration from 100ms to 1m/],
    ['reviews per second 0', at('server.auth.reviewsPerSecond', 0), 'server.auth.reviewsPerSecond', 'must be an integer from 1 to 10000'],
    ['log level unknown', at('logLevel', 'verbose'), 'logLevel', 'must be one of fatal, error, warn, info, debug, trace'],
    ['ports equal', { server: { port: 8080 }, metrics: { port: 8080 } }, 'metrics.port', 'must differ from server.port (both are 8080)'],
    ['leaderElection enabled a string', at('leaderElection.enabled', 'yes'), 'leaderElection.enabled', 'must be true or false'],
    ['leader election without PolicyReports', at('leaderElection.enabled', true), 'leaderElection.enabled', 'needs reports.policyReports: true (the followers serve the issues from the PolicyReports the leader writes)'],
    ['lease name with capitals', at('leaderElection.leaseName', 'OpsAgent'), 'leaderElection.leaseName', /^must be a Kubernetes object name/],
    ['lease namespace with a dot', at('leaderElection.namespace', 'ops.system'), 'leaderElection.namespace', /^must be a namespace name/],
    ['identity empty', at('leaderElection.identity', ' '), 'leaderElection.identity', 'must be a non-empty string'],
    ['lease duration a number', at('leaderElection.leaseDuration', 15), 'leaderElection.leaseDuration', /^must be a duration from 1s to 1h/],
    ['renewDeadline not below leaseDuration', at('leaderElection.renewDeadline', '15s'), 'leaderElection.renewDeadline', 'must be shorter than leaderElection.leaseDuration (15s ≥ 15s)'],
    ['retryPeriod not below renewDeadline', { leaderElection: { renewDeadline: '3s', retryPeriod: '3000ms' } }, 'leaderElection.retryPeriod', 'must be shorter than leaderElection.renewDeadline (3000ms ≥ 3s)'],
    ['the root a list', [{ schedule: '* * * * *' }], '(root)', 'must be a mapping of keys, not a list'],
    ['the root a string', 'schedule', '(root)', 'must be a mapping of keys, not string "schedule"'],
  ];

  it.each(bad)('%s', (_name, input, path, reason) => {
    const problems = problemsOf(() => parseConfig(input));
    expect(problems).toEqual([{ path, reason: reason instanceof RegExp ? expect.stringMatching(reason) : reason }]);
  });

  it('reports every problem at once, in a message naming the source', () => {
    let error: unknown;
    try {
      parseConfig(
        {
          scheduel: '* * * * *',
          overProvisioning: { cpu: { ratio: 0 }, memory: 5 },
          rules: { nope: {}, 'cpu-limit-missing': { severity: 'urgent' } },
          server: { port: 0 },
        },
        '/etc/opsagent/config.yaml',
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const sut = error as ConfigError;
    expect(sut.source).toBe('/etc/opsagent/config.yaml');
    expect(sut.problems).toEqual([
      { path: 'scheduel', reason: 'unknown key' },
      { path: 'rules.nope', reason: `unknown rule id; valid ids: ${RULE_ID_LIST}` },
      { path: 'rules.cpu-limit-missing.severity', reason: severities },
      { path: 'overProvisioning.cpu.ratio', reason: 'must be a number ≥ 1' },
      { path: 'overProvisioning.memory', reason: mapping },
      { path: 'server.port', reason: port },
    ]);
    expect(sut.message).toBe(
      [
        'invalid config /etc/opsagent/config.yaml:',
        '  scheduel: unknown key',
        `  rules.nope: unknown rule id; valid ids: ${RULE_ID_LIST}`,
        `  rules.cpu-limit-missing.severity: ${severities}`,
        '  overProvisioning.cpu.ratio: must be a number ≥ 1',
        `  overProvisioning.memory: ${mapping}`,
        `  server.port: ${port}`,
      ].join('\n'),
    );
  });

  it('names <inline> as the source by default', () => {
    expect(() => parseConfig({ scheduel: 1 })).toThrow('invalid config <inline>:\n  scheduel: unknown key');
  });

  it('accepts the prometheus source with its url', () => {
    const sut = parseConfig({ usage: { source: 'prometheus', prometheus: { url: 'http://127.0.0.1:9091' } } });
    expect(sut.usage.source).toBe('prometheus');
    expect(sut.usage.prometheus).toEqual({ url: 'http://127.0.0.1:9091', timeout: '30s', rateRange: '5m' });
  });

  it('does not compare ports when one of them is already invalid', () => {
    expect(problemsOf(() => parseConfig({ server: { port: 'x' }, metrics: { port: 'x' } }))).toEqual([
      { path: 'server.port', reason: port },
      { path: 'metrics.port', reason: port },
    ]);
  });
});

describe('CONFIG_KEYS', () => {
  it('lists every leaf key of the schema, rule keys once with <id>', () => {
    expect(CONFIG_KEYS).toEqual([
      'schedule',
      'runOnStartup',
      'excludeNamespaces',
      'includeNamespaces',
      'rules.<id>.enabled',
      'rules.<id>.severity',
      'overProvisioning.minSamples',
      'overProvisioning.cpu.ratio',
      'overProvisioning.cpu.minWaste',
      'overProvisioning.memory.ratio',
      'overProvisioning.memory.minWaste',
      'overProvisioning.window',
      'underProvisioning.memory.ratio',
      'underProvisioning.cpu.throttledRatio',
      'usage.sampleInterval',
      'usage.historyFile',
      'usage.source',
      'usage.prometheus.url',
      'usage.prometheus.bearerTokenFile',
      'usage.prometheus.timeout',
      'usage.prometheus.rateRange',
      'cost.cpuCoreHourly',
      'cost.memoryGiBHourly',
      'cost.currency',
      'server.port',
      'server.shedAfterBusy',
      'server.auth.mode',
      'server.auth.cacheTtl',
      'server.auth.reviewTimeout',
      'server.auth.reviewsPerSecond',
      'metrics.port',
      'kubernetes.context',
      'kubernetes.pageSize',
      'kubernetes.requestTimeout',
      'kubernetes.retries',
      'reports.policyReports',
      'reports.openReports',
      'leaderElection.enabled',
      'leaderElection.leaseName',
      'leaderElection.namespace',
      'leaderElection.identity',
      'leaderElection.leaseDuration',
      'leaderElection.renewDeadline',
      'leaderElection.retryPeriod',
      'scanTimeout',
      'scanMinInterval',
      'logLevel',
    ]);
  });
});

describe('resolveRuleSettings', () => {
  it('gives registry defaults and thresholds in millicores and bytes', () => {
    const sut = resolveRuleSettings(defaultConfig());
    expect([...sut.rules]).toEqual(RULE_DEFAULTS.map(([id, severity]) => [id, { enabled: true, severity }]));
    expect(sut.settings).toEqual({
      minSamples: 12,
      cpu: { ratio: 2, minWaste: 100 },
      memory: { ratio: 2, minWaste: 128 * 1024 * 1024 },
      underProvisioning: { memoryRatio: 1.2, cpuThrottledRatio: 0.1 },
      // OpenCost's default price list
      cost: { cpuCoreHourly: 0.031611, memoryGiBHourly: 0.004237, currency: 'USD' },
    });
  });

  it('applies configured values', () => {
    const sut = resolveRuleSettings(
      parseConfig({
        rules: { 'cpu-limit-missing': { enabled: false }, 'memory-overprovisioned': { severity: 'critical' } },
        overProvisioning: { minSamples: 3, cpu: { ratio: 1.5, minWaste: 0.25 }, memory: { ratio: 3, minWaste: '1G' } },
        underProvisioning: { memory: { ratio: 1.5 }, cpu: { throttledRatio: 0.25 } },
        cost: { cpuCoreHourly: 0.05, memoryGiBHourly: 0, currency: 'EUR' },
      }),
    );
    expect(sut.rules.get('cpu-limit-missing')).toEqual({ enabled: false, severity: 'low' });
    expect(sut.rules.get('memory-overprovisioned')).toEqual({ enabled: true, severity: 'critical' });
    expect(sut.settings).toEqual({
      minSamples: 3,
      cpu: { ratio: 1.5, minWaste: 250 },
      memory: { ratio: 3, minWaste: 1e9 },
      underProvisioning: { memoryRatio: 1.5, cpuThrottledRatio: 0.25 },
      cost: { cpuCoreHourly: 0.05, memoryGiBHourly: 0, currency: 'EUR' },
    });
  });
});

describe('isNamespaceAudited', () => {
  const cases: [string, Record<string, unknown>, string, boolean][] = [
    ['default excludes kube-system', {}, 'kube-system', false],
    ['default audits others', {}, 'default', true],
    ['custom exclude list', { excludeNamespaces: ['legacy'] }, 'legacy', false],
    ['custom exclude list replaces the default', { excludeNamespaces: ['legacy'] }, 'kube-system', true],
    ['include list admits its members', { includeNamespaces: ['payments'] }, 'payments', true],
    ['include list rejects the rest', { includeNamespaces: ['payments'] }, 'default', false],
    ['include list wins over exclude list', { includeNamespaces: ['kube-system'] }, 'kube-system', true],
  ];
  it.each(cases)('%s', (_name, input, namespace, audited) => {
    expect(isNamespaceAudited(parseConfig(input), namespace)).toBe(audited);
  });
});

describe('loadConfigFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'opsagent-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  function errorOf(run: () => unknown): ConfigError {
    try {
      run();
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('expected a ConfigError, but the config was accepted');
  }

  it.each([
    ['an empty file', ''],
    ['a file with only comments', '# nothing configured yet\n'],
    ['an explicit null document', '---\n~\n'],
  ])('gives the defaults for %s', (_name, text) => {
    expect(loadConfigFile(file('empty.yaml', text))).toEqual(defaultConfig());
  });

  it('reads every key', () => {
    const sut = loadConfigFile(
      file(
        'full.yaml',
        [
          'schedule: "0 */2 * * *"',
          'runOnStartup: false',
          'excludeNamespaces: [kube-system, legacy]',
          'includeNamespaces:',
          '  - payments',
          'rules:',
          '  cpu-limit-missing:',
          '    enabled: false',
          '  memory-request-missing:',
          '    severity: critical',
          'overProvisioning:',
          '  minSamples: 24',
          '  cpu: { ratio: 3, minWaste: 0.1 }',
          '  memory:',
          '    ratio: 1.5',
          '    minWaste: 256Mi',
          'server:',
          '  port: 8080',
          'metrics:',
          '  port: 8081',
          '',
        ].join('\n'),
      ),
    );
    expect(sut.schedule).toBe('0 */2 * * *');
    expect(sut.runOnStartup).toBe(false);
    expect(sut.excludeNamespaces).toEqual(['kube-system', 'legacy']);
    expect(sut.includeNamespaces).toEqual(['payments']);
    expect(sut.rules['cpu-limit-missing']).toEqual({ enabled: false, severity: 'low' });
    expect(sut.rules['memory-request-missing']).toEqual({ enabled: true, severity: 'critical' });
    expect(sut.overProvisioning.minSamples).toBe(24);
    expect(sut.overProvisioning.cpu).toEqual({ ratio: 3, minWaste: '0.1' });
    expect(sut.overProvisioning.memory).toEqual({ ratio: 1.5, minWaste: '256Mi' });
    expect(sut.server.port).toBe(8080);
    expect(sut.metrics.port).toBe(8081);
    expect(resolveRuleSettings(sut).settings.cpu.minWaste).toBe(100);
  });

  it('names the file and the key path of a bad value', () => {
    const path = file('bad-value.yaml', 'overProvisioning:\n  cpu:\n    ratio: 0.5\n');
    const sut = errorOf(() => loadConfigFile(path));
    expect(sut.source).toBe(path);
    expect(sut.message).toBe(`invalid config ${path}:\n  overProvisioning.cpu.ratio: must be a number ≥ 1`);
  });

  it('treats an empty value as the default', () => {
    expect(loadConfigFile(file('blank-key.yaml', 'schedule:\nrules:\n')).schedule).toBe('*/5 * * * *');
  });

  it.each([
    ['an unclosed flow sequence', 'runOnStartup: true\nexcludeNamespaces: [a, b\n', 3],
    ['bad indentation', 'server:\n  port: 1\n metrics: 2\n', 3],
    ['a duplicate key', 'schedule: "* * * * *"\nrunOnStartup: true\nschedule: "0 * * * *"\n', 3],
  ])('names the file and line of a YAML syntax error: %s', (_name, text, line) => {
    const path = file('syntax.yaml', text);
    const sut = errorOf(() => loadConfigFile(path));
    expect(sut.source).toBe(path);
    expect(sut.problems[0]).toEqual({
      path: '(file)',
      reason: expect.stringMatching(`^YAML syntax error at line ${line}, column \\d+: \\S`),
    });
    expect(sut.message).toContain(`invalid config ${path}:\n  (file): YAML syntax error at line ${line}, column`);
  });

  it('rejects a file with several YAML documents', () => {
    const path = file('multi.yaml', 'schedule: "* * * * *"\n---\nrunOnStartup: false\n');
    expect(errorOf(() => loadConfigFile(path)).problems).toEqual([
      { path: '(file)', reason: 'must hold one YAML document, found 2 (separated by ---)' },
    ]);
  });

  it('rejects a file whose top level is not a mapping', () => {
    const path = file('list.yaml', '- schedule: "* * * * *"\n');
    expect(errorOf(() => loadConfigFile(path)).message).toBe(
      `invalid config ${path}:\n  (root): must be a mapping of keys, not a list`,
    );
  });

  it('names a file that does not exist', () => {
    const path = join(dir, 'missing', 'config.yaml');
    const sut = errorOf(() => loadConfigFile(path));
    expect(sut.source).toBe(path);
    expect(sut.message).toBe(`invalid config ${path}:\n  (file): cannot read: the file does not exist`);
  });

  it('names a directory given as the file', () => {
    const path = join(dir, 'a-directory');
    mkdirSync(path);
    expect(errorOf(() => loadConfigFile(path)).message).toBe(
      `invalid config ${path}:\n  (file): cannot read: it is a directory`,
    );
  });
});
