/**
 * Durations as Kubernetes and Go write them: `30s`, `5m`, `1h30m`, `500ms`, `24h`. Units: ms, s, m, h, d
 * (d = 24h, for history windows). Returns milliseconds.
 */
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export class DurationError extends Error {}

export function parseDuration(input: string): number {
  if (!DURATION.test(input)) {
    throw new DurationError(`invalid duration ${JSON.stringify(input)}: expected e.g. 30s, 5m, 1h30m, 24h`);
  }
  let ms = 0;
  for (const [, value, unit] of input.matchAll(PART)) ms += Number(value) * UNIT_MS[unit];
  return Math.round(ms);
}
