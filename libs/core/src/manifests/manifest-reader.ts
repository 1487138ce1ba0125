import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { LineCounter, isMap, isNode, isScalar, isSeq, parseAllDocuments, type YAMLMap } from 'yaml';
import { ManifestError, ManifestErrors } from './errors';
import { describe, isRecord, type FieldLocator } from './object-reader';

/** One Kubernetes object read from a manifest, with where it came from. */
export interface ManifestObject {
  object: Record<string, unknown>;
  /** The path as given or found by the directory walk, or `<stdin>`. */
  file: string;
  /** 1-based first line of the document, or of the item for an expanded `*List`. */
  line: number;
  /** Finds the line of a field inside `object`, so errors can point at the offending line. */
  locate?: FieldLocator;
}

export interface ReadManifestOptions {
  /** Reads all of standard input; defaults to `process.stdin`. */
  stdin?: () => Promise<string>;
}

/** The path that means standard input, and the file name errors use for it. */
export const STDIN_PATH = '-';
export const STDIN_FILE = '<stdin>';

/** Extensions a directory walk picks up (case-insensitive). A file named explicitly is read whatever its name. */
export const MANIFEST_EXTENSIONS: readonly string[] = ['.yaml', '.yml', '.json'];

/**
 * Limit on alias expansions per document. Real manifests use a handful of anchors; a "billion laughs"
 * document needs thousands, and would otherwise take the process down while building the objects.
 */
export const MAX_ALIAS_COUNT = 100;

/**
 * Reads every manifest object from files, directories and stdin (`-`), in the order given.
 *
 * Directories are walked recursively, entries sorted by name (code-point order) so the output is
 * deterministic; only files ending in `.yaml`, `.yml` or `.json` are read there. Directories named
 * `node_modules` or starting with a dot (`.git`, `.github`, …) are not entered; a directory given
 * explicitly is always walked. A file reached twice (a directory and a file inside it) is read once,
 * and so is stdin. An empty directory yields nothing (no error); the caller decides whether that is fatal.
 */
export async function readManifestSources(paths: string[], opts: ReadManifestOptions = {}): Promise<ManifestObject[]> {
  const { objects, errors } = await readManifestSourcesAll(paths, opts);
  ManifestErrors.throwIfAny(errors);
  return objects;
}

/** As readManifestSources, but returns the input errors (one per bad file or path) beside the objects read. */
export async function readManifestSourcesAll(
  paths: string[],
  opts: ReadManifestOptions = {},
): Promise<{ objects: ManifestObject[]; errors: ManifestError[] }> {
  const objects: ManifestObject[] = [];
  const seenFiles = new Set<string>();
  const seenDirs = new Set<string>();
  let stdinRead = false;
  // A bad file does not stop the walk: every bad file (or path) is reported, then nothing is returned.
  const errors: ManifestError[] = [];
  const attempt = async (read: () => Promise<ManifestObject[]>): Promise<void> => {
    try {
      for (const o of await read()) objects.push(o);
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      errors.push(err);
    }
  };

  for (const p of paths) {
    if (p === STDIN_PATH) {
      if (stdinRead) continue;
      stdinRead = true;
      await attempt(async () => parseManifestText(await readStdin(opts.stdin ?? readProcessStdin), STDIN_FILE));
      continue;
    }
    let entries: WalkEntry[] = [];
    await attempt(async () => {
      entries = await listFiles(p, seenDirs);
      return [];
    });
    for (const file of entries) {
      if (file instanceof ManifestError) {
        errors.push(file);
        continue;
      }
      const key = path.resolve(file);
      if (seenFiles.has(key)) continue;
      seenFiles.add(key);
      await attempt(async () => parseManifestText(await readText(file), file));
    }
  }
  return { objects, errors };
}

/**
 * Parses YAML (one or more `---` documents) or JSON text into objects. Empty documents are ignored;
 * `*List` objects with `items` (`kind: List`, `DeploymentList`, `PodMetricsList`, …) are expanded.
 */
export function parseManifestText(text: string, file: string): ManifestObject[] {
  // A `.json` file is JSON, and so is stdin that starts with `{`: kubectl's decoder (YAMLOrJSONDecoder) takes such
  // input for JSON too. It is also read by the YAML parser below (for line numbers), but its errors must be JSON's:
  // the YAML parser accepts a trailing comma, and names a missing comma "Flow map must end with a }".
  const isJson = /\.json$/i.test(file) || (file === STDIN_FILE && /^\s*\{/.test(text));
  const format = isJson ? 'JSON' : 'YAML';
  if (isJson) {
    const jsonError = jsonSyntaxError(text, file);
    if (jsonError) throw jsonError;
  }
  const lineCounter = new LineCounter();
  // `merge: true` because Kubernetes' YAML decoder (go-yaml) honours `<<: *anchor` merge keys. `logLevel:
  // 'error'`: the library's own warnings (a collection used as a key) would go to stderr as Node warnings.
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, merge: true, logLevel: 'error' });
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  const objects: ManifestObject[] = [];

  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      throw new ManifestError(`invalid ${format}: ${error.message} (column ${col})`, { file, line, cause: error });
    }
    const contents = doc.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) continue;
    const line = lineAt(contents.range[0]);
    if (!isMap(contents)) {
      const found = isSeq(contents) ? 'a list' : describe(isScalar(contents) ? contents.value : contents);
      throw new ManifestError(`expected a Kubernetes object (a mapping), found ${found}`, { file, line });
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      // Unresolved aliases and alias bombs surface here, not in doc.errors.
      const reason = err instanceof Error ? err.message : String(err);
      throw new ManifestError(`invalid ${format}: ${reason}`, { file, line, cause: err });
    }
    expand(value as Record<string, unknown>, contents, line, { file, lineAt, objects });
  }
  return objects;
}

/**
 * JSON.parse's own message when `text` is not JSON, with the line (and column) it names: `invalid JSON:
 * Expected ',' or '}' after property value (column 3)` at line 4. Undefined when the text parses.
 */
function jsonSyntaxError(text: string, file: string): ManifestError | undefined {
  try {
    JSON.parse(text.replace(/^\uFEFF/, '')); // a byte-order mark, which the YAML parser skips too
    return undefined;
  } catch (err) {
    // Anything but a syntax error (a RangeError from nesting too deep) is left to the YAML parser's limits.
    if (!(err instanceof SyntaxError)) return undefined;
    let reason = err.message;
    let line: number | undefined;
    let column: number | undefined;
    // V8: "… in JSON at position 12 (line 3 column 1)"; older ones give the position only.
    const at = / in JSON at position (\d+)(?: \(line (\d+) column (\d+)\))?/.exec(reason);
    if (at) {
      reason = reason.slice(0, at.index) + reason.slice(at.index + at[0].length);
      if (at[2] !== undefined) {
        line = Number(at[2]);
        column = Number(at[3]);
      } else {
        const before = text.slice(0, Number(at[1]));
        line = before.split('\n').length;
        column = before.length - before.lastIndexOf('\n');
      }
    } else if (/end of JSON input/.test(reason)) {
      line = text.split('\n').length;
    }
    const where = column === undefined ? '' : ` (column ${column})`;
    return new ManifestError(`invalid JSON: ${reason}${where}`, { file, line, cause: err });
  }
}

interface ExpandContext {
  file: string;
  lineAt: (offset: number) => number;
  objects: ManifestObject[];
}

function expand(value: Record<string, unknown>, node: unknown, line: number, ctx: ExpandContext): void {
  const { file } = ctx;
  const kind = value.kind;
  if (typeof kind !== 'string' || kind === '') {
    throw new ManifestError('object has no kind', { file, line, field: 'kind' });
  }
  const itemsNode = isMap(node) ? node.get('items', true) : undefined;
  if (kind.endsWith('List') && Array.isArray(value.items)) {
    value.items.forEach((item: unknown, i: number) => {
      const itemNode = isSeq(itemsNode) ? itemsNode.items[i] : undefined;
      const itemLine = isNode(itemNode) && itemNode.range ? ctx.lineAt(itemNode.range[0]) : line;
      if (!isRecord(item)) {
        throw new ManifestError(`expected a Kubernetes object (a mapping), found ${describe(item)}`, {
          file,
          line: itemLine,
          field: `items[${i}]`,
        });
      }
      // Items of a typed list (`DeploymentList` from the API, `PodMetricsList` from metrics-server) omit
      // kind and apiVersion; they are the list's kind without `List` and the list's apiVersion.
      const object: Record<string, unknown> = { ...item };
      if (item.kind === undefined && kind !== 'List') {
        object.kind = kind.slice(0, -'List'.length);
        if (item.apiVersion === undefined && value.apiVersion !== undefined) object.apiVersion = value.apiVersion;
      }
      expand(object, itemNode, itemLine, ctx);
    });
    return;
  }
  ctx.objects.push({ object: value, file, line, locate: isMap(node) ? locator(node, ctx.lineAt) : undefined });
}

function locator(node: YAMLMap, lineAt: (offset: number) => number): FieldLocator {
  return (fieldPath) => {
    const found = node.getIn(fieldPath, true);
    return isNode(found) && found.range ? lineAt(found.range[0]) : undefined;
  };
}

/** A file to read, or where the walk met an unreadable directory or a dangling link (it goes on past it). */
/**
 * The files a read of `paths` reads (the same walk and order, each file once), and the paths that cannot be read;
 * stdin (`-`) is not a file and is refused. For `opsagent fix`, which rewrites them.
 */
export async function listManifestFiles(paths: string[]): Promise<{ files: string[]; errors: ManifestError[] }> {
  const files: string[] = [];
  const errors: ManifestError[] = [];
  const seenFiles = new Set<string>();
  const seenDirs = new Set<string>();
  for (const p of paths) {
    if (p === STDIN_PATH) {
      errors.push(new ManifestError('standard input (-) cannot be rewritten: name files or directories'));
      continue;
    }
    let entries: WalkEntry[];
    try {
      entries = await listFiles(p, seenDirs);
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      errors.push(err);
      continue;
    }
    for (const file of entries) {
      if (file instanceof ManifestError) errors.push(file);
      else if (!seenFiles.has(path.resolve(file))) {
        seenFiles.add(path.resolve(file));
        files.push(file);
      }
    }
  }
  return { files, errors };
}

type WalkEntry = string | ManifestError;

async function listFiles(p: string, seenDirs: Set<string>): Promise<WalkEntry[]> {
  let stat;
  try {
    stat = await fs.stat(p);
  } catch (err) {
    throw unreadable(p, err);
  }
  if (!stat.isDirectory()) return [p];
  const files: WalkEntry[] = [];
  await walk(p, files, seenDirs);
  return files;
}

async function walk(dir: string, files: WalkEntry[], seenDirs: Set<string>): Promise<void> {
  let entries;
  try {
    // realpath guards against symlink loops and against walking the same directory twice.
    const real = await fs.realpath(dir);
    if (seenDirs.has(real)) return;
    seenDirs.add(real);
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    files.push(unreadable(dir, err));
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    const wanted = hasManifestExtension(entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      try {
        const target = await fs.stat(full);
        isDir = target.isDirectory();
        isFile = target.isFile();
      } catch (err) {
        // A dangling link with a manifest name is a file the user expects to be read.
        if (wanted) files.push(unreadable(full, err));
        continue;
      }
    }
    if (isDir) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      await walk(full, files, seenDirs);
    } else if (isFile && wanted) {
      files.push(full);
    }
  }
}

function hasManifestExtension(name: string): boolean {
  const lower = name.toLowerCase();
  return MANIFEST_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

async function readText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    throw unreadable(file, err);
  }
}

async function readStdin(read: () => Promise<string>): Promise<string> {
  try {
    return await read();
  } catch (err) {
    throw unreadable(STDIN_FILE, err);
  }
}

async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const OS_REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
};

function unreadable(file: string, err: unknown): ManifestError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code && Object.hasOwn(OS_REASONS, code)
      ? `${OS_REASONS[code]} (${code})`
      : err instanceof Error
        ? err.message
        : String(err);
  return new ManifestError(`cannot read: ${reason}`, { file, cause: err });
}
