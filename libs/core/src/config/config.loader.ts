import { readFileSync } from 'node:fs';
import type { ValidationError } from 'class-validator';
import { parseAllDocuments, type YAMLError } from 'yaml';
import { parseCpu, parseMemory } from '../quantity';
import { RULE_IDS } from '../rules/registry';
import type { RuleSettings } from '../rules/rule';
import type { Severity } from '../severity';
import { ConfigError, FILE_PATH, type ConfigProblem } from './config.errors';
import { CROSS_CHECKS, keyedSectionOf, OpsAgentConfig } from './config.schema';
import { validationLibraries } from './validation-libraries';

// The type is declared once, in the schema; re-exported because callers of the loader hold its result.
export type { OpsAgentConfig } from './config.schema';

export const INLINE_SOURCE = '<inline>';

/** Path used when the config as a whole is not a mapping. */
const ROOT_PATH = '(root)';

/** The schema's initializers; needs none of the validation libraries (see validation-libraries.ts). */
export function defaultConfig(): OpsAgentConfig {
  return new OpsAgentConfig();
}

/**
 * Validates a plain object (e.g. parsed YAML) into an OpsAgentConfig with defaults applied. A key that is absent
 * or null (`key:` with no value) takes its default. Throws ConfigError listing every problem found.
 */
export function parseConfig(input: unknown, source = INLINE_SOURCE): OpsAgentConfig {
  if (input === undefined || input === null) return defaultConfig();
  if (!isMapping(input)) {
    throw new ConfigError(source, [{ path: ROOT_PATH, reason: `must be a mapping of keys, not ${describe(input)}` }]);
  }
  const problems: ConfigProblem[] = [];
  const { classTransformer, classValidator } = validationLibraries();
  const config = classTransformer.plainToInstance(OpsAgentConfig, withoutNulls(input, '', problems));
  const errors = classValidator.validateSync(config, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: true, value: true },
  });
  problems.push(...toProblems(errors, ''));
  for (const { reads, check } of CROSS_CHECKS) {
    const clean = !problems.some(({ path }) => reads.some((key) => path === key || path.startsWith(`${key}.`)));
    const problem = clean ? check(config) : undefined;
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
  return config;
}

/** Reads one YAML document from `file`. An empty file (or one with only comments) gives the defaults. */
export function loadConfigFile(file: string): OpsAgentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [{ path: FILE_PATH, reason: readFailure(error) }]);
  }
  return parseConfig(parseYaml(text, file), file);
}

export interface ResolvedRule {
  enabled: boolean;
  severity: Severity;
}

export interface ResolvedRules {
  /** By rule id, in registry order. */
  rules: Map<string, ResolvedRule>;
  /** Thresholds with minWaste parsed to millicores (cpu) and bytes (memory). */
  settings: RuleSettings;
}

export function resolveRuleSettings(config: OpsAgentConfig): ResolvedRules {
  const rules = new Map(
    RULE_IDS.map((id): [string, ResolvedRule] => {
      const { enabled, severity } = config.rules[id];
      return [id, { enabled, severity }];
    }),
  );
  const { minSamples, cpu, memory } = config.overProvisioning;
  return {
    rules,
    settings: {
      minSamples,
      cpu: { ratio: cpu.ratio, minWaste: parseCpu(cpu.minWaste) },
      memory: { ratio: memory.ratio, minWaste: parseMemory(memory.minWaste) },
      underProvisioning: {
        memoryRatio: config.underProvisioning.memory.ratio,
        cpuThrottledRatio: config.underProvisioning.cpu.throttledRatio,
      },
      cost: { ...config.cost },
    },
  };
}

/** includeNamespaces, when set, is the whole list; otherwise every namespace not in excludeNamespaces. */
export function isNamespaceAudited(config: OpsAgentConfig, namespace: string): boolean {
  return config.includeNamespaces
    ? config.includeNamespaces.includes(namespace)
    : !config.excludeNamespaces.includes(namespace);
}

function parseYaml(text: string, file: string): unknown {
  const documents = parseAllDocuments(text);
  const syntaxErrors = documents.flatMap((document) => document.errors);
  if (syntaxErrors.length > 0) {
    throw new ConfigError(
      file,
      syntaxErrors.map((error) => ({ path: FILE_PATH, reason: yamlReason(error) })),
    );
  }
  if (documents.length > 1) {
    throw new ConfigError(file, [
      { path: FILE_PATH, reason: `must hold one YAML document, found ${documents.length} (separated by ---)` },
    ]);
  }
  const [document] = documents;
  if (!document) return undefined;
  try {
    return document.toJS();
  } catch (error) {
    // e.g. an alias expanded too often (yaml's guard against "billion laughs" documents)
    throw new ConfigError(file, [{ path: FILE_PATH, reason: `invalid YAML: ${errorMessage(error)}` }]);
  }
}

function yamlReason(error: YAMLError): string {
  // yaml's message is "<what> at line L, column C:\n\n<excerpt>"; keep <what> and put the position first.
  const what = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  const position = error.linePos?.[0];
  return position
    ? `YAML syntax error at line ${position.line}, column ${position.col}: ${what}`
    : `YAML syntax error: ${what}`;
}

function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'cannot read: the file does not exist';
  if (code === 'EISDIR') return 'cannot read: it is a directory';
  if (code === 'EACCES') return 'cannot read: permission denied';
  return `cannot read: ${errorMessage(error)}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Flattens class-validator's error tree into one `path: reason` per bad key. */
function toProblems(errors: ValidationError[], parent: string): ConfigProblem[] {
  return errors.flatMap((error) => {
    const path = `${parent}${error.property}`;
    const constraints = Object.entries(error.constraints ?? {});
    if (constraints.length === 0) return toProblems(error.children ?? [], `${path}.`);
    // A value of the wrong shape gets one reason; what class-validator found inside it would only repeat that.
    const reasons = new Set(
      constraints.map(([name, message]) => (name === 'whitelistValidation' ? unknownKeyReason(error) : message)),
    );
    return [...reasons].map((reason) => ({ path, reason }));
  });
}

function unknownKeyReason(error: ValidationError): string {
  const keyed = error.target ? keyedSectionOf(error.target) : undefined;
  if (keyed) return keyed.unknownKeyReason;
  return error.property.includes('.')
    ? 'unknown key (write nested keys as nested YAML mappings, not as dotted names)'
    : 'unknown key';
}

/**
 * Copies the mappings of `value`, dropping null-valued keys so they take their defaults. Keys that name
 * Object.prototype members (`constructor`, `toString`, `__proto__`…) are reported here: class-transformer skips
 * them silently, so the whitelist would never see them.
 */
function withoutNulls(value: unknown, parent: string, problems: ConfigProblem[]): unknown {
  if (!isMapping(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key in Object.prototype) problems.push({ path: `${parent}${key}`, reason: 'unknown key' });
    else if (child !== null) copy[key] = withoutNulls(child, `${parent}${key}.`, problems);
  }
  return copy;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return Array.isArray(value) ? 'a list' : `${typeof value} ${JSON.stringify(value)}`;
}
