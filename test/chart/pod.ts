/**
 * What the kubelet would make of the rendered chart: the agent container's argv, environment, user and mounted
 * files, resolved the way Kubernetes resolves them against the image (command/args over ENTRYPOINT/CMD, envFrom
 * then env over the image's ENV, the pod's runAsUser over the image's USER).
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import type { ContainerSpec } from './container';
import { userIds, type ImageConfig } from './dockerfile';
import { only, type K8sObject } from './helm';

/** The agent's container (the pod has no other). */
export function agentContainer(deployment: IDeployment) {
  const containers = deployment.spec!.template.spec!.containers;
  if (containers.length !== 1 || containers[0].name !== 'opsagent') {
    throw new Error(`expected the one container opsagent, found ${containers.map((c) => c.name).join(', ')}`);
  }
  return containers[0];
}

export function containerSpecOf(objects: K8sObject[], image: ImageConfig): ContainerSpec {
  const deployment = only<IDeployment>(objects, 'Deployment');
  const pod = deployment.spec!.template.spec!;
  const container = agentContainer(deployment);

  const argv = container.command
    ? [...container.command, ...(container.args ?? [])]
    : [...image.entrypoint, ...(container.args ?? image.cmd)];

  const env: Record<string, string> = { ...image.env };
  for (const source of container.envFrom ?? []) {
    if (source.secretRef) {
      const secret = only<ISecret>(objects, 'Secret', source.secretRef.name);
      for (const [key, value] of Object.entries(secret.data ?? {})) env[key] = Buffer.from(value, 'base64').toString();
    } else if (source.configMapRef) {
      Object.assign(env, only<IConfigMap>(objects, 'ConfigMap', source.configMapRef.name).data);
    }
  }
  // The downward API, as the kubelet fills it for the pod the ReplicaSet would create.
  const podFields: Record<string, string> = {
    'metadata.name': `${deployment.metadata!.name}-5d9c7-x2x4q`,
    'metadata.namespace': deployment.metadata!.namespace ?? 'default',
  };
  for (const variable of container.env ?? []) {
    const field = variable.valueFrom?.fieldRef?.fieldPath;
    if (field !== undefined && podFields[field] !== undefined) env[variable.name] = podFields[field];
    else if (variable.value !== undefined) env[variable.name] = variable.value;
    else
      throw new Error(`env ${variable.name}: only literal values and the Pod's name and namespace are supported here`);
  }

  const files: Record<string, string> = {};
  const writableDirs: string[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = pod.volumes?.find((v) => v.name === mount.name);
    if (volume?.emptyDir) writableDirs.push(mount.mountPath);
    else if (volume?.configMap) {
      const configMap = only<IConfigMap>(objects, 'ConfigMap', volume.configMap.name);
      for (const [key, content] of Object.entries(configMap.data ?? {})) files[`${mount.mountPath}/${key}`] = content;
    } else throw new Error(`volume ${mount.name}: only configMap and emptyDir volumes are supported here`);
  }

  const imageUser = userIds(image.user);
  const uid = container.securityContext?.runAsUser ?? pod.securityContext?.runAsUser ?? imageUser.uid;
  const gid = container.securityContext?.runAsGroup ?? pod.securityContext?.runAsGroup ?? imageUser.gid;
  return { argv, env, workingDir: container.workingDir ?? image.workdir, files, writableDirs, user: { uid, gid } };
}

/** The container port a Service port sends to (by name or number), as kube-proxy resolves `targetPort`. */
export function servicePortTarget(objects: K8sObject[], serviceName: string, servicePort: number): number {
  const service = only<IService>(objects, 'Service', serviceName);
  const port = service.spec?.ports?.find((p) => p.port === servicePort);
  if (!port) throw new Error(`Service ${serviceName} has no port ${servicePort}`);
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  const containerPort = agentContainer(only<IDeployment>(objects, 'Deployment')).ports?.find((p) => p.name === target);
  if (!containerPort) throw new Error(`Service ${serviceName} port ${servicePort}: no container port named ${target}`);
  return containerPort.containerPort;
}

/** The container port a probe or Service `port` names (a name or a number). */
export function containerPort(deployment: IDeployment, port: number | string): number {
  if (typeof port === 'number') return port;
  const found = agentContainer(deployment).ports?.find((p) => p.name === port);
  if (!found) throw new Error(`no container port named ${port}`);
  return found.containerPort;
}
