#!/usr/bin/env node
/**
 * `npm run build`, after the CLI's bundle: bundles the dashboard (apps/dashboard: preact + htm + chart.js) with
 * esbuild into dist/apps/dashboard, which the agent serves at `GET /` (apps/opsagent/src/server/dashboard.ts):
 * - assets/app-<hash>.js and assets/app-<hash>.css, minified, named by their content (cached for a year);
 * - index.html, which loads them (no inline script or style: the page's Content-Security-Policy forbids them);
 * - assets/favicon.svg;
 * - manifest.json: the files and their gzipped sizes.
 * Prints the gzipped size of everything the page loads and fails when it is over the budget (issue 15: 250 KB).
 */
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const src = path.join(root, 'apps', 'dashboard', 'src');
const out = path.join(root, 'dist', 'apps', 'dashboard');
const assets = path.join(out, 'assets');
/** Everything the page loads, gzipped (issue 15 §1). */
const BUDGET_BYTES = 250 * 1000;

async function main() {
  fs.rmSync(out, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: { app: path.join(src, 'main.ts'), styles: path.join(src, 'styles.css') },
    outdir: assets,
    entryNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120', 'firefox120', 'safari16'],
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((f) => path.basename(f));
  const js = outputs.find((f) => f.endsWith('.js'));
  const css = outputs.find((f) => f.endsWith('.css'));
  if (!js || !css) throw new Error(`bundle-dashboard: expected one .js and one .css, got ${outputs.join(', ')}`);
  fs.copyFileSync(path.join(src, 'favicon.svg'), path.join(assets, 'favicon.svg'));
  const html = fs.readFileSync(path.join(src, 'index.html'), 'utf8').replace('{{js}}', js).replace('{{css}}', css);
  fs.writeFileSync(path.join(out, 'index.html'), html);

  const files = ['index.html', ...[js, css, 'favicon.svg'].map((f) => `assets/${f}`)];
  const sizes = Object.fromEntries(
    files.map((f) => {
      const bytes = fs.readFileSync(path.join(out, f));
      return [f, { bytes: bytes.length, gzipBytes: zlib.gzipSync(bytes, { level: 9 }).length }];
    }),
  );
  const gzipBytes = Object.values(sizes).reduce((n, s) => n + s.gzipBytes, 0);
  fs.writeFileSync(
    path.join(out, 'manifest.json'),
    JSON.stringify({ files: sizes, gzipBytes, budgetBytes: BUDGET_BYTES }, null, 2) + '\n',
  );
  console.log(
    `dashboard: ${files.length} files, ${(gzipBytes / 1000).toFixed(1)} KB gzipped (budget ${BUDGET_BYTES / 1000} KB): ` +
      files.map((f) => `${f} ${(sizes[f].gzipBytes / 1000).toFixed(1)} KB`).join(', '),
  );
  if (gzipBytes > BUDGET_BYTES) {
    throw new Error(`bundle-dashboard: the page loads ${gzipBytes} bytes gzipped, over the budget of ${BUDGET_BYTES}`);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
