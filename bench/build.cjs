#!/usr/bin/env node
/**
 * Builds what `npm run bench` runs: the agent (`npm run build`) when dist/ has no build of it, then the
 * bench's TypeScript, compiled file by file with @swc/core into dist/bench/.
 *
 * Why this way: the bench measures the agent exactly as it ships (the `nest build` output in dist/), and its
 * child processes must not load a TypeScript compiler (it would add tens of MB to the RSS being measured).
 * Compiled into dist/bench/, the bench's relative imports (`../apps/opsagent/src/...`, `../tools/...`)
 * resolve to the agent's built modules, while the sources keep full types (checked by `npm run typecheck`
 * through test/bench.smoke.spec.ts and by `tsc -p bench/tsconfig.json`). swc compiles the few bench files in
 * well under a second; tsconfig is left alone.
 */
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const swc = require('@swc/core');

const root = path.join(__dirname, '..');
const agentMain = path.join(root, 'dist', 'apps', 'opsagent', 'src', 'main.js');
const outDir = path.join(root, 'dist', 'bench');

function sources(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? e.name === 'results'
          ? []
          : sources(path.join(dir, e.name))
        : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')
          ? [path.join(dir, e.name)]
          : [],
    );
}

function build() {
  if (!fs.existsSync(agentMain)) {
    process.stderr.write('bench: dist/ has no agent build, running npm run build\n');
    execSync('npm run --silent build', { cwd: root, stdio: ['ignore', 2, 2] });
  }
  for (const file of sources(__dirname)) {
    const rel = path.relative(__dirname, file).replace(/\.ts$/, '.js');
    const out = path.join(outDir, rel);
    const { code } = swc.transformFileSync(file, {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
      sourceMaps: 'inline',
    });
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, code);
  }
}

build();
