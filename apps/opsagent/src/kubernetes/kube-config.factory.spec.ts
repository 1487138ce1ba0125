import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RuntimeEnvironment } from '../config/environment';
import { loadKubeConfig } from './kube-config.factory';
import { KubeConfigError } from './kubernetes.errors';

const TOKEN = 'sha256~Zm9vYmFyLXNlY3JldC10b2tlbi1kby1ub3QtbG9n';
const KEY_DATA = 'LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2UUlCQURBTkJna3Foa2lHOXcwQkFRRUZBQVND';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsagent-kubeconfig-'));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function loadError(file: string): KubeConfigError {
  try {
    loadKubeConfig(new RuntimeEnvironment(false, file), undefined);
  } catch (error) {
    if (error instanceof KubeConfigError) return error;
    throw error;
  }
  throw new Error('loadKubeConfig did not fail');
}

/** A kubeconfig whose line 13 is indented wrongly, right below a bearer token and a client key. */
const MALFORMED = `apiVersion: v1
kind: Config
clusters:
  - name: prod
    cluster:
      server: https://203.0.113.10:6443
users:
  - name: admin
    user:
      token: ${TOKEN}
      client-key-data: ${KEY_DATA}
      client-certificate-data: ${KEY_DATA}
     bad: [unclosed
contexts:
  - name: prod
    context: { cluster: prod, user: admin }
current-context: prod
`;

describe('loadKubeConfig', () => {
  it('names the file, line and column of a YAML error and echoes none of the file', () => {
    const file = write('malformed', MALFORMED);
    const error = loadError(file);
    expect(error.message).toBe(
      `cannot read kubeconfig ${file}: invalid YAML at line 13, column 6: bad indentation of a mapping entry`,
    );
    expect(error).toMatchObject({ file, line: 13, column: 6 });
    for (const secret of [TOKEN, KEY_DATA.slice(0, 12), 'unclosed', 'client-key-data', 'admin']) {
      expect(error.message).not.toContain(secret);
    }
  });

  it('drops the value a YAML reason would quote (an alias name, a tag)', () => {
    const file = write('alias', `users:\n  - name: admin\n    user: { token: *${TOKEN.slice(0, 20)} }\n`);
    const error = loadError(file);
    expect(error.message).toBe(`cannot read kubeconfig ${file}: invalid YAML at line 3, column 21: unidentified alias`);
    expect(error.message).not.toContain(TOKEN.slice(0, 20));
  });

  it('says an empty or null kubeconfig is not a kubeconfig, and a scalar one has no cluster, without quoting it', () => {
    const empty = write('empty', '# nothing yet\n');
    expect(loadError(empty).message).toBe(
      `cannot read kubeconfig ${empty}: invalid YAML: expected a document, but the input is empty`,
    );
    const nothing = write('null', '~\n');
    expect(loadError(nothing).message).toBe(
      `cannot read kubeconfig ${nothing}: not a kubeconfig (expected a YAML mapping)`,
    );
    const scalar = write('scalar', `${TOKEN}\n`);
    expect(loadError(scalar).message).toBe(`kubeconfig ${scalar} has no current context/cluster`);
  });

  it('names the file when it cannot be read', () => {
    const file = path.join(dir, 'a-directory');
    fs.mkdirSync(file);
    expect(loadError(file).message).toBe(`cannot read kubeconfig ${file}: EISDIR (illegal operation on a directory)`);
  });
});
