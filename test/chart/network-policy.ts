/**
 * Whether a rendered NetworkPolicy admits a pod to a named container port, by the Kubernetes rules: a rule admits when
 * its ports include the port (or list none) and its `from` is empty or has a peer that selects the pod: a podSelector
 * alone selects pods of the policy's namespace, a namespaceSelector alone every pod of the selected namespaces, both
 * together the selected pods of the selected namespaces. An empty selector selects everything. ipBlock peers are
 * about addresses, which a pod here has none of: they admit nothing.
 */
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { matchesSelector } from '@opsagent/core/manifests/selector';
import type { LabelSelector } from '@opsagent/core/workload';

export interface PeerPod {
  namespace: string;
  labels: Record<string, string>;
  /** Labels of its namespace; `kubernetes.io/metadata.name` is always added, as the API server does. */
  namespaceLabels?: Record<string, string>;
}

function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  const empty = Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
  // matchesSelector (workload semantics) matches nothing with an empty selector; Kubernetes' empty selector matches all.
  return empty || matchesSelector(selector, labels);
}

export function admits(policy: INetworkPolicy, pod: PeerPod, portName: string): boolean {
  const namespaceLabels = { ...pod.namespaceLabels, 'kubernetes.io/metadata.name': pod.namespace };
  return (policy.spec?.ingress ?? []).some((rule) => {
    if (rule.ports && rule.ports.length > 0 && !rule.ports.some((p) => p.port === portName)) return false;
    if (!rule.from || rule.from.length === 0) return true;
    return rule.from.some((peer) => {
      if (peer.ipBlock) return false;
      const podOk = !peer.podSelector || selects(peer.podSelector as LabelSelector, pod.labels);
      const namespaceOk = peer.namespaceSelector
        ? selects(peer.namespaceSelector as LabelSelector, namespaceLabels)
        : pod.namespace === policy.metadata?.namespace;
      return podOk && namespaceOk;
    });
  });
}
