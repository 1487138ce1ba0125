import type { LabelSelector, LabelSelectorRequirement } from '../workload';

/**
 * Kubernetes label-selector semantics: every matchLabels pair must be equal and every
 * matchExpressions requirement must hold (all ANDed).
 *
 * Unlike Kubernetes, where an empty selector selects everything, `undefined` and an empty selector
 * match nothing here: a workload whose Pods cannot be told apart must not be credited with every
 * Pod's usage in its namespace.
 */
export function matchesSelector(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  // Called for the candidate workloads of every distinct label set (UsageAttribution): loops, no arrays of entries.
  let requirements = 0;
  const matchLabels = selector.matchLabels;
  for (const key in matchLabels) {
    if (!Object.hasOwn(matchLabels, key)) continue;
    requirements++;
    if (!hasLabel(labels, key) || labels[key] !== matchLabels[key]) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    requirements++;
    if (!holds(e, labels)) return false;
  }
  return requirements > 0;
}

function holds(requirement: LabelSelectorRequirement, labels: Record<string, string>): boolean {
  const present = hasLabel(labels, requirement.key);
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case 'In':
      return present && values.includes(labels[requirement.key]);
    case 'NotIn':
      return !present || !values.includes(labels[requirement.key]);
    case 'Exists':
      return present;
    case 'DoesNotExist':
      return !present;
    default:
      // An operator outside the API's four cannot be evaluated; matching nothing is the safe answer.
      return false;
  }
}

function hasLabel(labels: Record<string, string>, key: string): boolean {
  return Object.hasOwn(labels, key);
}
