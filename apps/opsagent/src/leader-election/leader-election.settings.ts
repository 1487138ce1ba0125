import { ConfigError } from '@opsagent/core/config/config.errors';
import { INLINE_SOURCE } from '@opsagent/core/config/config.loader';
import type { OpsAgentConfig } from '@opsagent/core/config/config.schema';
import { parseDuration } from '@opsagent/core/duration';
import { SERVICE_ACCOUNT_NAMESPACE_FILE, type RuntimeEnvironment } from '../config/environment';
import type { ElectorTimings } from './leader-elector';

export interface LeaderElectionSettings {
  namespace: string;
  leaseName: string;
  identity: string;
  timings: ElectorTimings;
}

/**
 * `leaderElection` with its defaults from the Pod: the Lease's namespace from the service account's namespace
 * file or POD_NAMESPACE, the identity from POD_NAME or the hostname. Undefined when leader election is off. A
 * namespace that cannot be found (outside a cluster, without POD_NAMESPACE) is a ConfigError naming the key.
 */
export function resolveLeaderElection(
  config: OpsAgentConfig,
  environment: RuntimeEnvironment,
  source = INLINE_SOURCE,
): LeaderElectionSettings | undefined {
  const election = config.leaderElection;
  if (!election.enabled) return undefined;
  const namespace = election.namespace ?? environment.pod.namespace;
  if (!namespace) {
    throw new ConfigError(source, [
      {
        path: 'leaderElection.namespace',
        reason:
          `must be set: leader election is enabled and the Pod's namespace is unknown (no ` +
          `${SERVICE_ACCOUNT_NAMESPACE_FILE} and no POD_NAMESPACE, as outside a cluster)`,
      },
    ]);
  }
  return {
    namespace,
    leaseName: election.leaseName,
    identity: election.identity ?? environment.pod.name ?? environment.pod.hostname,
    timings: {
      leaseDurationMs: parseDuration(election.leaseDuration),
      renewDeadlineMs: parseDuration(election.renewDeadline),
      retryPeriodMs: parseDuration(election.retryPeriod),
    },
  };
}
