import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { dropTotalGauges } from './metrics-http.module';

describe('dropTotalGauges', () => {
  it("removes prom-client's gauges named *_total and keeps counters and the per-type gauges", () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    new Counter({ name: 'opsagent_example_total', help: 'h', registers: [registry] });
    new Gauge({ name: 'opsagent_example_items', help: 'h', registers: [registry] });

    const dropped = dropTotalGauges(registry);

    expect(dropped).toEqual(expect.arrayContaining(['nodejs_active_handles_total', 'nodejs_active_requests_total']));
    const left = registry.getMetricsAsArray();
    expect(left.filter((m) => m.name.endsWith('_total') && (m as unknown) instanceof Gauge)).toEqual([]);
    const names = left.map((m) => m.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'nodejs_active_handles',
        'nodejs_active_requests',
        'process_cpu_seconds_total',
        'opsagent_example_total',
        'opsagent_example_items',
      ]),
    );
  });
});
