import { Module } from '@nestjs/common';
import { KubeConfig } from '@kubernetes/client-node';
import { parseDuration } from '@opsagent/core/duration';
import { OpsAgentConfig } from '@opsagent/core/config/config.schema';
import { RuntimeEnvironment } from '../config/environment';
import { AccessReviewer, KubernetesAccessReviewer } from './access-reviewer';
import { ClusterReader } from './cluster-reader';
import { KubeApiClient } from './kube-api.client';
import { loadKubeConfig } from './kube-config.factory';
import { KubernetesClusterReader } from './kubernetes-cluster-reader';

@Module({
  providers: [
    {
      provide: KubeConfig,
      useFactory: (env: RuntimeEnvironment, config: OpsAgentConfig) => loadKubeConfig(env, config.kubernetes.context),
      inject: [RuntimeEnvironment, OpsAgentConfig],
    },
    {
      provide: ClusterReader,
      useFactory: (kc: KubeConfig, config: OpsAgentConfig) =>
        new KubernetesClusterReader(
          new KubeApiClient(kc, {
            requestTimeoutMs: parseDuration(config.kubernetes.requestTimeout),
            retries: config.kubernetes.retries,
          }),
          { pageSize: config.kubernetes.pageSize },
        ),
      inject: [KubeConfig, OpsAgentConfig],
    },
    {
      provide: AccessReviewer,
      useFactory: (kc: KubeConfig) => new KubernetesAccessReviewer(kc),
      inject: [KubeConfig],
    },
  ],
  exports: [KubeConfig, ClusterReader, AccessReviewer],
})
export class KubernetesModule {}
