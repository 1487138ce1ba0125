import { DurationError, parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['24h', 86_400_000],
    ['1d', 86_400_000],
    ['1.5s', 1500],
  ])('%s → %d ms', (input, ms) => expect(parseDuration(input)).toBe(ms));

  it.each(['', '30', 's', '-5m', '5 m', '5M', '1y', 'abc'])('rejects %p', (input) => {
    expect(() => parseDuration(input)).toThrow(DurationError);
  });
});
