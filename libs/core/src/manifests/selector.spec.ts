import type { LabelSelector } from '../workload';
import { matchesSelector } from './selector';

describe('matchesSelector', () => {
  const labels = { app: 'web', tier: 'frontend', track: 'stable' };

  it.each<[string, LabelSelector | undefined, Record<string, string>, boolean]>([
    ['matchLabels: all equal', { matchLabels: { app: 'web', tier: 'frontend' } }, labels, true],
    ['matchLabels: one differs', { matchLabels: { app: 'web', tier: 'backend' } }, labels, false],
    ['matchLabels: one missing', { matchLabels: { app: 'web', zone: 'a' } }, labels, false],
    [
      'In: value listed',
      { matchExpressions: [{ key: 'tier', operator: 'In', values: ['edge', 'frontend'] }] },
      labels,
      true,
    ],
    [
      'In: value not listed',
      { matchExpressions: [{ key: 'tier', operator: 'In', values: ['backend'] }] },
      labels,
      false,
    ],
    ['In: label absent', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, labels, false],
    [
      'NotIn: value listed',
      { matchExpressions: [{ key: 'track', operator: 'NotIn', values: ['stable'] }] },
      labels,
      false,
    ],
    [
      'NotIn: value not listed',
      { matchExpressions: [{ key: 'track', operator: 'NotIn', values: ['canary'] }] },
      labels,
      true,
    ],
    ['NotIn: label absent', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, labels, true],
    ['Exists: present', { matchExpressions: [{ key: 'track', operator: 'Exists' }] }, labels, true],
    ['Exists: present with empty value', { matchExpressions: [{ key: 'x', operator: 'Exists' }] }, { x: '' }, true],
    ['Exists: absent', { matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, labels, false],
    ['DoesNotExist: absent', { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, labels, true],
    ['DoesNotExist: present', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, labels, false],
    [
      'combined: all hold',
      {
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['frontend'] },
          { key: 'track', operator: 'NotIn', values: ['canary'] },
          { key: 'zone', operator: 'DoesNotExist' },
        ],
      },
      labels,
      true,
    ],
    [
      'combined: one expression fails',
      {
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['frontend'] },
          { key: 'track', operator: 'Exists' },
          { key: 'app', operator: 'DoesNotExist' },
        ],
      },
      labels,
      false,
    ],
    [
      'combined: matchLabels fails',
      { matchLabels: { app: 'api' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
      labels,
      false,
    ],
    ['empty selector matches nothing', {}, labels, false],
    ['empty matchLabels and matchExpressions match nothing', { matchLabels: {}, matchExpressions: [] }, labels, false],
    ['undefined selector matches nothing', undefined, labels, false],
    ['inherited properties are not labels', { matchExpressions: [{ key: 'toString', operator: 'Exists' }] }, {}, false],
  ])('%s', (_name, selector, podLabels, expected) => {
    expect(matchesSelector(selector, podLabels)).toBe(expected);
  });
});
