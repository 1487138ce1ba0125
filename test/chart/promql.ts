import { parser } from '@prometheus-io/lezer-promql';
import { METRIC } from '../../apps/opsagent/src/metrics/metrics.names';

const strictParser = parser.configure({ strict: true });

/** Grafana's variables, replaced by values of the same type so the query parses as Prometheus would get it. */
const GRAFANA_VARIABLES: [RegExp, string][] = [
  [/\$__rate_interval|\$__interval|\$__range/g, '5m'],
  [/\$\{?namespace\}?/g, 'ops-system'],
];

/** The metric names an expression selects; throws when it is not valid PromQL. */
export function selectedMetrics(expression: string): string[] {
  const query = GRAFANA_VARIABLES.reduce((q, [pattern, value]) => q.replace(pattern, value), expression);
  let tree;
  try {
    tree = strictParser.parse(query);
  } catch (error) {
    throw new Error(`invalid PromQL (${error instanceof Error ? error.message : error}): ${query}`);
  }
  const names: string[] = [];
  const cursor = tree.cursor();
  do {
    if (cursor.name === 'Identifier' && cursor.node.parent?.name === 'VectorSelector') {
      names.push(query.slice(cursor.from, cursor.to));
    }
  } while (cursor.next());
  return names;
}

/**
 * Series OpsAgent exposes: its own metrics (a histogram as its _bucket, _sum and _count series) and prom-client's
 * process metrics.
 */
export const EXPOSED_SERIES: ReadonlySet<string> = new Set([
  ...Object.values(METRIC).flatMap((name) =>
    name === METRIC.duration ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
  ),
  'process_start_time_seconds',
]);
