import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ManifestError, ManifestErrors } from './errors';
import { parseManifestText, readManifestSources, STDIN_FILE } from './manifest-reader';

const FIXTURES = path.join(__dirname, '../../../../test/fixtures/manifests');
const fixture = (name: string): string => path.join(FIXTURES, name);

const summary = (objects: { object: Record<string, unknown>; file: string; line: number }[]) =>
  objects.map((o) => ({
    kind: o.object.kind,
    name: (o.object.metadata as { name?: string } | undefined)?.name,
    file: path.relative(FIXTURES, o.file),
    line: o.line,
  }));

async function captureError(promise: Promise<unknown>): Promise<ManifestError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ManifestError);
    return err as ManifestError;
  }
  throw new Error('expected a ManifestError');
}

describe('readManifestSources', () => {
  it('reads every document of a multi-document YAML file with its first line, ignoring empty ones', async () => {
    const objects = await readManifestSources([fixture('multi-doc.yaml')]);

    expect(summary(objects)).toEqual([
      { kind: 'Deployment', name: 'web', file: 'multi-doc.yaml', line: 2 },
      { kind: 'Service', name: 'web', file: 'multi-doc.yaml', line: 26 },
      { kind: 'ConfigMap', name: 'web-config', file: 'multi-doc.yaml', line: 37 },
    ]);
  });

  it('expands a kind: List into its items, each with the line it starts on', async () => {
    const objects = await readManifestSources([fixture('list.yaml')]);

    expect(summary(objects)).toEqual([
      { kind: 'StatefulSet', name: 'db', file: 'list.yaml', line: 4 },
      { kind: 'ConfigMap', name: 'db-config', file: 'list.yaml', line: 21 },
    ]);
  });

  it('reads a JSON file', async () => {
    const [deployment, ...rest] = await readManifestSources([fixture('deployment.json')]);

    expect(rest).toEqual([]);
    expect(deployment.line).toBe(1);
    expect(deployment.object).toMatchObject({
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'shop' },
      spec: { template: { spec: { containers: [{ resources: { limits: { cpu: '1', memory: '256Mi' } } }] } } },
    });
  });

  it('gives typed-list items the kind and apiVersion the API leaves out', () => {
    const objects = parseManifestText(
      JSON.stringify({ apiVersion: 'apps/v1', kind: 'DeploymentList', items: [{ metadata: { name: 'a' } }] }),
      'list.json',
    );

    expect(objects.map((o) => o.object)).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a' } },
    ]);
  });

  it('locates the line of a field inside an object', async () => {
    const [deployment] = await readManifestSources([fixture('bad-quantity.yaml')]);

    expect(deployment.locate?.(['spec', 'template', 'spec', 'containers', 0, 'resources', 'limits', 'cpu'])).toBe(20);
    expect(deployment.locate?.(['spec', 'nothing', 'here'])).toBeUndefined();
  });

  it('reads standard input for "-" once, under the name <stdin>', async () => {
    const stdin = jest.fn(async () => 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: piped\n');

    const objects = await readManifestSources(['-', fixture('deployment.json'), '-'], { stdin });

    expect(stdin).toHaveBeenCalledTimes(1);
    expect(objects.map((o) => [o.file, o.line, o.object.kind])).toEqual([
      ['<stdin>', 1, 'ConfigMap'],
      [fixture('deployment.json'), 1, 'Deployment'],
    ]);
  });

  it('reports a failure to read standard input', async () => {
    const error = await captureError(
      readManifestSources(['-'], {
        stdin: async () => {
          throw new Error('stream closed');
        },
      }),
    );

    expect(error.file).toBe('<stdin>');
    expect(error.message).toBe('<stdin>: cannot read: stream closed');
  });

  describe('directories', () => {
    let root: string;

    beforeAll(async () => {
      root = await mkdtemp(path.join(tmpdir(), 'opsagent-manifests-'));
      const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
      await mkdir(path.join(root, 'apps/b'), { recursive: true });
      await mkdir(path.join(root, 'apps/a'), { recursive: true });
      await mkdir(path.join(root, '.git'), { recursive: true });
      await mkdir(path.join(root, 'node_modules/pkg'), { recursive: true });
      await writeFile(path.join(root, 'z.yaml'), cm('z'));
      await writeFile(path.join(root, 'apps/b/one.yml'), cm('b-one'));
      await writeFile(
        path.join(root, 'apps/a/two.JSON'),
        JSON.stringify({ kind: 'ConfigMap', metadata: { name: 'a-two' } }),
      );
      await writeFile(path.join(root, 'apps/a/one.yaml'), cm('a-one'));
      await writeFile(path.join(root, 'apps/README.md'), '# not a manifest\n');
      await writeFile(path.join(root, 'apps/kustomize.txt'), 'kind: [');
      await writeFile(path.join(root, '.git/config.yaml'), cm('hidden'));
      await writeFile(path.join(root, 'node_modules/pkg/chart.yaml'), cm('dependency'));
      await writeFile(path.join(root, '.hidden-file.yaml'), cm('dot-file'));
      await symlink(path.join(root, 'apps'), path.join(root, 'apps/a/loop'));
    });

    afterAll(async () => {
      await rm(root, { recursive: true, force: true });
    });

    it('walks recursively in sorted order, reading only .yaml/.yml/.json and skipping dot-dirs and node_modules', async () => {
      const objects = await readManifestSources([root]);

      expect(objects.map((o) => [path.relative(root, o.file), (o.object.metadata as { name: string }).name])).toEqual([
        ['.hidden-file.yaml', 'dot-file'],
        ['apps/a/one.yaml', 'a-one'],
        ['apps/a/two.JSON', 'a-two'],
        ['apps/b/one.yml', 'b-one'],
        ['z.yaml', 'z'],
      ]);
    });

    it('reads a file given explicitly whatever its extension, and each file once', async () => {
      const objects = await readManifestSources([path.join(root, 'apps/b/one.yml'), root]);

      expect(objects.map((o) => path.relative(root, o.file))).toEqual([
        'apps/b/one.yml',
        '.hidden-file.yaml',
        'apps/a/one.yaml',
        'apps/a/two.JSON',
        'z.yaml',
      ]);

      const error = await captureError(readManifestSources([path.join(root, 'apps/kustomize.txt')]));
      expect(error.file).toBe(path.join(root, 'apps/kustomize.txt'));
      expect(error.message).toMatch(/kustomize\.txt:1: invalid YAML: /);
    });
  });

  describe('input errors', () => {
    it('names a path that does not exist and the OS reason', async () => {
      const missing = fixture('does-not-exist.yaml');

      const error = await captureError(readManifestSources([missing]));

      expect(error.file).toBe(missing);
      expect(error.line).toBeUndefined();
      expect(error.message).toBe(`${missing}: cannot read: no such file or directory (ENOENT)`);
    });

    it('names the file and line of broken YAML', async () => {
      const error = await captureError(readManifestSources([fixture('broken.yaml')]));

      expect(error.file).toBe(fixture('broken.yaml'));
      expect(error.line).toBe(5);
      expect(error.message).toMatch(/broken\.yaml:5: invalid YAML: .+ \(column \d+\)$/);
    });

    it('names the line of a mis-indented key', async () => {
      const error = await captureError(readManifestSources([fixture('broken-indent.yaml')]));

      expect(error.line).toBe(5);
      expect(error.message).toContain('broken-indent.yaml:5: invalid YAML');
    });

    it("names the file and line of invalid JSON, in JSON.parse's words", () => {
      expect(() => parseManifestText('{\n  "kind": "ConfigMap",\n  "metadata": {"name": "x"\n}\n', 'x.json')).toThrow(
        /^x\.json:5: invalid JSON: Expected ',' or '}' after property value \(column 1\)$/,
      );
    });

    it('rejects a trailing comma in a .json file, which the YAML parser would accept', () => {
      expect(() => parseManifestText('{"kind": "ConfigMap",\n "metadata": {"name": "x"},\n}\n', 'x.json')).toThrow(
        /^x\.json:3: invalid JSON: Expected double-quoted property name \(column 1\)$/,
      );
    });

    it("gives stdin that looks like JSON JSON's message, and the end of the input when it is cut short", () => {
      expect(() => parseManifestText('{"kind": "Pod" "metadata": {}}', STDIN_FILE)).toThrow(
        /^<stdin>:1: invalid JSON: Expected ',' or '}' after property value \(column 16\)$/,
      );
      expect(() => parseManifestText('{"kind": "Pod",\n "metadata": ', STDIN_FILE)).toThrow(
        /^<stdin>:2: invalid JSON: Unexpected end of JSON input$/,
      );
    });

    it('takes stdin that starts with { for JSON, as kubectl does, and other stdin for YAML', () => {
      expect(() => parseManifestText('{kind: ConfigMap, metadata: {name: x}}\n', STDIN_FILE)).toThrow(
        /^<stdin>:1: invalid JSON: Expected property name or '}' \(column 2\)$/,
      );
      const [obj] = parseManifestText('kind: ConfigMap\nmetadata: {name: x}\n', STDIN_FILE);
      expect(obj.object).toEqual({ kind: 'ConfigMap', metadata: { name: 'x' } });
    });

    it('keeps the YAML wording for YAML on stdin', () => {
      expect(() => parseManifestText('kind: Pod\nmetadata: { name: x\n', STDIN_FILE)).toThrow(
        /^<stdin>:\d+: invalid YAML/,
      );
    });

    it('rejects a document that is a scalar, naming file and line', async () => {
      const error = await captureError(readManifestSources([fixture('scalar-doc.yaml')]));

      expect(error.line).toBe(6);
      expect(error.message).toBe(
        `${fixture('scalar-doc.yaml')}:6: expected a Kubernetes object (a mapping), found string "just a string"`,
      );
    });

    it('rejects a document that is a sequence', async () => {
      const error = await captureError(readManifestSources([fixture('sequence-doc.yaml')]));

      expect(error.message).toBe(
        `${fixture('sequence-doc.yaml')}:1: expected a Kubernetes object (a mapping), found a list`,
      );
    });

    it('rejects an object without a kind, naming file and line', async () => {
      const error = await captureError(readManifestSources([fixture('no-kind.yaml')]));

      expect(error.line).toBe(7);
      expect(error.message).toBe(`${fixture('no-kind.yaml')}:7: kind: object has no kind`);
    });

    it('rejects a List item that is not an object', () => {
      expect(() => parseManifestText('kind: List\nitems:\n  - 42\n', 'l.yaml')).toThrow(
        'l.yaml:3: items[0]: expected a Kubernetes object (a mapping), found number 42',
      );
    });

    it('stops an alias bomb with a clean error', async () => {
      const error = await captureError(readManifestSources([fixture('alias-bomb.yaml')]));

      expect(error.line).toBe(1);
      expect(error.message).toMatch(/alias-bomb\.yaml:1: invalid YAML: .*alias/i);
    });

    it('rejects an alias to an unknown anchor', () => {
      expect(() => parseManifestText('kind: ConfigMap\ndata: *nope\n', 'a.yaml')).toThrow(/^a\.yaml:1: invalid YAML: /);
    });
  });

  it('supports merge keys, as kubectl does', () => {
    const [obj] = parseManifestText(
      'kind: ConfigMap\nx-defaults: &d {a: "1"}\ndata:\n  <<: *d\n  b: "2"\n',
      'merge.yaml',
    );

    expect(obj.object.data).toEqual({ a: '1', b: '2' });
  });
});

describe('a directory with several bad files', () => {
  it('reports every bad file (and dangling link) in one error, in walk order, and returns nothing', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'opsagent-bad-'));
    try {
      await writeFile(path.join(root, 'a-broken.yaml'), 'kind: Pod\nmetadata: { name: x\n');
      await writeFile(path.join(root, 'b-good.yaml'), 'kind: ConfigMap\nmetadata: { name: ok }\n');
      await writeFile(path.join(root, 'c-broken.json'), '{"kind": "Pod",}');
      await symlink(path.join(root, 'missing.yaml'), path.join(root, 'd-dangling.yaml'));
      const error = await captureError(readManifestSources([root]));

      expect(error).toBeInstanceOf(ManifestErrors);
      const { errors } = error as ManifestErrors;
      expect(errors.map((e) => path.basename(e.file ?? ''))).toEqual([
        'a-broken.yaml',
        'c-broken.json',
        'd-dangling.yaml',
      ]);
      expect(error.message.split('\n')).toEqual(errors.map((e) => e.message));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
