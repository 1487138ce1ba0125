/**
 * What the API server does to a written object before it stores it: patches (JSON merge patch, JSON patch),
 * the structural-schema pruning and validation of a CustomResourceDefinition, Lease validation, and the
 * `Status` bodies of refused writes.
 */
import { parseQuantity, type ResourceName } from '@opsagent/core/quantity';
import { POLICY_REPORT_GROUP, OPEN_REPORTS_GROUP, COORDINATION_GROUP, type ApiResource } from './resources';

/** A refused write, answered as a `Status` with this code, reason and details. */
export class WriteError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export interface FieldCause {
  reason: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueNotSupported' | 'FieldValueTypeInvalid';
  message: string;
  field: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---- patches ----

/** RFC 7386: objects merge key by key, `null` removes a key, anything else (arrays included) replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/**
 * The `patchMergeKey` of the lists a strategic merge patch merges item by item, by field name, as the built-in
 * types declare them (`patchStrategy:"merge"`): a PodSpec's containers by `name`, a container's ports by
 * `containerPort`, … Every other list is replaced whole, as in a merge patch.
 */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  imagePullSecrets: 'name',
  env: 'name',
  ports: 'containerPort',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  hostAliases: 'ip',
  ownerReferences: 'uid',
  topologySpreadConstraints: 'topologyKey',
};

/**
 * `application/strategic-merge-patch+json` on a built-in type, as the API server applies it: a merge patch, except
 * that the lists in MERGE_KEYS merge their items by key (a patch item with an unknown key is appended, one with
 * `$patch: delete` removes the item), a map with `$patch: replace` replaces the original, and `$setElementOrder`
 * and `$retainKeys` directives are accepted (the order and the keys of the patch are kept as they are).
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  if (patch.$patch === 'replace') return withoutDirectives(patch);
  if (patch.$patch !== undefined && patch.$patch !== 'merge') {
    throw new WriteError(400, `unknown patch type: ${JSON.stringify(patch.$patch)} in map`, 'BadRequest');
  }
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    if (value === null) delete out[key];
    else if (Array.isArray(value) && MERGE_KEYS[key] !== undefined) {
      out[key] = mergeList(out[key], value, MERGE_KEYS[key]);
    } else out[key] = strategicMergePatch(out[key], value);
  }
  return out;
}

function mergeList(target: unknown, patch: unknown[], mergeKey: string): unknown[] {
  const out = Array.isArray(target) ? [...target] : [];
  for (const item of patch) {
    if (!isObject(item) || item[mergeKey] === undefined) {
      throw new WriteError(
        400,
        `map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`,
        'BadRequest',
      );
    }
    const at = out.findIndex((o) => isObject(o) && o[mergeKey] === item[mergeKey]);
    if (item.$patch === 'delete') {
      if (at >= 0) out.splice(at, 1);
    } else if (at >= 0) out[at] = strategicMergePatch(out[at], item);
    else out.push(strategicMergePatch({}, item));
  }
  return out;
}

function withoutDirectives(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => !k.startsWith('$')));
}

interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new WriteError(422, `invalid JSON pointer: ${JSON.stringify(path)}`, 'Invalid');
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** RFC 6902 on a deep copy: add, remove, replace, move, copy, test. A failed op refuses the whole patch. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new WriteError(400, 'the JSON patch must be an array of operations', 'BadRequest');
  let doc = structuredClone(target);
  const fail = (op: JsonPatchOp, why: string): never => {
    throw new WriteError(
      422,
      `the server rejected our request due to an error in our request: ${op.op} operation does not apply: ${why}`,
      'Invalid',
    );
  };
  const parentOf = (op: JsonPatchOp, path: string): [unknown, string] => {
    const parts = pointer(path);
    if (parts.length === 0) return [undefined, ''];
    let node: unknown = doc;
    for (const part of parts.slice(0, -1)) {
      node = Array.isArray(node) ? node[Number(part)] : isObject(node) ? node[part] : undefined;
      if (node === undefined) fail(op, `doc is missing path: "${path}"`);
    }
    return [node, parts[parts.length - 1]];
  };
  const get = (op: JsonPatchOp, path: string): unknown => {
    const [parent, key] = parentOf(op, path);
    if (parent === undefined) return doc;
    const value = Array.isArray(parent) ? parent[Number(key)] : isObject(parent) ? parent[key] : undefined;
    if (value === undefined) fail(op, `doc is missing key: "${path}"`);
    return value;
  };
  const remove = (op: JsonPatchOp, path: string): void => {
    const [parent, key] = parentOf(op, path);
    if (Array.isArray(parent) && /^\d+$/.test(key) && Number(key) < parent.length) parent.splice(Number(key), 1);
    else if (isObject(parent) && key in parent) delete parent[key];
    else fail(op, `doc is missing key: "${path}"`);
  };
  const add = (op: JsonPatchOp, path: string, value: unknown): void => {
    const [parent, key] = parentOf(op, path);
    if (parent === undefined) {
      doc = structuredClone(value);
      return;
    }
    if (Array.isArray(parent)) {
      const index = key === '-' ? parent.length : Number(key);
      if (!/^(\d+|-)$/.test(key) || index > parent.length) fail(op, `index out of range: "${path}"`);
      parent.splice(index, 0, structuredClone(value));
    } else if (isObject(parent)) parent[key] = structuredClone(value);
    else fail(op, `doc is missing path: "${path}"`);
  };
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw new WriteError(400, 'a JSON patch operation needs "op" and "path"', 'BadRequest');
    }
    const op = raw as unknown as JsonPatchOp;
    switch (op.op) {
      case 'add':
        add(op, op.path, op.value);
        break;
      case 'remove':
        remove(op, op.path);
        break;
      case 'replace':
        get(op, op.path);
        remove(op, op.path);
        add(op, op.path, op.value);
        break;
      case 'move': {
        const value = get(op, op.from ?? '');
        remove(op, op.from ?? '');
        add(op, op.path, value);
        break;
      }
      case 'copy':
        add(op, op.path, get(op, op.from ?? ''));
        break;
      case 'test':
        if (JSON.stringify(get(op, op.path)) !== JSON.stringify(op.value)) fail(op, `testing value ${op.path} failed`);
        break;
      default:
        throw new WriteError(400, `unexpected JSON patch operation ${JSON.stringify(op.op)}`, 'BadRequest');
    }
  }
  return doc;
}

// ---- validation ----

/** A structural schema, as `openAPIV3Schema` of a CRD describes one (only what the served CRDs use). */
export type Schema =
  | { type: 'string'; enum?: readonly string[] }
  | { type: 'integer' | 'boolean' }
  | { type: 'object'; properties?: Record<string, Schema>; additionalProperties?: Schema; required?: readonly string[] }
  | { type: 'array'; items: Schema };

const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const strings: Schema = { type: 'object', additionalProperties: str };
const objectReference: Schema = {
  type: 'object',
  properties: {
    apiVersion: str,
    fieldPath: str,
    kind: str,
    name: str,
    namespace: str,
    resourceVersion: str,
    uid: str,
  },
};
const labelSelector: Schema = {
  type: 'object',
  properties: {
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['key', 'operator'],
        properties: { key: str, operator: str, values: { type: 'array', items: str } },
      },
    },
    matchLabels: strings,
  },
};
const RESULT_VALUES = ['pass', 'fail', 'warn', 'error', 'skip'] as const;
const reportResult: Schema = {
  type: 'object',
  required: ['policy'],
  properties: {
    category: str,
    message: str,
    policy: str,
    properties: strings,
    resourceSelector: labelSelector,
    resources: { type: 'array', items: objectReference },
    result: { type: 'string', enum: RESULT_VALUES },
    rule: str,
    scored: { type: 'boolean' },
    severity: { type: 'string', enum: ['critical', 'high', 'low', 'medium', 'info'] },
    source: str,
    timestamp: { type: 'object', required: ['nanos', 'seconds'], properties: { nanos: int, seconds: int } },
  },
};
const summary: Schema = {
  type: 'object',
  properties: { error: int, fail: int, pass: int, skip: int, warn: int },
};
/** wgpolicyk8s.io/v1alpha2 PolicyReport and ClusterPolicyReport. */
const POLICY_REPORT: Record<string, Schema> = {
  results: { type: 'array', items: reportResult },
  scope: objectReference,
  scopeSelector: labelSelector,
  summary,
};
/** openreports.io/v1alpha1 Report and ClusterReport: the same, plus `source` and `configuration`. */
const OPEN_REPORT: Record<string, Schema> = {
  ...POLICY_REPORT,
  source: str,
  configuration: {
    type: 'object',
    required: ['limits'],
    properties: {
      limits: {
        type: 'object',
        properties: {
          maxResults: int,
          statusFilter: { type: 'array', items: { type: 'string', enum: RESULT_VALUES } },
        },
      },
    },
  },
};

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Prunes unknown fields (as the API server does for a structural schema) and collects the violations. */
function walk(value: unknown, schema: Schema, field: string, causes: FieldCause[]): unknown {
  const typeError = () => {
    causes.push({
      reason: 'FieldValueTypeInvalid',
      message: `Invalid value: "${describeType(value)}": ${field} in body must be of type ${schema.type}: "${describeType(value)}"`,
      field,
    });
    return value;
  };
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return typeError();
      if (schema.enum && !schema.enum.includes(value)) {
        const supported = schema.enum.map((v) => JSON.stringify(v)).join(', ');
        causes.push({
          reason: 'FieldValueNotSupported',
          message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported}`,
          field,
        });
      }
      return value;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? value : typeError();
    case 'boolean':
      return typeof value === 'boolean' ? value : typeError();
    case 'array':
      if (!Array.isArray(value)) return typeError();
      return value.map((item, i) => walk(item, schema.items, `${field}[${i}]`, causes));
    case 'object': {
      if (!isObject(value)) return typeError();
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(value)) {
        const sub = schema.properties?.[key] ?? schema.additionalProperties;
        if (!sub) continue; // pruned
        // A null in a typed field is dropped, as the API server drops nulls of non-nullable fields.
        if (child === null) continue;
        out[key] = walk(child, sub, field === '' ? key : `${field}.${key}`, causes);
      }
      for (const key of schema.required ?? []) {
        if (!(key in out))
          causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: `${field}.${key}` });
      }
      return out;
    }
  }
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function nameCauses(name: string): FieldCause[] {
  if (name.length <= 253 && DNS_SUBDOMAIN.test(name)) return [];
  return [
    {
      reason: 'FieldValueInvalid',
      message:
        `Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 subdomain must consist of lower case ` +
        "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
      field: 'metadata.name',
    },
  ];
}

/** `metav1.MicroTime` as the API server writes it: RFC 3339 with exactly six fraction digits. */
function microTime(value: unknown, field: string, causes: FieldCause[]): unknown {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (typeof value !== 'string' || Number.isNaN(ms) || !/^\d{4}-\d\d-\d\dT/.test(value)) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(value)}: not an RFC 3339 time`,
      field,
    });
    return value;
  }
  const fraction = /\.(\d+)/.exec(value)?.[1] ?? '';
  const micros = (fraction + '000000').slice(0, 6);
  return `${new Date(ms).toISOString().slice(0, 19)}.${micros}Z`;
}

function validateLease(spec: unknown, causes: FieldCause[]): unknown {
  if (spec === undefined) return spec;
  if (!isObject(spec)) {
    causes.push({ reason: 'FieldValueTypeInvalid', message: 'Invalid value: spec must be an object', field: 'spec' });
    return spec;
  }
  const out: Record<string, unknown> = { ...spec };
  for (const key of ['holderIdentity', 'strategy', 'preferredHolder'] as const) {
    if (out[key] !== undefined && out[key] !== null && typeof out[key] !== 'string') {
      causes.push({
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: must be a string',
        field: `spec.${key}`,
      });
    }
  }
  for (const key of ['leaseDurationSeconds', 'leaseTransitions'] as const) {
    const v = out[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      causes.push({
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: must be an integer',
        field: `spec.${key}`,
      });
    } else if (key === 'leaseDurationSeconds' ? v <= 0 : v < 0) {
      const must = key === 'leaseDurationSeconds' ? 'must be greater than 0' : 'must be greater than or equal to 0';
      causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${v}: ${must}`, field: `spec.${key}` });
    }
  }
  for (const key of ['acquireTime', 'renewTime'] as const) {
    if (out[key] === undefined || out[key] === null) delete out[key];
    else out[key] = microTime(out[key], `spec.${key}`, causes);
  }
  return out;
}

/** Where a workload kind's PodSpec is. */
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** The API server's check that a container's request is at most its limit (and both are quantities). */
function validateResources(object: Record<string, unknown>, podSpecPath: readonly string[], causes: FieldCause[]) {
  let podSpec: unknown = object;
  for (const key of podSpecPath) podSpec = isObject(podSpec) ? podSpec[key] : undefined;
  if (!isObject(podSpec)) return;
  for (const list of ['initContainers', 'containers'] as const) {
    const containers = podSpec[list];
    if (!Array.isArray(containers)) continue;
    containers.forEach((c, i) => {
      const resources = isObject(c) ? c.resources : undefined;
      if (!isObject(resources)) return;
      const field = `${podSpecPath.join('.')}.${list}[${i}].resources`;
      const values: Record<'requests' | 'limits', Partial<Record<ResourceName, number>>> = { requests: {}, limits: {} };
      for (const kind of ['limits', 'requests'] as const) {
        const map = resources[kind];
        if (!isObject(map)) continue;
        for (const resource of ['cpu', 'memory'] as const) {
          const raw = map[resource];
          if (raw === undefined) continue;
          try {
            values[kind][resource] = parseQuantity(raw as string | number, resource);
          } catch {
            const message = `Invalid value: ${JSON.stringify(raw)}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`;
            causes.push({ reason: 'FieldValueInvalid', message, field: `${field}.${kind}[${resource}]` });
          }
        }
      }
      for (const resource of ['cpu', 'memory'] as const) {
        const request = values.requests[resource];
        const limit = values.limits[resource];
        if (request !== undefined && limit !== undefined && request > limit) {
          const raw = (resources.requests as Record<string, unknown>)[resource];
          const message = `Invalid value: ${JSON.stringify(String(raw))}: must be less than or equal to ${resource} limit of ${String((resources.limits as Record<string, unknown>)[resource])}`;
          causes.push({ reason: 'FieldValueInvalid', message, field: `${field}.requests` });
        }
      }
    });
  }
}

/**
 * The object as the API server would store it: CRD objects pruned to their schema, Lease times normalized;
 * a 422 Invalid naming every bad field otherwise. `metadata` is left to the caller.
 */
export function admit(resource: ApiResource, object: Record<string, unknown>, name: string): Record<string, unknown> {
  const causes: FieldCause[] = nameCauses(name);
  const out: Record<string, unknown> = { ...object };
  if (resource.group === POLICY_REPORT_GROUP || resource.group === OPEN_REPORTS_GROUP) {
    const fields = resource.group === POLICY_REPORT_GROUP ? POLICY_REPORT : OPEN_REPORT;
    for (const key of Object.keys(out)) {
      if (key === 'apiVersion' || key === 'kind' || key === 'metadata') continue;
      const schema = fields[key];
      if (!schema || out[key] === null) delete out[key];
      else out[key] = walk(out[key], schema, key, causes);
    }
  } else if (resource.group === COORDINATION_GROUP && resource.kind === 'Lease') {
    const spec = validateLease(out.spec, causes);
    if (spec === undefined) delete out.spec;
    else out.spec = spec;
  } else if (POD_SPEC_PATHS[resource.kind] !== undefined) {
    validateResources(out, POD_SPEC_PATHS[resource.kind], causes);
  }
  if (causes.length > 0) {
    const gk = resource.group === '' ? resource.kind : `${resource.kind}.${resource.group}`;
    const text = causes.map((c) => `${c.field}: ${c.message}`);
    const message = `${gk} ${JSON.stringify(name)} is invalid: ${text.length === 1 ? text[0] : `[${text.join(', ')}]`}`;
    throw new WriteError(422, message, 'Invalid', {
      name,
      ...(resource.group ? { group: resource.group } : {}),
      kind: resource.kind,
      causes,
    });
  }
  return out;
}

export type { Json };
