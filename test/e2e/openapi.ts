import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { ROOT, tempDir } from './harness';

/** The parts of an OpenAPI 3.0 document the tests read. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
  security?: Record<string, string[]>[];
  servers?: { url: string }[];
}

export interface OpenApiOperation {
  operationId?: string;
  summary?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<string, { description: string; content?: Record<string, { schema?: unknown }> }>;
}

export interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: { pointer: string }[];
}

const REDOCLY = path.join(ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');

/**
 * `redocly lint` with the recommended ruleset, the real @redocly/cli (a devDependency), over the whole document.
 * Runs offline: no telemetry, no update check.
 */
export function redoclyLint(document: unknown): { errors: LintProblem[]; warnings: LintProblem[]; output: string } {
  const file = path.join(tempDir('opsagent-openapi-'), 'openapi.json');
  fs.writeFileSync(file, JSON.stringify(document, null, 2));
  const run = spawnSync(process.execPath, [REDOCLY, 'lint', '--extends', 'recommended', '--format', 'json', file], {
    cwd: path.dirname(file),
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    timeout: 120_000,
  });
  if (run.error) throw run.error;
  const start = run.stdout.indexOf('{');
  if (start < 0) throw new Error(`redocly printed no report (exit ${run.status}): ${run.stdout}${run.stderr}`);
  const report = JSON.parse(run.stdout.slice(start)) as { problems: LintProblem[] };
  return {
    errors: report.problems.filter((p) => p.severity === 'error'),
    warnings: report.problems.filter((p) => p.severity !== 'error'),
    output: run.stderr,
  };
}

/**
 * An OpenAPI 3.0 schema as JSON Schema (draft-07) for ajv: `nullable: true` becomes "or null" (ajv's own `nullable`
 * refuses a schema without `type`, such as `allOf: [$ref]`), `example` is dropped, and component references point
 * into `definitions`.
 */
export function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'example' || key === 'nullable') continue;
    if (key === '$ref' && typeof value === 'string') {
      out.$ref = value.replace('#/components/schemas/', '#/definitions/');
    } else if (key === 'properties' && typeof value === 'object' && value !== null) {
      out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSchema(v)]));
    } else {
      out[key] = toJsonSchema(value);
    }
  }
  return (schema as { nullable?: unknown }).nullable === true ? { anyOf: [out, { type: 'null' }] } : out;
}

/**
 * Validates real responses against the response schemas of the document, and records which (operation, status)
 * pairs were seen, so a test can require every documented one.
 */
export class ResponseValidator {
  readonly seen = new Set<string>();
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(readonly document: OpenApiDocument) {
    this.ajv = new Ajv({ strict: true, allErrors: true });
    addFormats(this.ajv);
    const definitions = Object.fromEntries(
      Object.entries(document.components.schemas).map(([name, s]) => [name, toJsonSchema(s)]),
    );
    this.ajv.addSchema({ $id: 'openapi', definitions });
  }

  /** Every `METHOD path status` the document declares. */
  documented(): string[] {
    return Object.entries(this.document.paths).flatMap(([p, item]) =>
      Object.entries(item).flatMap(([method, op]) =>
        Object.keys(op.responses).map((status) => `${method.toUpperCase()} ${p} ${status}`),
      ),
    );
  }

  /** The errors of `body` against the schema of `status` on `method template`; [] when it conforms. */
  check(method: string, template: string, status: number, contentType: string | null, body: unknown): string[] {
    const key = `${method.toUpperCase()} ${template} ${status}`;
    const response = this.document.paths[template]?.[method.toLowerCase()]?.responses[String(status)];
    if (!response) return [`${key}: not in the document`];
    this.seen.add(key);
    const media = response.content?.['application/json'];
    if (!media?.schema) return [`${key}: no application/json schema`];
    if (!contentType?.startsWith('application/json')) return [`${key}: Content-Type ${contentType}`];
    let validate = this.compiled.get(key);
    if (!validate) {
      const schema = JSON.stringify(toJsonSchema(media.schema)).replaceAll('"#/definitions/', '"openapi#/definitions/');
      validate = this.ajv.compile(JSON.parse(schema) as object);
      this.compiled.set(key, validate);
    }
    return validate(body)
      ? []
      : (validate.errors ?? []).map((e) => `${key}: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
  }
}
