import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError } from './selectors';

describe('parseLabelSelector', () => {
  it.each([
    ['', []],
    ['  ', []],
    ['app=web', [{ key: 'app', operator: 'in', values: ['web'] }]],
    ['app==web', [{ key: 'app', operator: 'in', values: ['web'] }]],
    ['app!=web', [{ key: 'app', operator: 'notin', values: ['web'] }]],
    ['app=', [{ key: 'app', operator: 'in', values: [''] }]],
    ['app.kubernetes.io/name in (a, b)', [{ key: 'app.kubernetes.io/name', operator: 'in', values: ['a', 'b'] }]],
    ['tier notin (db)', [{ key: 'tier', operator: 'notin', values: ['db'] }]],
    ['tier', [{ key: 'tier', operator: 'exists' }]],
    ['!tier', [{ key: 'tier', operator: '!' }]],
    ['gen>3', [{ key: 'gen', operator: 'gt', value: 3 }]],
    [
      'a=1, !b ,c in (x)',
      [
        { key: 'a', operator: 'in', values: ['1'] },
        { key: 'b', operator: '!' },
        { key: 'c', operator: 'in', values: ['x'] },
      ],
    ],
  ])('parses %j', (text, expected) => {
    expect(parseLabelSelector(text)).toEqual(expected);
  });

  it.each([
    'a in (x',
    'a in x',
    '=x',
    'a b',
    'a=b c',
    'a,',
    '!',
    'a=(b)',
    '-a=b',
    'a=b-',
    'a>b',
    `a=${'x'.repeat(64)}`,
  ])('rejects %j', (text) => {
    expect(() => parseLabelSelector(text)).toThrow(SelectorError);
    expect(() => parseLabelSelector(text)).toThrow(/^unable to parse requirement/);
  });
});

describe('matchesLabels', () => {
  const labels = { app: 'web', tier: 'frontend', gen: '5' };
  it.each([
    ['', true],
    ['app=web', true],
    ['app=api', false],
    ['app!=api', true],
    ['missing!=x', true],
    ['tier in (frontend,backend)', true],
    ['tier notin (frontend)', false],
    ['missing notin (x)', true],
    ['app', true],
    ['!app', false],
    ['!missing', true],
    ['gen>4', true],
    ['gen<5', false],
    ['app=web,tier=backend', false],
  ])('%j → %s', (text, expected) => {
    expect(matchesLabels(parseLabelSelector(text), labels)).toBe(expected);
  });
});

describe('parseFieldSelector', () => {
  const allowed = new Set(['metadata.name', 'metadata.namespace', 'status.phase']);

  it('parses =, == and != and matches', () => {
    const reqs = parseFieldSelector('metadata.namespace==shop,status.phase!=Succeeded', allowed);
    expect(reqs).toEqual([
      { field: 'metadata.namespace', equals: true, value: 'shop' },
      { field: 'status.phase', equals: false, value: 'Succeeded' },
    ]);
    const values: Record<string, string> = { 'metadata.namespace': 'shop', 'status.phase': 'Running' };
    expect(matchesFields(reqs, (f) => values[f] ?? '')).toBe(true);
    values['status.phase'] = 'Succeeded';
    expect(matchesFields(reqs, (f) => values[f] ?? '')).toBe(false);
  });

  it('rejects unknown fields and malformed terms as the API server does', () => {
    expect(() => parseFieldSelector('spec.replicas=1', allowed)).toThrow('field label not supported: spec.replicas');
    expect(() => parseFieldSelector('metadata.name', allowed)).toThrow(/invalid selector/);
  });

  it('reads escaped commas in values', () => {
    expect(parseFieldSelector('metadata.name=a\\,b', allowed)).toEqual([
      { field: 'metadata.name', equals: true, value: 'a,b' },
    ]);
  });
});
