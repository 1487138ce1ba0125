import { cpuLimitMissing } from './cpu-limit-missing';
import { cpuOverprovisioned } from './cpu-overprovisioned';
import { cpuRequestMissing } from './cpu-request-missing';
import { cpuThrottled } from './cpu-throttled';
import { memoryLimitMissing } from './memory-limit-missing';
import { memoryOomKilled } from './memory-oom-killed';
import { memoryOverprovisioned } from './memory-overprovisioned';
import { memoryRequestMissing } from './memory-request-missing';
import { memoryUnderprovisioned } from './memory-underprovisioned';
import type { Rule } from './rule';

/** Every rule OpsAgent runs. Adding a rule: its file, its fixtures, its README row, and one line here. */
export const RULES: readonly Rule[] = [
  cpuRequestMissing,
  memoryRequestMissing,
  cpuLimitMissing,
  memoryLimitMissing,
  cpuOverprovisioned,
  memoryOverprovisioned,
  memoryOomKilled,
  memoryUnderprovisioned,
  cpuThrottled,
];

export const RULE_IDS: readonly string[] = RULES.map((r) => r.id);

export function findRule(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
