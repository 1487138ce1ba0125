import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  visit,
  type Alias,
  type Document,
  type Node,
  type Scalar,
  type YAMLMap,
} from 'yaml';
import type { Issue } from '../issue';
import { ManifestError } from '../manifests/errors';
import { parseQuantity, type ResourceName } from '../quantity';
import type { ContainerSpec, ResourceValues } from '../workload';
import { changedResources, type ResourceChange } from './fix';

/**
 * Rewrites manifest text with the recommendations of findings, for `opsagent fix`: only the `resources` of the
 * containers that have a finding with a `fix`, as edits of the original text at the places the YAML parser
 * located (a value replaced in its own quoting style, a missing key inserted at the indentation of its map, or
 * into a flow map), so comments, key order, blank lines, anchors and every other byte stay as they were.
 */

const RESOURCES: readonly ResourceName[] = ['cpu', 'memory'];
const KINDS = ['requests', 'limits'] as const;
type Quantities = Partial<Record<ResourceName, string>>;

/** The containers of one workload to change: where its containers list is, and what each finding recommends. */
export interface WorkloadFixes {
  /** Keys from the object to the containers list, e.g. `['spec', 'template', 'spec', 'containers']`. */
  listPath: string[];
  container: string;
  changes: ResourceChange[];
}

/** A fix of an issue, read back from its patch: where the container is and the quantities it writes. */
export function fixTarget(issue: Issue): { listPath: string[]; change: ResourceChange } | undefined {
  if (!issue.fix) return undefined;
  const listPath: string[] = [];
  let node: unknown = issue.fix.patch;
  for (;;) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    const keys = Object.keys(node);
    if (keys.length !== 1) return undefined;
    listPath.push(keys[0]);
    node = (node as Record<string, unknown>)[keys[0]];
    if (Array.isArray(node)) break;
  }
  const item = node[0] as { name?: unknown; resources?: Record<string, Quantities> } | undefined;
  if (!item || item.name !== issue.container || typeof item.resources !== 'object') return undefined;
  const change: ResourceChange = {};
  for (const kind of KINDS) {
    const values = item.resources[kind];
    if (!values) continue;
    const parsed: ResourceValues = {};
    for (const resource of RESOURCES) {
      const q = values[resource];
      if (q !== undefined) parsed[resource] = parseQuantity(q, resource);
    }
    change[kind] = parsed;
  }
  return { listPath, change };
}

/** One container rewritten: what was set, for the report. */
export interface ContainerEdit {
  file: string;
  /** 1-based line of the container (its first key, usually `- name:`). */
  line: number;
  objectRef: string;
  container: string;
  /** `requests.cpu`, … with the old value (undefined: not set before) and the new one. */
  set: { field: string; from?: string; to: string }[];
}

export interface ManifestFixResult {
  /** The new text; the very same string when nothing changed. */
  text: string;
  edits: ContainerEdit[];
  errors: ManifestError[];
}

interface TextEdit {
  start: number;
  end: number;
  text: string;
  seq: number;
}

/**
 * Applies the fixes that `fixesFor(namespace, kind, name)` gives to the objects of a manifest file. A file that
 * does not parse is left as it is, with one error; an object whose fields are not where they must be (a
 * `resources` that is not a mapping, a container not found, an anchor also used elsewhere) is left as it is, with
 * an error naming the file, line and field, and the other objects are still rewritten.
 */
export function fixManifestText(
  text: string,
  file: string,
  defaultNamespace: string,
  fixesFor: (namespace: string, kind: string, name: string) => readonly WorkloadFixes[] | undefined,
): ManifestFixResult {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, merge: true, logLevel: 'error' });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  const unchanged = (errors: ManifestError[]): ManifestFixResult => ({ text, edits: [], errors });
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return unchanged([
        new ManifestError(`invalid YAML: ${error.message} (column ${col}); not changed`, { file, line }),
      ]);
    }
  }
  const edits: TextEdit[] = [];
  const done: ContainerEdit[] = [];
  const errors: ManifestError[] = [];
  for (const doc of docs) {
    const contents = doc.contents;
    if (!isMap(contents)) continue;
    const aliased = new Set<string>();
    visit(doc, { Alias: (_, node) => void aliased.add(node.source) });
    const ctx: DocContext = { doc, text, lineAt, aliased, edits, file, eol: text.includes('\r\n') ? '\r\n' : '\n' };
    const kind = scalarValue(contents.get('kind', true));
    const objects: YAMLMap[] = [];
    const items = contents.get('items', true);
    if (typeof kind === 'string' && kind.endsWith('List') && isSeq(items)) {
      for (const item of items.items) if (isMap(item)) objects.push(item);
    } else objects.push(contents);
    for (const object of objects) {
      const objectKind = scalarValue(object.get('kind', true));
      const meta = object.get('metadata', true);
      const name = isMap(meta) ? scalarValue(meta.get('name', true)) : undefined;
      if (typeof objectKind !== 'string' || typeof name !== 'string') continue;
      const ns = isMap(meta) ? scalarValue(meta.get('namespace', true)) : undefined;
      const namespace = typeof ns === 'string' && ns !== '' ? ns : defaultNamespace;
      const fixes = fixesFor(namespace, objectKind, name);
      if (!fixes || fixes.length === 0) continue;
      const objectRef = `${objectKind} ${namespace}/${name}`;
      for (const group of groupByContainer(fixes)) {
        const before = edits.length;
        try {
          const { set, line } = fixContainer(ctx, object, group);
          if (set.length > 0) done.push({ file, line, objectRef, container: group.container, set });
        } catch (err) {
          if (!(err instanceof FieldError)) throw err;
          edits.length = before; // nothing of this container is written
          errors.push(new ManifestError(err.message, { file, line: err.line, objectRef, field: err.field }));
        }
      }
    }
  }
  if (edits.length === 0) return { text, edits: done, errors };
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start || b.seq - a.seq)) {
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
  }
  return { text: out, edits: done, errors };
}

interface DocContext {
  doc: Document;
  text: string;
  lineAt: (offset: number) => number;
  /** Anchors some alias of the document refers to. */
  aliased: Set<string>;
  edits: TextEdit[];
  file: string;
  /** The file's line end (`\r\n` when it uses them), for inserted lines. */
  eol: string;
}

class FieldError extends Error {
  constructor(
    message: string,
    readonly field: string,
    readonly line: number | undefined,
  ) {
    super(message);
  }
}

/** The findings of one container merged: the larger value where two set the same key. */
function groupByContainer(
  fixes: readonly WorkloadFixes[],
): { listPath: string[]; container: string; change: ResourceChange }[] {
  const groups = new Map<string, { listPath: string[]; container: string; change: ResourceChange }>();
  for (const f of fixes) {
    const key = `${f.listPath.join('.')}/${f.container}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { listPath: f.listPath, container: f.container, change: {} }));
    for (const change of f.changes) {
      for (const kind of KINDS) {
        for (const resource of RESOURCES) {
          const value = change[kind]?.[resource];
          if (value === undefined) continue;
          const values = (group.change[kind] ??= {});
          values[resource] = Math.max(values[resource] ?? 0, value);
        }
      }
    }
  }
  return [...groups.values()];
}

function fixContainer(
  ctx: DocContext,
  object: YAMLMap,
  group: { listPath: string[]; container: string; change: ResourceChange },
): { set: ContainerEdit['set']; line: number } {
  let node: unknown = object;
  const path: string[] = [];
  for (const key of group.listPath) {
    if (!isMap(node)) throw new FieldError('expected a mapping', path.join('.'), lineOf(ctx, node));
    const next = node.get(key, true);
    path.push(key);
    if (isAlias(next))
      throw new FieldError('is an alias; not changed (edit it by hand)', path.join('.'), lineOf(ctx, next));
    node = next;
  }
  if (!isSeq(node)) throw new FieldError('expected a list of containers', path.join('.'), lineOf(ctx, node));
  const index = node.items.findIndex((c) => isMap(c) && scalarValue(c.get('name', true)) === group.container);
  if (index < 0) {
    throw new FieldError(`no container named "${group.container}"; not changed`, path.join('.'), lineOf(ctx, node));
  }
  const container = node.items[index] as YAMLMap;
  const field = `${path.join('.')}[${index}].resources`;
  const resourcesNode = container.get('resources', true);
  const current = readResources(ctx, resourcesNode, field);
  const spec: ContainerSpec = { name: group.container, role: 'container', path: field, ...current.values };
  const wanted = changedResources(spec, group.change);
  const line = lineOf(ctx, container) ?? lineOf(ctx, object) ?? 1;
  if (!wanted) return { set: [], line };
  const set: ContainerEdit['set'] = [];
  for (const kind of KINDS) {
    for (const resource of RESOURCES) {
      const to = wanted[kind]?.[resource];
      if (to === undefined) continue;
      const from = current.raw[kind][resource];
      set.push({ field: `${kind}.${resource}`, ...(from === undefined ? {} : { from }), to });
    }
  }
  writeMap(ctx, container, 'resources', wanted, field.replace(/\.resources$/, ''));
  return { set, line };
}

/** The container's declared quantities (numbers for the arithmetic, the text for the report). */
function readResources(
  ctx: DocContext,
  node: unknown,
  field: string,
): { values: { requests: ResourceValues; limits: ResourceValues }; raw: Record<'requests' | 'limits', Quantities> } {
  const values = { requests: {} as ResourceValues, limits: {} as ResourceValues };
  const raw = { requests: {} as Quantities, limits: {} as Quantities };
  const resolved = resolve(ctx, node);
  if (resolved === undefined || isNull(resolved)) return { values, raw };
  if (!isMap(resolved))
    throw new FieldError(`expected a mapping, found ${describeNode(resolved)}`, field, lineOf(ctx, node));
  for (const kind of KINDS) {
    const mapNode = resolve(ctx, resolved.get(kind, true));
    if (mapNode === undefined || isNull(mapNode)) continue;
    if (!isMap(mapNode)) {
      throw new FieldError(
        `expected a mapping, found ${describeNode(mapNode)}`,
        `${field}.${kind}`,
        lineOf(ctx, mapNode),
      );
    }
    for (const resource of RESOURCES) {
      const q = resolve(ctx, mapNode.get(resource, true));
      if (q === undefined || isNull(q)) continue;
      const v = isScalar(q) ? q.value : undefined;
      if (typeof v !== 'string' && typeof v !== 'number') {
        throw new FieldError(
          `expected a quantity, found ${describeNode(q)}`,
          `${field}.${kind}.${resource}`,
          lineOf(ctx, q),
        );
      }
      try {
        values[kind][resource] = parseQuantity(v, resource);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new FieldError(reason, `${field}.${kind}.${resource}`, lineOf(ctx, q));
      }
      raw[kind][resource] = String(v);
    }
  }
  return { values, raw };
}

/** Nested values to write: quantity strings at the leaves. */
type Tree = { [key: string]: Tree | string | undefined };

/**
 * Sets `tree` under `key` of `map`, editing the text: an existing scalar is replaced, a missing key inserted, a
 * nested map descended into; an alias is overridden in place (`{ <<: *anchor, key: … }`), an anchor that an alias
 * refers to is refused (the change would reach the alias too).
 */
function writeMap(ctx: DocContext, map: YAMLMap, key: string, tree: Tree, field: string): void {
  const path = field === '' ? key : `${field}.${key}`;
  const pair = map.items.find((p) => scalarValue(p.key) === key);
  const value = pair?.value as Node | null | undefined;
  if (!pair) return insertPair(ctx, map, key, tree);
  if (value === null || value === undefined || isNull(value)) return replaceNull(ctx, pair.key as Node, value, tree);
  if (isAlias(value)) return overrideAlias(ctx, value, tree, path);
  if (!isMap(value)) throw new FieldError(`expected a mapping, found ${describeNode(value)}`, path, lineOf(ctx, value));
  refuseShared(ctx, value, path);
  for (const [k, sub] of Object.entries(tree)) {
    if (sub === undefined) continue;
    if (typeof sub === 'string') writeScalar(ctx, value, k, sub, path);
    else writeMap(ctx, value, k, sub, path);
  }
}

function writeScalar(ctx: DocContext, map: YAMLMap, key: string, quantity: string, field: string): void {
  const pair = map.items.find((p) => scalarValue(p.key) === key);
  if (!pair) return insertPair(ctx, map, key, quantity);
  const value = pair.value as Node | null;
  if (value === null || isNull(value)) return replaceNull(ctx, pair.key as Node, value, quantity);
  if (isAlias(value))
    throw new FieldError('is an alias; not changed (edit it by hand)', `${field}.${key}`, lineOf(ctx, value));
  if (!isScalar(value))
    throw new FieldError(`expected a quantity, found ${describeNode(value)}`, `${field}.${key}`, lineOf(ctx, value));
  refuseShared(ctx, value, `${field}.${key}`);
  const [start, end] = value.range!;
  const anchor = value.anchor ? `&${value.anchor} ` : '';
  const quote = value.type === 'QUOTE_SINGLE' ? "'" : value.type === 'QUOTE_DOUBLE' ? '"' : '';
  // The range starts at the anchor, if any.
  pushEdit(ctx, start, end, `${anchor}${quote}${quantity}${quote}`);
}

/** A key inserted into a map: after its last entry, at the column of its first key (block) or with a comma (flow). */
function insertPair(ctx: DocContext, map: YAMLMap, key: string, value: Tree | string): void {
  const [start, end] = map.range!;
  if (map.flow) {
    const close = ctx.text.lastIndexOf('}', end - 1);
    const last = map.items[map.items.length - 1];
    const lastEnd = last ? endOf(last.value as Node | null, last.key as Node) : undefined;
    const entry = `${key}: ${flow(value)}`;
    if (lastEnd === undefined) pushEdit(ctx, close, close, ` ${entry} `);
    else pushEdit(ctx, lastEnd, lastEnd, `, ${entry}`);
    return;
  }
  const first = map.items[0]?.key as Node | undefined;
  const column = first?.range ? columnOf(ctx, first.range[0]) : columnOf(ctx, start);
  const last = map.items[map.items.length - 1];
  const lastEnd = last ? endOf(last.value as Node | null, last.key as Node)! : end;
  const eol = lineEnd(ctx.text, lastEnd);
  pushEdit(ctx, eol, eol, `${ctx.eol}${block(key, value, column, ctx.eol)}`);
}

/** `key:` with no value (or `null`, `~`): the value written in flow style on that line. */
function replaceNull(ctx: DocContext, keyNode: Node, value: Node | null | undefined, tree: Tree | string): void {
  if (value?.range && value.range[1] > value.range[0]) {
    pushEdit(ctx, value.range[0], value.range[1], flow(tree));
  } else {
    const at = keyNode.range![1];
    const colon = ctx.text.indexOf(':', at);
    pushEdit(ctx, colon + 1, colon + 1, ` ${flow(tree)}`);
  }
}

/**
 * An alias whose target must differ for this container only: `*res` becomes `{ <<: *res, cpu: 250m }`, a merge
 * key (which Kubernetes' YAML decoder honours) and the keys that change, each written whole.
 */
function overrideAlias(ctx: DocContext, alias: Alias, tree: Tree, field: string): void {
  const target = alias.resolve(ctx.doc);
  if (!isMap(target))
    throw new FieldError(`is an alias of a ${describeNode(target)}; expected a mapping`, field, lineOf(ctx, alias));
  const entries: string[] = [`<<: *${alias.source}`];
  for (const [k, sub] of Object.entries(tree)) {
    if (sub === undefined) continue;
    if (typeof sub === 'string') entries.push(`${k}: ${sub}`);
    else {
      const base = resolve(ctx, target.get(k, true));
      const merged: Tree = {};
      if (isMap(base)) {
        for (const p of base.items) {
          const v = resolve(ctx, p.value as Node | null);
          if (isScalar(v) && v.value !== null) merged[String(scalarValue(p.key))] = String(v.value);
        }
      }
      Object.assign(merged, sub);
      entries.push(`${k}: ${flow(merged)}`);
    }
  }
  const [start, end] = alias.range!;
  pushEdit(ctx, start, end, `{ ${entries.join(', ')} }`);
}

function refuseShared(ctx: DocContext, node: Node, field: string): void {
  if (node.anchor && ctx.aliased.has(node.anchor)) {
    throw new FieldError(
      `is the anchor &${node.anchor}, which an alias also uses; not changed (the change would reach it too)`,
      field,
      lineOf(ctx, node),
    );
  }
}

function flow(value: Tree | string): string {
  if (typeof value === 'string') return value;
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return `{ ${entries.map(([k, v]) => `${k}: ${flow(v!)}`).join(', ')} }`;
}

function block(key: string, value: Tree | string, column: number, eol: string): string {
  const pad = ' '.repeat(column);
  if (typeof value === 'string') return `${pad}${key}: ${value}`;
  const lines = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => block(k, v!, column + 2, eol));
  return `${pad}${key}:${eol}${lines.join(eol)}`;
}

function pushEdit(ctx: DocContext, start: number, end: number, text: string): void {
  ctx.edits.push({ start, end, text, seq: ctx.edits.length });
}

/** Where a pair ends in the text: the end of its value (not its trailing comment). */
function endOf(value: Node | null, key: Node): number | undefined {
  if (value?.range) return value.range[1];
  return key.range?.[1];
}

/** The offset of the end of the line holding `offset` (before its newline; a trailing comment stays before it). */
function lineEnd(text: string, offset: number): number {
  // A block value's range may end after its newline: step back onto the line of its last character.
  let at = offset;
  while (at > 0 && (text[at - 1] === '\n' || text[at - 1] === '\r')) at--;
  const nl = text.indexOf('\n', at);
  if (nl < 0) return text.length;
  return text[nl - 1] === '\r' ? nl - 1 : nl;
}

function columnOf(ctx: DocContext, offset: number): number {
  return offset - (ctx.text.lastIndexOf('\n', offset - 1) + 1);
}

function resolve(ctx: DocContext, node: unknown): Node | undefined {
  if (node === null || node === undefined) return undefined;
  if (isAlias(node)) return node.resolve(ctx.doc) as Node | undefined;
  return node as Node;
}

function isNull(node: unknown): boolean {
  return isScalar(node) && node.value === null;
}

function scalarValue(node: unknown): unknown {
  return isScalar(node) ? (node as Scalar).value : undefined;
}

function describeNode(node: unknown): string {
  if (isSeq(node)) return 'a list';
  if (isMap(node)) return 'a mapping';
  if (isScalar(node)) {
    const v = node.value;
    return typeof v === 'string' ? `the string ${JSON.stringify(v)}` : `${typeof v} ${JSON.stringify(v)}`;
  }
  return 'nothing';
}

function lineOf(ctx: DocContext, node: unknown): number | undefined {
  const range = (node as Node | undefined)?.range;
  return range ? ctx.lineAt(range[0]) : undefined;
}
