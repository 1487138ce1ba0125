import { ConfigError } from '@opsagent/core/config/config.errors';
import { defaultConfig, INLINE_SOURCE, loadConfigFile } from '@opsagent/core/config/config.loader';
import type { Io } from '../cli/program';
import { jsonLineLogger } from '../common/json-log';
import { RuntimeEnvironment } from '../config/environment';
import { KubeConfigError } from '../kubernetes/kubernetes.errors';
import { resolveLeaderElection } from '../leader-election/leader-election.settings';
import { ListenError } from './server.errors';
import { startAgent } from './serve';

/** `serve` could not start: invalid config, no usable kubeconfig, a port it cannot listen on. */
export const EXIT_CANNOT_START = 2;

/**
 * `opsagent serve`: starts the agent and runs it until SIGTERM/SIGINT. Everything it writes on stderr is a JSON
 * line shaped like the log on stdout: an expected startup failure is one `error` line with the file, key or port
 * in its fields and no stack trace, the shutdown one `info` line.
 */
export async function serve(
  configFile: string | undefined,
  io: Pick<Io, 'stderr' | 'waitForShutdown'>,
  version: string,
) {
  const log = jsonLineLogger(io.stderr);
  let agent;
  try {
    const config = configFile ? loadConfigFile(configFile) : defaultConfig();
    const environment = RuntimeEnvironment.fromProcess();
    // Checked here too, so that a missing Lease namespace is reported against the config file.
    resolveLeaderElection(config, environment, configFile ?? INLINE_SOURCE);
    agent = await startAgent(config, environment, version);
  } catch (error) {
    const failure = startupFailure(error);
    if (!failure) throw error;
    log.error({ event: 'startup-failed', error: (error as Error).name, ...failure.fields }, failure.msg);
    return EXIT_CANNOT_START;
  }
  const signal = await io.waitForShutdown();
  await agent.close();
  log.info({ event: 'stopped', signal }, `stopped on ${signal}`);
  return 0;
}

function startupFailure(error: unknown): { msg: string; fields: Record<string, unknown> } | undefined {
  if (error instanceof ConfigError) {
    const problems = error.problems.map((p) => `${p.path}: ${p.reason}`).join('; ');
    return {
      msg: `invalid config ${error.source}: ${problems}`,
      fields: { file: error.source, problems: error.problems },
    };
  }
  if (error instanceof KubeConfigError) {
    return { msg: error.message, fields: { file: error.file, line: error.line, column: error.column } };
  }
  if (error instanceof ListenError) {
    return { msg: error.message, fields: { key: error.key, port: error.port, code: error.code } };
  }
  return undefined;
}
