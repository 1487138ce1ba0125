#!/usr/bin/env node
/**
 * `npm run build`, after `nest build`: bundles the CLI (dist/apps/opsagent/src/main.js and every module of ours it
 * reaches, plus yaml, commander and reflect-metadata) into dist/apps/opsagent/src/cli/opsagent.bundle.js, which cli/launch.js loads.
 *
 * Why: the offline `scan` and `--help` loaded about 120 modules, and Node resolves, reads and compiles each one
 * separately; one file starts markedly faster (README: Performance). The input is tsc's output, so the decorator
 * metadata NestJS needs is already compiled in (esbuild cannot emit it from TypeScript).
 *
 * What stays outside: every other package (NestJS, client-node, pino, class-validator…), required from node_modules
 * at run time only when a command reaches it, as from the unbundled dist/; and `serve` (server/serve-command.js),
 * which bin/opsagent runs from main.js, unbundled. Each of our own modules is inside once, so an error class the
 * cluster scan throws is the class the CLI's handler checks.
 */
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const src = path.join(root, 'dist', 'apps', 'opsagent', 'src');
const outfile = path.join(src, 'cli', 'opsagent.bundle.js');
/** The packages every CLI run loads: inside the bundle (reflect-metadata is main.js's first import, for NestJS). */
const BUNDLED_PACKAGES = new Set(['yaml', 'commander', 'reflect-metadata']);

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const externals = {
  name: 'opsagent-externals',
  setup(build) {
    // Bare specifiers: packages (node: builtins are external on platform node anyway).
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      BUNDLED_PACKAGES.has(packageName(args.path)) ? undefined : { path: args.path, external: true },
    );
    // `serve` is loaded from beside the bundle (both are in cli/'s parent), unbundled.
    build.onResolve({ filter: /\/server\/serve-command\.js$/ }, (args) => ({ path: args.path, external: true }));
  },
};

async function main() {
  const result = await esbuild.build({
    entryPoints: [path.join(src, 'main.js')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    // Not minified: the stack of an internal error stays readable, and minifying saved no start-up time.
    minify: false,
    logLevel: 'warning',
    metafile: true,
    plugins: [externals],
  });
  const inputs = Object.keys(result.metafile.inputs);
  const own = inputs.filter((f) => !f.includes('node_modules/'));
  const server = own.filter((f) => f.includes('/src/server/'));
  if (server.length > 0) throw new Error(`bundle-cli: serve's modules got into the CLI bundle: ${server.join(', ')}`);
  if (!own.some((f) => f.endsWith('cli/program.js')))
    throw new Error('bundle-cli: cli/program.js is not in the bundle');
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
