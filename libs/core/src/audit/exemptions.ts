import type { ScanWarning } from '../issue';
import { workloadRef, type Workload } from '../workload';

/** Exempts the whole workload; on the workload's metadata or its Pod template's metadata. */
export const IGNORE_ANNOTATION = 'opsagent.io/ignore';
/** `ignore.opsagent.io/<container-name>` exempts one container (e.g. an `istio-proxy` sidecar). */
export const CONTAINER_IGNORE_PREFIX = 'ignore.opsagent.io/';

/** Whether an annotation is one of the above: the only annotations the audit reads. */
export function isExemptionAnnotation(key: string): boolean {
  return key === IGNORE_ANNOTATION || key.startsWith(CONTAINER_IGNORE_PREFIX);
}

/** Rule ids exempted per container name; `*` stands for every rule. */
export class Exemptions {
  private constructor(
    private readonly workloadWide: ReadonlySet<string>,
    private readonly perContainer: ReadonlyMap<string, ReadonlySet<string>>,
  ) {}

  /** Reads the annotations of a workload; unknown rule ids become warnings, never silently dropped. */
  static of(workload: Workload, knownRules: ReadonlySet<string>, warnings: ScanWarning[]): Exemptions {
    const workloadWide = new Set<string>();
    const perContainer = new Map<string, Set<string>>();
    const containerNames = new Set(workload.containers.map((c) => c.name));
    // The workload's own annotations first, then the template's, so a key present on both is read twice
    // (same key, same semantics: the union applies).
    for (const annotations of [workload.annotations, workload.templateAnnotations]) {
      for (const [key, value] of Object.entries(annotations)) {
        let target: Set<string>;
        if (key === IGNORE_ANNOTATION) {
          target = workloadWide;
        } else if (key.startsWith(CONTAINER_IGNORE_PREFIX)) {
          const container = key.slice(CONTAINER_IGNORE_PREFIX.length);
          if (!containerNames.has(container)) {
            warnings.push(
              warning(
                workload,
                'unknown-container-in-annotation',
                `annotation ${key} names container "${container}", which ${workloadRef(workload)} does not have`,
              ),
            );
          }
          target = perContainer.get(container) ?? new Set();
          perContainer.set(container, target);
        } else {
          continue;
        }
        for (const id of parseRuleList(value)) {
          if (id === '*' || knownRules.has(id)) {
            target.add(id);
          } else {
            warnings.push(
              warning(
                workload,
                'unknown-rule-in-annotation',
                `annotation ${key} names unknown rule "${id}" (known: ${[...knownRules].join(', ')})`,
              ),
            );
          }
        }
      }
    }
    return new Exemptions(workloadWide, perContainer);
  }

  isExempt(container: string, rule: string): boolean {
    const own = this.perContainer.get(container);
    return hasRule(this.workloadWide, rule) || (own !== undefined && hasRule(own, rule));
  }
}

function hasRule(set: ReadonlySet<string>, rule: string): boolean {
  return set.has('*') || set.has(rule);
}

function parseRuleList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function warning(workload: Workload, code: string, message: string): ScanWarning {
  return {
    code,
    message: `${workloadRef(workload)}: ${message}`,
    namespace: workload.namespace,
    kind: workload.kind,
    name: workload.name,
    ...(workload.source ? { file: workload.source.file } : {}),
  };
}
