import * as path from 'node:path';
import { ManifestError } from './errors';
import { parseManifestText, readManifestSources } from './manifest-reader';
import { isPodMetrics, toUsageSample } from './pod-metrics';

const FIXTURES = path.join(__dirname, '../../../../test/fixtures/manifests');

describe('PodMetrics', () => {
  it('reads a PodMetricsList (items without kind) into samples: millicores and bytes', async () => {
    const objects = await readManifestSources([path.join(FIXTURES, 'pod-metrics.yaml')]);

    const samples = objects.map((o) => toUsageSample(o.object, { defaultNamespace: 'default', ...o }));

    expect(objects.map((o) => o.line)).toEqual([6, 24]);
    expect(samples).toEqual([
      {
        namespace: 'shop',
        pod: 'web-5d8f7c9b4-x2x7q',
        labels: { app: 'web', tier: 'frontend', 'pod-template-hash': '5d8f7c9b4' },
        timestamp: '2025-01-15T10:00:00Z',
        windowMs: 30_000,
        containers: [
          // 12345678n = 12.345678m, rounded up like Kubernetes' MilliValue().
          { name: 'app', cpu: 13, memory: 81920 * 1024 },
          { name: 'logger', cpu: 0, memory: 10 * 1024 ** 2 },
        ],
      },
      {
        namespace: 'shop',
        pod: 'debug',
        labels: {},
        timestamp: '2025-01-15T10:00:00Z',
        windowMs: 30_000,
        containers: [{ name: 'shell', cpu: 1, memory: 1024 ** 2 }],
      },
    ]);
  });

  it('recognises PodMetrics by kind and the metrics.k8s.io group', () => {
    expect(isPodMetrics({ apiVersion: 'metrics.k8s.io/v1beta1', kind: 'PodMetrics' })).toBe(true);
    expect(isPodMetrics({ kind: 'PodMetrics' })).toBe(true);
    expect(isPodMetrics({ apiVersion: 'example.com/v1', kind: 'PodMetrics' })).toBe(false);
    expect(isPodMetrics({ apiVersion: 'metrics.k8s.io/v1beta1', kind: 'NodeMetrics' })).toBe(false);
  });

  it('defaults the namespace and accepts a Date timestamp from the API client', () => {
    const sample = toUsageSample(
      {
        metadata: { name: 'p' },
        timestamp: new Date('2025-02-01T00:00:00Z'),
        containers: [{ name: 'c', usage: { cpu: '250m', memory: '64Mi' } }],
      },
      { defaultNamespace: 'team-a' },
    );

    expect(sample).toEqual({
      namespace: 'team-a',
      pod: 'p',
      labels: {},
      timestamp: '2025-02-01T00:00:00.000Z',
      containers: [{ name: 'c', cpu: 250, memory: 64 * 1024 ** 2 }],
    });
  });

  it('rejects a malformed or missing usage figure, naming file, line, object and field', () => {
    const text =
      'apiVersion: metrics.k8s.io/v1beta1\nkind: PodMetrics\nmetadata: {name: p, namespace: n}\ncontainers:\n' +
      '  - name: c\n    usage:\n      cpu: fast\n      memory: 1Mi\n';
    const [obj] = parseManifestText(text, 'm.yaml');

    expect(() => toUsageSample(obj.object, { defaultNamespace: 'default', ...obj })).toThrow(
      'm.yaml:7: PodMetrics n/p: containers[0].usage.cpu: invalid quantity "fast"',
    );

    const missing = { ...obj.object, containers: [{ name: 'c', usage: { cpu: '1m' } }] };
    expect(() => toUsageSample(missing, { defaultNamespace: 'default', file: 'm.yaml', line: 1 })).toThrow(
      ManifestError,
    );
    expect(() => toUsageSample(missing, { defaultNamespace: 'default', file: 'm.yaml', line: 1 })).toThrow(
      'm.yaml:1: PodMetrics n/p: containers[0].usage.memory: usage.memory is missing',
    );
  });
});

describe('PodMetrics window', () => {
  const item = (window: unknown, timestamp: unknown = '2026-11-20T10:00:00Z') => ({
    apiVersion: 'metrics.k8s.io/v1beta1',
    kind: 'PodMetrics',
    metadata: { name: 'web-1', namespace: 'shop' },
    timestamp,
    window,
    containers: [{ name: 'app', usage: { cpu: '10m', memory: '1Mi' } }],
  });
  const ctx = { defaultNamespace: 'default' };

  it.each([
    ['30s', 30_000],
    ['1m0.5s', 60_500],
    ['15.012s', 15_012],
    ['1m0s', 60_000],
  ])('reads the Go duration %s as %d ms', (window, ms) => {
    expect(toUsageSample(item(window), ctx).windowMs).toBe(ms);
  });

  it('names a bad window or timestamp', () => {
    expect(() => toUsageSample(item('soon'), ctx)).toThrow(/window "soon" is not a duration/);
    expect(() => toUsageSample(item('30s', 'yesterday'), ctx)).toThrow(/timestamp "yesterday" is not an RFC 3339 time/);
  });
});
