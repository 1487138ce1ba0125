import { parseAllDocuments } from 'yaml';
import { fixManifestText, type WorkloadFixes } from './manifest-fix';

const MI = 1024 * 1024;
const CONTAINERS = ['spec', 'template', 'spec', 'containers'];

/** Runs the editor with fixes for `Deployment shop/web`. */
function sut(text: string, fixes: WorkloadFixes[]) {
  return fixManifestText(text, 'm.yaml', 'shop', (ns, kind, name) =>
    ns === 'shop' && kind === 'Deployment' && name === 'web' ? fixes : undefined,
  );
}

const deployment = (containers: string) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec:\n  template:\n    spec:\n      containers:\n${containers}`;

const cpu = (millicores: number): WorkloadFixes => ({
  listPath: CONTAINERS,
  container: 'app',
  changes: [{ requests: { cpu: millicores } }],
});

describe('fixManifestText', () => {
  it('inserts into an empty flow map, and replaces an empty `resources:`', () => {
    expect(sut(deployment('        - name: app\n          resources: {}\n'), [cpu(88)]).text).toBe(
      deployment('        - name: app\n          resources: { requests: { cpu: 88m } }\n'),
    );
    expect(sut(deployment('        - name: app\n          resources:\n'), [cpu(88)]).text).toBe(
      deployment('        - name: app\n          resources: { requests: { cpu: 88m } }\n'),
    );
    expect(sut(deployment('        - name: app\n          resources: ~ # none yet\n'), [cpu(88)]).text).toBe(
      deployment('        - name: app\n          resources: { requests: { cpu: 88m } } # none yet\n'),
    );
  });

  it('inserts lines with the file’s CRLF line ends, after a trailing comment', () => {
    const text = deployment(
      '        - name: app\r\n          resources:\r\n            requests:\r\n              memory: 1Gi # x\r\n',
    );
    expect(sut(text, [cpu(88)]).text).toBe(
      deployment(
        '        - name: app\r\n          resources:\r\n            requests:\r\n              memory: 1Gi # x\r\n              cpu: 88m\r\n',
      ),
    );
  });

  it('merges the findings of one container, the larger value winning, and raises a limit below a new request', () => {
    const text = deployment('        - name: app\n          resources:\n            limits: { memory: 256Mi }\n');
    const out = sut(text, [
      { listPath: CONTAINERS, container: 'app', changes: [{ requests: { memory: 300 * MI } }] },
      { listPath: CONTAINERS, container: 'app', changes: [{ requests: { memory: 400 * MI } }] },
    ]);
    expect(out.text).toBe(
      deployment(
        '        - name: app\n          resources:\n            limits: { memory: 400Mi }\n            requests:\n              memory: 400Mi\n',
      ),
    );
    expect(out.edits).toEqual([
      {
        file: 'm.yaml',
        line: 8,
        objectRef: 'Deployment shop/web',
        container: 'app',
        set: [
          { field: 'requests.memory', to: '400Mi' },
          { field: 'limits.memory', from: '256Mi', to: '400Mi' },
        ],
      },
    ]);
  });

  it('edits the objects of a List', () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n  - ${deployment(
      '        - name: app\n          resources: { requests: { cpu: "1" } }\n',
    )
      .split('\n')
      .join('\n    ')
      .trimEnd()}\n`;
    const out = sut(text, [cpu(88)]);
    expect(out.errors).toEqual([]);
    expect(out.text).toBe(text.replace('cpu: "1"', 'cpu: "88m"'));
  });

  it('names the field of a `resources` that is not a mapping, and of a container that is not there', () => {
    const text = deployment('        - name: app\n          resources: lots\n');
    const out = sut(text, [cpu(88)]);
    expect(out.text).toBe(text);
    expect(out.errors.map((e) => e.message)).toEqual([
      'm.yaml:9: Deployment shop/web: spec.template.spec.containers[0].resources: expected a mapping, found the string "lots"',
    ]);
    const missing = sut(deployment('        - name: other\n'), [cpu(88)]);
    expect(missing.errors.map((e) => e.message)).toEqual([
      'm.yaml:8: Deployment shop/web: spec.template.spec.containers: no container named "app"; not changed',
    ]);
  });

  it('leaves a file that does not parse as it is, naming it', () => {
    const text = deployment('        - name: app\n          resources: { requests: [\n');
    const out = sut(text, [cpu(88)]);
    expect(out.text).toBe(text);
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0].message).toMatch(/^m\.yaml:\d+: invalid YAML: .*; not changed$/);
  });

  it('writes what the YAML means: the result parses to the fixed values', () => {
    const text = deployment(
      '        - name: app\n          image: x\n        - name: side\n          resources: { limits: { cpu: 1 } }\n',
    );
    const out = sut(text, [cpu(88), { listPath: CONTAINERS, container: 'side', changes: [{ requests: { cpu: 20 } }] }]);
    const parsed = parseAllDocuments(out.text)[0].toJS() as {
      spec: { template: { spec: { containers: unknown[] } } };
    };
    expect(parsed.spec.template.spec.containers).toEqual([
      { name: 'app', image: 'x', resources: { requests: { cpu: '88m' } } },
      { name: 'side', resources: { limits: { cpu: 1 }, requests: { cpu: '20m' } } },
    ]);
  });
});
