import { parseQuantity, QuantityError, type ResourceName } from '../quantity';
import { ManifestError, formatFieldPath, type FieldPath } from './errors';

/** Finds the 1-based source line of a field inside an object, when the object was read from text. */
export type FieldLocator = (path: FieldPath) => number | undefined;

/**
 * Where an object came from and how to fill what it leaves out. Nothing here depends on files:
 * the in-cluster service passes API list items with only `defaultNamespace` (and `kind`/`apiVersion`,
 * which items of a typed API list such as `DeploymentList` omit).
 */
export interface ObjectContext {
  /** Namespace for objects without `metadata.namespace` (the CLI's `default` or `--namespace`). */
  defaultNamespace: string;
  file?: string;
  /** 1-based first line of the object in `file`. */
  line?: number;
  locate?: FieldLocator;
  /** Used when the object has no `kind`. */
  kind?: string;
  /** Used when the object has no `apiVersion`. */
  apiVersion?: string;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function getIn(value: unknown, path: FieldPath): unknown {
  let current = value;
  for (const part of path) {
    if (typeof part === 'number') current = Array.isArray(current) ? current[part] : undefined;
    else current = isRecord(current) ? current[part] : undefined;
  }
  return current;
}

export function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** API group of an apiVersion: `apps/v1` → `apps`, core `v1` → ``. */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * Label and annotation values are strings in Kubernetes, but YAML turns `version: 2` or `enabled: true`
 * into a number or a boolean (kubectl would reject them); keep them as their text.
 */
function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Reads fields of one object and throws ManifestErrors that name the file, line, object and field. */
export class ObjectReader {
  objectRef?: string;

  constructor(
    readonly object: Record<string, unknown>,
    readonly ctx: ObjectContext,
  ) {}

  get(path: FieldPath): unknown {
    return getIn(this.object, path);
  }

  fail(path: FieldPath | undefined, reason: string, cause?: unknown): never {
    const fieldLine = path && path.length > 0 ? this.ctx.locate?.(path) : undefined;
    throw new ManifestError(reason, {
      file: this.ctx.file,
      line: fieldLine ?? this.ctx.line,
      objectRef: this.objectRef,
      field: path && path.length > 0 ? formatFieldPath(path) : undefined,
      cause,
    });
  }

  /** A string → string map (labels, annotations, matchLabels); absent or null reads as empty. */
  stringMap(path: FieldPath): Record<string, string> {
    const value = this.get(path);
    if (value === undefined || value === null) return {};
    if (!isRecord(value)) this.fail(path, `expected a map of strings, found ${describe(value)}`);
    const out: Record<string, string> = {};
    for (const [key, v] of Object.entries(value)) out[key] = stringify(v);
    return out;
  }

  /** A list, or an empty one when absent or null. */
  list(path: FieldPath): unknown[] {
    const value = this.get(path);
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) this.fail(path, `expected a list, found ${describe(value)}`);
    return value;
  }

  /** A map, or undefined when absent or null. */
  optionalRecord(path: FieldPath): Record<string, unknown> | undefined {
    const value = this.get(path);
    if (value === undefined || value === null) return undefined;
    if (!isRecord(value)) this.fail(path, `expected a map, found ${describe(value)}`);
    return value;
  }

  requiredString(path: FieldPath): string {
    const value = nonEmptyString(this.get(path));
    if (value === undefined) this.fail(path, 'required field is missing');
    return value;
  }

  /** A CPU (millicores) or memory (bytes) quantity; undefined when absent or null. */
  quantity(path: FieldPath, resource: ResourceName): number | undefined {
    const value = this.get(path);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' && typeof value !== 'number') {
      this.fail(path, `invalid quantity: expected a string or a number, found ${describe(value)}`);
    }
    try {
      return parseQuantity(value, resource);
    } catch (err) {
      if (err instanceof QuantityError) this.fail(path, err.message, err);
      throw err;
    }
  }
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return `${typeof value} ${JSON.stringify(value)}`;
}
