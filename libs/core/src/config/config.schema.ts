/**
 * The one configuration schema: these classes are both the validation rules and the type the rest of the code
 * reads. A property's initializer is its default, so `new OpsAgentConfig()` is the default config.
 *
 * Adding a key: add a decorated, initialized property to the class of its section (or a new section class plus a
 * `@Section(() => …)` property on its parent), then a row in the README's Configuration table. Validation, CONFIG_KEYS and
 * the key paths in error messages follow from the class. Decorate with the helpers below rather than importing
 * class-validator's own: they keep the libraries out of a start-up that validates no config.
 */
import type { ValidationOptions } from 'class-validator';
import { DurationError, parseDuration } from '../duration';
import { parseQuantity, QuantityError, type ResourceName } from '../quantity';
import { RULES } from '../rules/registry';
import type { Rule } from '../rules/rule';
import { SEVERITIES, type Severity } from '../severity';
import type { ConfigProblem } from './config.errors';
import { withValidationLibraries, type ValidationLibraries } from './validation-libraries';

// ---------------------------------------------------------------------------------------------------------------
// Decorators. Each key gets exactly one reason when its value is bad, worded "must …". They reach class-validator
// and class-transformer only through `withValidationLibraries`, so that defining the schema (and so the defaults,
// `new OpsAgentConfig()`) loads neither: see validation-libraries.ts.

type ClassValidator = ValidationLibraries['classValidator'];

/** Applies several class-validator checks under one message, so a bad value is reported once. */
function All(
  message: string,
  checks: (options: ValidationOptions, v: ClassValidator) => PropertyDecorator[],
): PropertyDecorator {
  return withValidationLibraries(
    ({ classValidator }) =>
      (target, key) =>
        checks({ message }, classValidator).forEach((check) => check(target, key)),
  );
}

/** A custom check: `problem` returns the reason a value is bad, or undefined when it is good. */
function Satisfies(name: string, problem: (value: unknown) => string | undefined): PropertyDecorator {
  return withValidationLibraries(({ classValidator }) =>
    classValidator.ValidateBy({
      name,
      validator: {
        validate: (value: unknown) => problem(value) === undefined,
        defaultMessage: (args) => problem(args?.value) ?? '',
      },
    }),
  );
}

/** class-validator's IsOptional: the key may be absent. */
const IsOptional = (): PropertyDecorator =>
  withValidationLibraries(({ classValidator }) => classValidator.IsOptional());

const Bool = (): PropertyDecorator => All('must be true or false', (o, v) => [v.IsBoolean(o)]);

const IntegerInRange = (min: number, max?: number): PropertyDecorator =>
  max === undefined
    ? All(`must be an integer ≥ ${min}`, (o, v) => [v.IsInt(o), v.Min(min, o)])
    : All(`must be an integer from ${min} to ${max}`, (o, v) => [v.IsInt(o), v.Min(min, o), v.Max(max, o)]);

const NumberAtLeast = (min: number): PropertyDecorator =>
  All(`must be a number ≥ ${min}`, (o, v) => [v.IsNumber({}, o), v.Min(min, o)]);

const NumberInRange = (min: number, max: number): PropertyDecorator =>
  All(`must be a number from ${min} to ${max}`, (o, v) => [v.IsNumber({}, o), v.Min(min, o), v.Max(max, o)]);

const Port = (): PropertyDecorator => IntegerInRange(1, 65535);

const OneOf = (values: readonly string[]): PropertyDecorator =>
  All(`must be one of ${values.join(', ')}`, (o, v) => [v.IsIn([...values], o)]);

/** A nested mapping of keys, validated by its own class. */
function Section(type: () => new () => object): PropertyDecorator {
  return (target, key) => {
    withValidationLibraries(({ classTransformer }) => classTransformer.Type(type))(target, key);
    All('must be a mapping of keys', (o, v) => [v.IsObject(o), v.ValidateNested(o)])(target, key);
  };
}

/** The grammar of the `cron` package, which the scheduler runs: 5 fields, or 6 with seconds first, or `@daily`…. */
const CronExpression = (): PropertyDecorator =>
  withValidationLibraries(({ cron }) =>
    Satisfies('cronExpression', (value) => {
      if (typeof value !== 'string') return 'must be a cron expression such as "*/5 * * * *"';
      const result = cron.validateCronExpression(value);
      return result.valid ? undefined : `must be a cron expression such as "*/5 * * * *" (${result.error?.message})`;
    }),
  );

/** A duration such as `30s`, `5m`, `1h30m` or `24h`, within [min, max] milliseconds. */
const Duration = (minMs: number, maxMs: number, range: string): PropertyDecorator =>
  Satisfies('duration', (value) => {
    const expected = `must be a duration from ${range} such as "30s", "5m" or "1h30m"`;
    if (typeof value !== 'string') return expected;
    try {
      const ms = parseDuration(value);
      return ms >= minMs && ms <= maxMs ? undefined : expected;
    } catch (error) {
      if (error instanceof DurationError) return expected;
      throw error;
    }
  });

const NonEmptyString = (): PropertyDecorator =>
  Satisfies('nonEmptyString', (value) =>
    typeof value === 'string' && value.trim().length > 0 ? undefined : 'must be a non-empty string',
  );

const QUANTITY_EXAMPLES: Record<ResourceName, string> = {
  cpu: 'a CPU quantity such as 100m or 0.5',
  memory: 'a memory quantity such as 128Mi or 1G',
};

/**
 * A Kubernetes quantity, kept as written (a YAML number becomes its string) and parsed to millicores or bytes
 * by resolveRuleSettings.
 */
function Quantity(resource: ResourceName): PropertyDecorator {
  return (target, key) => {
    withValidationLibraries(({ classTransformer }) =>
      classTransformer.Transform(({ value }: { value: unknown }) =>
        typeof value === 'number' ? String(value) : value,
      ),
    )(target, key);
    Satisfies(`${resource}Quantity`, (value) => {
      if (typeof value !== 'string') return `must be ${QUANTITY_EXAMPLES[resource]}`;
      try {
        parseQuantity(value, resource);
        return undefined;
      } catch (error) {
        if (error instanceof QuantityError) return `must be ${QUANTITY_EXAMPLES[resource]} (${error.reason})`;
        throw error;
      }
    })(target, key);
  };
}

/** Namespace names are DNS-1123 labels (k8s.io/apimachinery validation.IsDNS1123Label). */
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && DNS_1123_LABEL.test(value);
}

function NamespaceList({ nonEmpty }: { nonEmpty: boolean }): PropertyDecorator {
  return Satisfies('namespaceList', (value) => {
    if (!Array.isArray(value)) return 'must be a list of namespace names';
    if (nonEmpty && value.length === 0) {
      return 'must name at least one namespace (remove the key to audit every namespace)';
    }
    const bad = value.filter((name) => typeof name !== 'string' || !isDns1123Label(name));
    if (bad.length === 0) return undefined;
    return (
      "must contain only namespace names (DNS-1123 labels: lowercase letters, digits and '-', at most 63 " +
      `characters); invalid: ${bad.map((name) => JSON.stringify(name)).join(', ')}`
    );
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Sections that hold named entries (like `rules.<id>`) rather than fixed keys.

interface KeyedSection {
  /** Stands for any entry name in CONFIG_KEYS and the docs, e.g. `<id>`. */
  keyPlaceholder: string;
  /** Said about a name that is not a known entry, instead of "unknown key". */
  unknownKeyReason: string;
}

const KEYED_SECTIONS = new Map<unknown, KeyedSection>();

/** The keyed-section description of a config object's class, if it is one. */
export function keyedSectionOf(section: object): KeyedSection | undefined {
  return KEYED_SECTIONS.get(section.constructor);
}

// ---------------------------------------------------------------------------------------------------------------
// The schema.

export class RuleConfig {
  @Bool()
  enabled = true;

  @OneOf(SEVERITIES)
  severity: Severity;

  constructor(defaultSeverity: Severity) {
    this.severity = defaultSeverity;
  }
}

/** `rules.<id>` for each registered rule id; built from the registry so a new rule needs no change here. */
export type RulesConfig = Record<string, RuleConfig>;

function rulesConfigClass(rules: readonly Rule[]): new () => RulesConfig {
  // One subclass per rule, because the default severity differs and class-transformer calls `new Type()`.
  const perRule = rules.map((rule) => ({
    id: rule.id,
    type: class extends RuleConfig {
      constructor() {
        super(rule.defaultSeverity);
      }
    },
  }));
  class Rules {
    constructor() {
      Object.assign(this, Object.fromEntries(perRule.map(({ id, type }) => [id, new type()])));
    }
  }
  for (const { id, type } of perRule) Section(() => type)(Rules.prototype, id);
  KEYED_SECTIONS.set(Rules, {
    keyPlaceholder: '<id>',
    unknownKeyReason: `unknown rule id; valid ids: ${rules.map((r) => r.id).join(', ')}`,
  });
  return Rules as new () => RulesConfig;
}

const RulesConfigClass = rulesConfigClass(RULES);

export class CpuOverProvisioningConfig {
  /** Flag when the CPU request ≥ ratio × p95 usage… */
  @NumberAtLeast(1)
  ratio = 2;

  /** …and request − p95 usage ≥ this CPU quantity. */
  @Quantity('cpu')
  minWaste = '100m';
}

export class MemoryOverProvisioningConfig {
  /** Flag when the memory request ≥ ratio × max usage… */
  @NumberAtLeast(1)
  ratio = 2;

  /** …and request − max usage ≥ this memory quantity. */
  @Quantity('memory')
  minWaste = '128Mi';
}

export class OverProvisioningConfig {
  /** Usage samples a container needs before the over-provisioning rules judge it. */
  @IntegerInRange(1)
  minSamples = 12;

  @Section(() => CpuOverProvisioningConfig)
  cpu = new CpuOverProvisioningConfig();

  @Section(() => MemoryOverProvisioningConfig)
  memory = new MemoryOverProvisioningConfig();

  /**
   * How far back the service's usage history reaches: 14 slots of window ÷ 14, each dropped whole once it is
   * older than the window. Its memory does not depend on the window.
   */
  @Duration(60_000, 30 * 86_400_000, '1m to 30d')
  window = '14d';
}

export class MemoryUnderProvisioningConfig {
  /** Flag when the peak memory usage ≥ ratio × the memory request. */
  @NumberAtLeast(1)
  ratio = 1.2;
}

export class CpuUnderProvisioningConfig {
  /** Flag (Prometheus source) when throttled CFS periods ÷ all CFS periods over the window ≥ this. */
  @NumberInRange(0.001, 1)
  throttledRatio = 0.1;
}

export class UnderProvisioningConfig {
  @Section(() => MemoryUnderProvisioningConfig)
  memory = new MemoryUnderProvisioningConfig();

  @Section(() => CpuUnderProvisioningConfig)
  cpu = new CpuUnderProvisioningConfig();
}

export const USAGE_SOURCES = ['metrics-server', 'prometheus'] as const;

/** An absolute http(s) URL, such as the base URL of a Prometheus server. */
const HttpUrl = (): PropertyDecorator =>
  Satisfies('httpUrl', (value) => {
    const expected = 'must be an http:// or https:// URL such as "http://prometheus-operated.monitoring:9090"';
    if (typeof value !== 'string') return expected;
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : expected;
    } catch {
      return expected;
    }
  });

export class PrometheusUsageConfig {
  /** Base URL of the Prometheus HTTP API (`/api/v1/query` is appended); required with `usage.source: prometheus`. */
  @IsOptional()
  @HttpUrl()
  url?: string;
  /** File holding a bearer token sent as `Authorization: Bearer …`; read at each scan, so a rotated token is used. */
  @IsOptional()
  @NonEmptyString()
  bearerTokenFile?: string;
  /** Timeout of each Prometheus query. */
  @Duration(100, 600_000, '100ms to 10m')
  timeout = '30s';
  /** Range of `rate()` over the CPU counter at each step; at least four scrape intervals of cAdvisor. */
  @Duration(60_000, 86_400_000, '1m to 1d')
  rateRange = '5m';
}

export class UsageConfig {
  /**
   * The service reads the PodMetrics list (that list alone) this often between scans and adds the samples to the
   * usage history; a PodMetrics whose timestamp did not move since the last read counts once.
   */
  @Duration(1000, 3_600_000, '1s to 1h')
  sampleInterval = '1m';

  /**
   * Where the service keeps its usage history (and the issues' first-seen times, in `<file>.issues`) across
   * restarts; unset = memory only. Loaded at start, written after every scan and at shutdown.
   */
  @IsOptional()
  @NonEmptyString()
  historyFile?: string;

  /**
   * Where usage comes from: `metrics-server` (PodMetrics, sampled by the agent) or `prometheus` (cAdvisor and
   * kube-state-metrics series over `overProvisioning.window`, aggregated by Prometheus).
   */
  @OneOf(USAGE_SOURCES)
  source: (typeof USAGE_SOURCES)[number] = 'metrics-server';
  @Section(() => PrometheusUsageConfig)
  prometheus = new PrometheusUsageConfig();
}

/** An ISO 4217 currency code's shape: three capital letters (`USD`, `EUR`, `JPY`). */
const CurrencyCode = (): PropertyDecorator =>
  Satisfies('currencyCode', (value) =>
    typeof value === 'string' && /^[A-Z]{3}$/.test(value)
      ? undefined
      : 'must be an ISO 4217 currency code: three capital letters such as "USD" or "EUR"',
  );

/**
 * Prices of the waste of over-provisioned requests, per hour; the defaults are OpenCost's default price list.
 * Each finding's `wasteMonthlyCost` is its waste × the price × 730 h.
 */
export class CostConfig {
  /** Price of one core of CPU per hour. */
  @NumberAtLeast(0)
  cpuCoreHourly = 0.031611;

  /** Price of one GiB of memory per hour. */
  @NumberAtLeast(0)
  memoryGiBHourly = 0.004237;

  /** ISO 4217 code of the prices (and of every money figure). */
  @CurrencyCode()
  currency = 'USD';
}

export const AUTH_MODES = ['none', 'kubernetes'] as const;

export class ServerAuthConfig {
  /**
   * `none`: the API is open (rely on the chart's NetworkPolicy). `kubernetes`: a caller's bearer token is
   * checked with a TokenReview, then a SubjectAccessReview for the request path as a non-resource URL.
   */
  @OneOf(AUTH_MODES)
  mode: (typeof AUTH_MODES)[number] = 'none';

  /** How long a review result is reused for the same token, path and verb. */
  @Duration(0, 3_600_000, '0s to 1h')
  cacheTtl = '30s';

  /** A TokenReview or SubjectAccessReview not answered within this is abandoned: the caller gets a 503. */
  @Duration(100, 60_000, '100ms to 1m')
  reviewTimeout = '5s';

  /**
   * Reviews started per second for callers not in the cache (a burst of as many is allowed); past it a caller
   * gets a 503 with Retry-After. Every request with a new token starts one, so this bounds what a flood of
   * random tokens costs the API server.
   */
  @IntegerInRange(1, 10_000)
  reviewsPerSecond = 20;
}

export class ServerConfig {
  @Port()
  port = 18080;

  /**
   * Load shedding: once the event loop has been busy this long without a break, API requests (`/api/…`)
   * arriving in that stretch get a 503 with Retry-After, so `/health` (never refused) is answered in time.
   */
  @Duration(1, 10_000, '1ms to 10s')
  shedAfterBusy = '100ms';

  @Section(() => ServerAuthConfig)
  auth = new ServerAuthConfig();
}

export class MetricsConfig {
  @Port()
  port = 9090;
}

export class KubernetesConfig {
  /** kubeconfig context to use outside a cluster; unset = the kubeconfig's current context. */
  @IsOptional()
  @NonEmptyString()
  context?: string;

  /** Items per LIST page (`limit`); each page is projected to slim records as it arrives. */
  @IntegerInRange(1, 10_000)
  pageSize = 500;

  /** Timeout of each API request. */
  @Duration(100, 600_000, '100ms to 10m')
  requestTimeout = '30s';

  /** Retries of a failed request (5xx, 429, dropped connection, timeout), with exponential backoff. */
  @IntegerInRange(0, 10)
  retries = 3;
}

/** Findings published as Kubernetes resources after each scan (issue 14). */
export class ReportsConfig {
  /** One `wgpolicyk8s.io/v1alpha2` PolicyReport named `opsagent` per namespace with findings. */
  @Bool()
  policyReports = false;

  /** The same as `openreports.io/v1alpha1` Reports (the API that succeeds wg-policy's). */
  @Bool()
  openReports = false;
}

/** A Lease, ConfigMap… name: a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', at most 253). */
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const ObjectName = (): PropertyDecorator =>
  Satisfies('objectName', (value) =>
    typeof value === 'string' && value.length <= 253 && DNS_1123_SUBDOMAIN.test(value)
      ? undefined
      : "must be a Kubernetes object name (lowercase letters, digits, '-' and '.', at most 253 characters)",
  );

const NamespaceName = (): PropertyDecorator =>
  Satisfies('namespaceName', (value) =>
    typeof value === 'string' && isDns1123Label(value)
      ? undefined
      : "must be a namespace name (a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters)",
  );

/**
 * Several replicas, one of which (the holder of a coordination.k8s.io Lease) scans and writes; the others serve
 * the REST API from the PolicyReports it writes. Timings have client-go's meaning and defaults.
 */
export class LeaderElectionConfig {
  @Bool()
  enabled = false;

  @ObjectName()
  leaseName = 'opsagent';

  /** Namespace of the Lease; unset = the Pod's (service account namespace file, else POD_NAMESPACE). */
  @IsOptional()
  @NamespaceName()
  namespace?: string;

  /** This replica's name in the Lease (`holderIdentity`); unset = POD_NAME, else the hostname. */
  @IsOptional()
  @NonEmptyString()
  identity?: string;

  /** A Lease not renewed (as seen on the local monotonic clock) for this long may be taken over. */
  @Duration(1_000, 3_600_000, '1s to 1h')
  leaseDuration = '15s';

  /** The leader steps down (stops scanning and writing) when it has not renewed for this long. */
  @Duration(1_000, 3_600_000, '1s to 1h')
  renewDeadline = '10s';

  /** How often the Lease is renewed by the leader, and tried by the others. */
  @Duration(100, 3_600_000, '100ms to 1h')
  retryPeriod = '2s';
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

export class OpsAgentConfig {
  @CronExpression()
  schedule = '*/5 * * * *';

  @Bool()
  runOnStartup = true;

  @NamespaceList({ nonEmpty: false })
  excludeNamespaces: string[] = ['kube-system', 'kube-public', 'kube-node-lease'];

  /** When set, only these namespaces are audited and excludeNamespaces is ignored. */
  @IsOptional()
  @NamespaceList({ nonEmpty: true })
  includeNamespaces?: string[];

  @Section(() => RulesConfigClass)
  rules: RulesConfig = new RulesConfigClass();

  @Section(() => OverProvisioningConfig)
  overProvisioning = new OverProvisioningConfig();

  @Section(() => UnderProvisioningConfig)
  underProvisioning = new UnderProvisioningConfig();

  @Section(() => UsageConfig)
  usage = new UsageConfig();

  @Section(() => CostConfig)
  cost = new CostConfig();

  @Section(() => ServerConfig)
  server = new ServerConfig();

  @Section(() => MetricsConfig)
  metrics = new MetricsConfig();

  @Section(() => KubernetesConfig)
  kubernetes = new KubernetesConfig();

  @Section(() => ReportsConfig)
  reports = new ReportsConfig();

  @Section(() => LeaderElectionConfig)
  leaderElection = new LeaderElectionConfig();

  /** A scan running longer than this is aborted and counted as failed; keep it shorter than the schedule. */
  @Duration(1000, 86_400_000, '1s to 24h')
  scanTimeout = '4m';

  /**
   * A scan started by POST /api/v1/scans is refused (429) until this long after the end of the last scan,
   * whatever started that one; `0s` = no gap. Scheduled and startup scans are not held back.
   */
  @Duration(0, 86_400_000, '0s to 24h')
  scanMinInterval = '30s';

  @OneOf(LOG_LEVELS)
  logLevel: (typeof LOG_LEVELS)[number] = 'info';
}

/**
 * Checks that read more than one key. Each runs only when the schema found nothing wrong under the sections it
 * reads, so it sees well-typed values.
 */
export const CROSS_CHECKS: readonly {
  reads: readonly string[];
  check: (config: OpsAgentConfig) => ConfigProblem | undefined;
}[] = [
  {
    reads: ['server', 'metrics'],
    check: ({ server, metrics }) =>
      server.port === metrics.port
        ? { path: 'metrics.port', reason: `must differ from server.port (both are ${server.port})` }
        : undefined,
  },
  {
    reads: ['usage'],
    check: ({ usage }) =>
      usage.source === 'prometheus' && usage.prometheus.url === undefined
        ? { path: 'usage.prometheus.url', reason: 'must be set when usage.source is prometheus' }
        : undefined,
  },
  {
    // The reports are the replicas' shared state: followers serve them, a new leader starts from them.
    reads: ['leaderElection', 'reports'],
    check: ({ leaderElection, reports }) =>
      leaderElection.enabled && !reports.policyReports
        ? {
            path: 'leaderElection.enabled',
            reason:
              'needs reports.policyReports: true (the followers serve the issues from the PolicyReports the leader ' +
              'writes)',
          }
        : undefined,
  },
  {
    reads: ['leaderElection'],
    check: ({ leaderElection: { leaseDuration, renewDeadline } }) =>
      parseDuration(renewDeadline) < parseDuration(leaseDuration)
        ? undefined
        : {
            path: 'leaderElection.renewDeadline',
            reason: `must be shorter than leaderElection.leaseDuration (${renewDeadline} ≥ ${leaseDuration})`,
          },
  },
  {
    reads: ['leaderElection'],
    check: ({ leaderElection: { renewDeadline, retryPeriod } }) =>
      parseDuration(retryPeriod) < parseDuration(renewDeadline)
        ? undefined
        : {
            path: 'leaderElection.retryPeriod',
            reason: `must be shorter than leaderElection.renewDeadline (${retryPeriod} ≥ ${renewDeadline})`,
          },
  },
];
