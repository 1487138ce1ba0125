/**
 * The Dockerfile, without a Docker engine: linted with dockerfile-utils (the validator behind VS Code's Docker
 * support), its structure checked against what the issue asks, the files of the final stage checked to hold
 * everything the entry point loads (with production dependencies only), and its exact start command (ENTRYPOINT +
 * CMD, with the image's ENV, WORKDIR, HOME and USER) run against the Kubernetes API simulator.
 */
import { builtinModules } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { validate, ValidationSeverity, type ValidatorSettings } from 'dockerfile-utils';
import { stringify } from 'yaml';
import { defaultConfig } from '@opsagent/core/config/config.loader';
import { startSimulator, type Simulator } from '../../tools/k8s-simulator/simulator';
import { freePorts, IMAGE_APP_DIR, startContainer, waitForStatus, writeKubeconfig } from './container';
import { readDockerfile, userIds, type Stage } from './dockerfile';
import { ROOT } from './helm';

const { text, image } = readDockerfile();
const packageJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  description: string;
  license: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
/** The built service the image runs, through its entry point bin/opsagent. */
const IMAGE_MAIN = `${IMAGE_APP_DIR}/dist/apps/opsagent/src/main.js`;

const runs = (stage: Stage) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
const copies = (stage: Stage) => stage.instructions.filter((i) => i.keyword === 'COPY');

describe('Dockerfile lint (dockerfile-utils)', () => {
  it('reports no problem, with every optional check raised to an error', () => {
    const everything: ValidatorSettings = {
      deprecatedMaintainer: ValidationSeverity.ERROR,
      directiveCasing: ValidationSeverity.ERROR,
      emptyContinuationLine: ValidationSeverity.ERROR,
      instructionCasing: ValidationSeverity.ERROR,
      instructionCmdMultiple: ValidationSeverity.ERROR,
      instructionEntrypointMultiple: ValidationSeverity.ERROR,
      instructionHealthcheckMultiple: ValidationSeverity.ERROR,
      instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
      instructionWorkdirRelative: ValidationSeverity.ERROR,
    };
    const problems = validate(text, everything).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(problems).toEqual([]);
  });
});

describe('Dockerfile structure', () => {
  const [build, ...rest] = image.stages;
  const final = rest[rest.length - 1];

  it('builds in stages from one pinned Node 24 LTS slim image: the Node the project runs on (its node devDependency)', () => {
    expect(image.stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of image.stages) expect(stage.image).toMatch(/^node:24\.\d+\.\d+-bookworm-slim$/);
    expect(image.stages[0].image).toBe(`node:${packageJson.devDependencies.node}-bookworm-slim`);
    expect(new Set(image.stages.map((s) => s.image)).size).toBe(1);
    expect(image.stages.flatMap((s) => s.instructions).map((i) => i.keyword)).not.toContain('ADD');
  });

  it('installs every dependency with npm ci, then builds, in the first stage', () => {
    const commands = runs(build);
    expect(commands[0]).toMatch(/^npm ci\b/);
    expect(commands).toContain('npm run build');
  });

  it('puts only production dependencies, and only the build output, in the final stage', () => {
    const byStage = new Map(image.stages.map((s) => [s.name, s]));
    const copied = copies(final);
    for (const copy of copied.filter((c) => c.flags.from)) expect(byStage.has(copy.flags.from)).toBe(true);
    const modules = copied.find((c) => c.args.includes('node_modules'));
    expect(modules?.flags.from).toBeDefined();
    expect(runs(byStage.get(modules!.flags.from)!).join(' ')).toMatch(/npm ci --omit=dev\b/);
    expect(runs(final).join(' ')).not.toMatch(/npm (ci|install)/);
  });

  it("runs as the user opsagent, UID/GID 1000, created in place of the base image's node user", () => {
    // Numeric, so that the kubelet can check runAsNonRoot without a runAsUser; /etc/passwd names it opsagent.
    expect(userIds(image.user)).toEqual({ uid: 1000, gid: 1000 });
    const setup = runs(final).join(' && ');
    expect(setup).toMatch(/\buserdel --remove node\b/);
    expect(setup).toMatch(/\bgroupadd --gid 1000 opsagent\b/);
    expect(setup).toMatch(/\buseradd --uid 1000 --gid opsagent\b[^&]* --home-dir \/app\b[^&]* opsagent\b/);
    expect(setup).toMatch(/\bchown opsagent:opsagent \/app\/\.cache\b/);
  });

  it('carries the OCI labels; version and revision come from build args', () => {
    expect(image.labels).toEqual({
      'org.opencontainers.image.title': 'opsagent',
      'org.opencontainers.image.description': packageJson.description,
      'org.opencontainers.image.version': '${VERSION}',
      'org.opencontainers.image.revision': '${REVISION}',
      'org.opencontainers.image.source': '${SOURCE}',
      'org.opencontainers.image.licenses': packageJson.license,
    });
    expect(image.args.VERSION).toBe(packageJson.version);
    expect(image.args).toHaveProperty('REVISION');
    expect(image.args).toHaveProperty('SOURCE');
  });

  it('runs in /app, with HOME there (its .cache is the chart emptyDir)', () => {
    expect(image.workdir).toBe(IMAGE_APP_DIR);
    expect(image.env.HOME).toBe(IMAGE_APP_DIR);
  });

  it('exposes the default API and metrics ports of the config', () => {
    const config = defaultConfig();
    expect(image.expose).toEqual([String(config.server.port), String(config.metrics.port)]);
  });

  it('starts in exec form: bin/opsagent (node with the heap flags) on the built service, serve --config …', () => {
    expect(image.entrypoint).toEqual([`${IMAGE_APP_DIR}/bin/opsagent`]);
    expect(image.cmd).toEqual(['serve', '--config', '/app/config/config.yaml']);
    const launcher = fs.readFileSync(path.join(ROOT, 'bin/opsagent'), 'utf8');
    expect(launcher).toContain(`main="$root/${path.relative(IMAGE_APP_DIR, IMAGE_MAIN)}"`);
    const copied = copies(final).map((c) => c.args);
    expect(copied).toContain(`bin/opsagent ${IMAGE_APP_DIR}/bin/opsagent`);
  });
});

describe('.dockerignore', () => {
  const lines = fs
    .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('is an allow-list that lets in exactly what the Dockerfile copies from the build context', () => {
    expect(lines[0]).toBe('*');
    const allowed = lines.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
    const fromContext = image.stages
      .flatMap(copies)
      .filter((c) => !c.flags.from)
      .flatMap((c) => c.args.split(/\s+/).slice(0, -1));
    expect([...new Set(fromContext)].sort()).toEqual([...allowed].sort());
    expect(lines).toContain('**/*.spec.ts');
  });
});

describe('the final image', () => {
  /** Where the final stage's files come from in this checkout: `COPY --from=build /app/dist/apps` → dist/apps. */
  const shipped = copies(image.stages[image.stages.length - 1])
    .filter((c) => c.flags.from && !c.args.includes('node_modules'))
    .map((c) => path.join(ROOT, path.relative(IMAGE_APP_DIR, c.args.split(/\s+/)[0])));

  it('holds every file the entry point loads, and needs no package outside "dependencies"', () => {
    const entry = path.join(ROOT, path.relative(IMAGE_APP_DIR, IMAGE_MAIN));
    const { files, packages } = requireClosure(entry);
    expect(files.length).toBeGreaterThan(20);
    const outside = files.filter((file) => !shipped.some((dir) => file.startsWith(`${dir}/`)));
    expect(outside).toEqual([]);
    const notProduction = packages.filter((p) => !(p in packageJson.dependencies));
    expect(notProduction).toEqual([]);
  });

  it('holds the dashboard the agent serves at GET / (built by npm run build)', () => {
    const page = path.join(ROOT, 'dist', 'apps', 'dashboard', 'index.html');
    expect(fs.existsSync(page)).toBe(true);
    expect(shipped.some((dir) => page.startsWith(`${dir}/`))).toBe(true);
  });

  it('holds the CLI that bin/opsagent runs for every command but serve: its launcher and bundle', () => {
    const launcher = fs.readFileSync(path.join(ROOT, 'bin/opsagent'), 'utf8');
    const cli = /^cli="\$root\/(.+)"$/m.exec(launcher)?.[1];
    expect(cli).toBe('dist/apps/opsagent/src/cli/launch.js');
    const { files, packages } = requireClosure(path.join(ROOT, cli!));
    expect(files.map((f) => path.basename(f))).toEqual(
      expect.arrayContaining(['launch.js', 'compile-cache.js', 'opsagent.bundle.js']),
    );
    expect(files.filter((file) => !shipped.some((dir) => file.startsWith(`${dir}/`)))).toEqual([]);
    expect(packages).toContain('@kubernetes/client-node'); // the cluster scan, outside the bundle
    expect(packages.filter((p) => !(p in packageJson.dependencies))).toEqual([]);
  });
});

describe("the image's start command", () => {
  let simulator: Simulator;
  let kubeconfig: ReturnType<typeof writeKubeconfig>;

  beforeAll(async () => {
    simulator = await startSimulator({ token: 'image-token' });
    kubeconfig = writeKubeconfig(simulator);
  });

  afterAll(async () => {
    kubeconfig?.remove();
    await simulator?.close();
  });

  it('serves and stops cleanly: ENTRYPOINT + CMD, as `docker run --read-only --tmpfs /tmp -v config.yaml:…` would', async () => {
    const [apiPort, metricsPort] = await freePorts(2);
    const container = startContainer({
      argv: [...image.entrypoint, ...image.cmd],
      env: image.env,
      workingDir: image.workdir,
      user: userIds(image.user),
      files: { '/app/config/config.yaml': stringify({ server: { port: apiPort }, metrics: { port: metricsPort } }) },
      writableDirs: ['/tmp'],
      hostEnv: { KUBECONFIG: kubeconfig.file },
    });
    try {
      expect((await waitForStatus(`http://127.0.0.1:${apiPort}/health`, 200)).status).toBe(200);
      expect((await waitForStatus(`http://127.0.0.1:${apiPort}/health/ready`, 200)).status).toBe(200);
      expect((await waitForStatus(`http://127.0.0.1:${metricsPort}/metrics`, 200)).status).toBe(200);
      expect(await container.stop('SIGTERM')).toBe(0);
    } finally {
      container.cleanUp();
    }
  });
});

/** Files reached from `entry` through relative `require`s, and the packages required on the way. */
function requireClosure(entry: string): { files: string[]; packages: string[] } {
  const builtins = new Set(builtinModules);
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const [, , specifier] of fs.readFileSync(file, 'utf8').matchAll(/\brequire\((["'])([^"']+)\1\)/g)) {
      if (specifier.startsWith('.')) {
        pending.push(resolveRelative(path.resolve(path.dirname(file), specifier)));
      } else if (!specifier.startsWith('node:') && !builtins.has(specifier)) {
        const parts = specifier.split('/');
        packages.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
      }
    }
  }
  return { files: [...files], packages: [...packages].sort() };
}

function resolveRelative(base: string): string {
  const candidate = [base, `${base}.js`, path.join(base, 'index.js')].find(
    (p) => fs.existsSync(p) && fs.statSync(p).isFile(),
  );
  if (!candidate) throw new Error(`cannot resolve ${base}`);
  return candidate;
}
