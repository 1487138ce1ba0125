import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '@opsagent/core/config/config.errors';
import { ManifestError, ManifestErrors } from '@opsagent/core/manifests/errors';
import { SEVERITIES, type Severity } from '@opsagent/core/severity';
import { isDns1123Label, OpsAgentConfig } from '@opsagent/core/config/config.schema';
// Plain error classes, no client: the offline scan must not load NestJS or client-node (about 1 s of start-up),
// so `serve` and the cluster scan import them inside their actions; the manifest scan (and with it the YAML parser
// and the config loader) is imported in its action too, so that `--help` loads only what it prints.
import { ClusterReadError, KubeConfigError } from '../kubernetes/kubernetes.errors';
import { OUTPUT_FORMATS, type OutputFormat } from './output-format';
import { escapeControls } from './terminal-text';

/** Exit codes: 0 done, 1 findings at or above --fail-on, 2 usage or input error. */
export const EXIT_USAGE = 2;

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  /** Resolves with the signal's name when the process is asked to stop (SIGTERM, SIGINT). */
  waitForShutdown: () => Promise<string>;
}

export function packageVersion(): string {
  // Walk up from this file: the depth differs between the sources and dist/.
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'opsagent' && pkg.version) return pkg.version;
    }
  }
  return '0.0.0';
}

interface ScanFlags {
  output: OutputFormat;
  config?: string;
  failOn: Severity | 'none';
  namespace: string;
  showFix?: boolean;
}

interface FixFlags {
  dryRun?: boolean;
  from?: string;
  token?: string;
  tokenFile?: string;
  config?: string;
  failOn: Severity | 'none';
  namespace: string;
}

/** Parses argv and runs the command; resolves to the process exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  let exitCode = 0;
  const version = packageVersion();
  const program = new Command()
    .name('opsagent')
    .description('Kubernetes resource auditor: missing requests/limits and over-provisioned containers')
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  program
    .command('scan')
    .description('audit Kubernetes manifest files (PodMetrics objects among them are usage samples)')
    .argument(
      '[paths...]',
      'files or directories (recursive: .yaml, .yml, .json); - reads stdin; none: the cluster of the kubeconfig',
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .option('-c, --config <file>', 'YAML config file (see README: Configuration)')
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity')
        .choices([...SEVERITIES, 'none'])
        .default('none'),
    )
    .option('-n, --namespace <ns>', 'namespace for objects without metadata.namespace', 'default')
    .option('--show-fix', "table output: under each finding with a fix, its 'kubectl patch' command")
    .action(async (paths: string[], flags: ScanFlags) => {
      if (!isDns1123Label(flags.namespace)) {
        throw new CommanderError(
          EXIT_USAGE,
          'opsagent.badNamespace',
          `error: --namespace ${JSON.stringify(flags.namespace)} is not a namespace name`,
        );
      }
      // The defaults are the schema's initializers (what defaultConfig() returns), taken without the loader.
      let config = new OpsAgentConfig();
      let outcome;
      const { sarifForInputError, scanManifests } = await import('./scan.command.js');
      try {
        if (flags.config) {
          // A relative path: nest build rewrites the `@opsagent/core` alias in import declarations only.
          const { loadConfigFile } = await import('../../../../libs/core/src/config/config.loader.js');
          config = loadConfigFile(flags.config);
        }
        const scan = paths.length === 0 ? (await import('./scan-cluster.js')).scanCluster : scanManifests;
        outcome = await scan({
          paths,
          output: flags.output,
          config,
          failOn: flags.failOn,
          namespace: flags.namespace,
          version,
          readStdin: io.readStdin,
          showFix: flags.showFix === true,
        });
      } catch (err) {
        // A CI upload step needs a SARIF file even when the input is bad: a log with executionSuccessful false and
        // the errors as notifications. The error still goes to stderr and the exit code stays 2 (below).
        const sarif = flags.output === 'sarif' ? sarifForInputError(err, config, version) : undefined;
        if (sarif !== undefined) io.stdout(escapeControls(sarif));
        throw err;
      }
      if (flags.output === 'table') {
        for (const w of outcome.report.warnings) io.stderr(`warning: ${escapeControls(w.message)}\n`);
      }
      io.stdout(escapeControls(outcome.output));
      exitCode = outcome.exitCode;
    });

  program
    .command('fix')
    .description(
      'rewrite the resources of manifest files with the recommendations (GitOps); comments and formatting are kept',
    )
    .argument(
      '<paths...>',
      'files or directories (recursive: .yaml, .yml, .json); only YAML files with a fix are written',
    )
    .option('--dry-run', 'print a unified diff of the changes instead of writing them')
    .option('--from <url>', 'take the findings from a running agent (its REST API), e.g. http://opsagent.ops-system')
    .option('--token <token>', 'bearer token for --from, when the agent has server.auth.mode kubernetes')
    .option('--token-file <file>', 'file holding the bearer token for --from (read once)')
    .option('-c, --config <file>', 'YAML config file, as for scan (not with --from: the agent has its own)')
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity (as scan)')
        .choices([...SEVERITIES, 'none'])
        .default('none'),
    )
    .option('-n, --namespace <ns>', 'namespace for objects without metadata.namespace', 'default')
    .action(async (paths: string[], flags: FixFlags) => {
      const usage = (message: string) => new CommanderError(EXIT_USAGE, 'opsagent.badFixFlags', `error: ${message}`);
      if (!isDns1123Label(flags.namespace)) {
        throw usage(`--namespace ${JSON.stringify(flags.namespace)} is not a namespace name`);
      }
      if (flags.token !== undefined && flags.tokenFile !== undefined)
        throw usage('--token and --token-file exclude each other');
      if ((flags.token !== undefined || flags.tokenFile !== undefined) && flags.from === undefined) {
        throw usage('--token and --token-file go with --from');
      }
      if (flags.from !== undefined && flags.config !== undefined) throw usage('--config does not go with --from');
      if (flags.from !== undefined && !/^https?:\/\/[^/]/.test(flags.from)) {
        throw usage(`--from ${JSON.stringify(flags.from)} is not an http:// or https:// URL`);
      }
      let token = flags.token;
      if (flags.tokenFile !== undefined) {
        try {
          token = fs.readFileSync(flags.tokenFile, 'utf8').trim();
        } catch (err) {
          throw usage(`--token-file ${flags.tokenFile}: ${(err as Error).message}`);
        }
      }
      let config = new OpsAgentConfig();
      if (flags.config) {
        const { loadConfigFile } = await import('../../../../libs/core/src/config/config.loader.js');
        config = loadConfigFile(flags.config);
      }
      const { fixManifests } = await import('./fix.command.js');
      const { AgentRequestError } = await import('./agent-issues.client.js');
      let outcome;
      try {
        outcome = await fixManifests({
          paths,
          config,
          namespace: flags.namespace,
          failOn: flags.failOn,
          dryRun: flags.dryRun === true,
          ...(flags.from !== undefined ? { from: flags.from } : {}),
          ...(token !== undefined ? { token } : {}),
        });
      } catch (err) {
        if (err instanceof AgentRequestError) {
          io.stderr(`opsagent: error: ${escapeControls(err.message)}\n`);
          exitCode = EXIT_USAGE;
          return;
        }
        throw err;
      }
      io.stdout(escapeControls(outcome.stdout));
      for (const e of outcome.errors) io.stderr(`opsagent: error: ${escapeControls(e)}\n`);
      exitCode = outcome.exitCode;
    });

  program
    .command('serve')
    .description('run the in-cluster service: scheduled scans, REST API, Prometheus metrics')
    .option('-c, --config <file>', 'YAML config file (see README: Configuration)')
    .action(async (flags: { config?: string }) => {
      const { serve } = await import('../server/serve-command.js');
      // Reports its own errors: every line it writes on stderr is JSON.
      exitCode = await serve(flags.config, io, version);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      // `commander.help` is also how Commander reports a missing or unknown command (help on stderr, exitCode 1):
      // that is a usage error, while `opsagent help` (exitCode 0) is not.
      if (err.code === 'commander.help') return err.exitCode === 0 ? 0 : EXIT_USAGE;
      // Commander already printed its own parse errors; print only ours.
      if (err.code.startsWith('opsagent.')) io.stderr(`opsagent: ${err.message}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof ManifestErrors) {
      // Every bad file of the run, one a line.
      for (const e of err.errors) io.stderr(`opsagent: error: ${escapeControls(e.message)}\n`);
      return EXIT_USAGE;
    }
    if (
      err instanceof ConfigError ||
      err instanceof ManifestError ||
      err instanceof KubeConfigError ||
      err instanceof ClusterReadError
    ) {
      io.stderr(`opsagent: error: ${escapeControls(err.message)}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}
