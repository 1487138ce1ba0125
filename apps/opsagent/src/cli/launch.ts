#!/usr/bin/env node
/**
 * What bin/opsagent runs for every command but `serve`: it enables Node's compile cache (compile-cache.ts), then
 * loads the CLI as one file. opsagent.bundle.js is main.js with the modules it reaches, yaml and commander included,
 * bundled by scripts/bundle-cli.cjs at `npm run build`; the other packages stay outside it and load only when a
 * command needs them (client-node for the cluster scan, class-validator for --config). One file instead of
 * about 120 is most of the start-up saved: Node resolves and reads each module it loads separately.
 */
import { enableCompileCache } from './compile-cache';

// Before the bundle is loaded, so that its compiled code is what the cache keeps.
enableCompileCache();
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('./opsagent.bundle.js');
