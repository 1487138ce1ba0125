import { formatCpu, formatMemory, parseCpu, parseMemory, QuantityError, readableCpu, readableMemory } from './quantity';

describe('parseCpu (millicores)', () => {
  it.each([
    ['2', 2000],
    ['0.5', 500],
    ['500m', 500],
    ['180000000n', 180],
    ['1e3', 1_000_000],
    ['100u', 1], // 0.1m rounds up, as Kubernetes' MilliValue() does
    ['1', 1000],
    ['.25', 250],
    ['1.', 1000],
    ['0', 0],
    ['+1', 1000],
    ['1500000u', 1500],
    ['2k', 2_000_000],
    ['1E-3', 1], // exponent form with capital E and a sign
    [2, 2000],
    [0.5, 500],
    [0.0001, 1],
  ])('%p → %d', (input, expected) => {
    expect(parseCpu(input)).toBe(expected);
  });
});

describe('parseMemory (bytes)', () => {
  it.each([
    ['128974848', 128_974_848],
    ['129e6', 129_000_000],
    ['129M', 129_000_000],
    ['123Mi', 123 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1Ti', 2 ** 40],
    ['1k', 1000],
    ['1Ki', 1024],
    ['2E', 2e18], // exa, not an exponent
    ['1.5Gi', 1.5 * 2 ** 30],
    ['0.5', 1], // rounds up to whole bytes
    ['500m', 1],
    ['1e0', 1],
    [134217728, 134_217_728],
  ])('%p → %d', (input, expected) => {
    expect(parseMemory(input)).toBe(expected);
  });
});

describe('malformed quantities', () => {
  it.each([
    ['', /expected a number/],
    ['abc', /expected a number/],
    ['12x', /expected a number/],
    ['1.2.3', /expected a number/],
    ['Mi', /expected a number/],
    ['1 Gi', /expected a number/],
    [' 1', /expected a number/],
    ['1MiB', /expected a number/],
    ['1mi', /expected a number/],
    ['0x10', /expected a number/],
    ['1e', /expected a number/],
    ['-1', /must not be negative/],
    ['-500m', /must not be negative/],
    ['1e999', /exponent out of range/],
  ])('%p is rejected: %p', (input, reason) => {
    expect(() => parseCpu(input)).toThrow(QuantityError);
    expect(() => parseMemory(input)).toThrow(reason);
  });

  it('names the input in the message', () => {
    expect(() => parseCpu('12x')).toThrow('invalid quantity "12x"');
  });

  it.each([[NaN], [Infinity]])('rejects the number %p', (n) => {
    expect(() => parseCpu(n)).toThrow(QuantityError);
  });
});

describe('out-of-range quantities (above int64 millicores or bytes)', () => {
  const huge = '9'.repeat(400);

  it('a 400-digit number is an error, not Infinity, and the message stays short', () => {
    for (const parse of [parseCpu, parseMemory]) {
      let error: unknown;
      try {
        parse(huge);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(QuantityError);
      expect((error as Error).message).toMatch(/out of range: more than 2\^63 − 1 (millicores|bytes)/);
      expect((error as Error).message).toContain('(400 characters)');
      expect((error as Error).message.length).toBeLessThan(160);
    }
  });

  it.each([
    ['cpu', '9223372036854775807m', Number(2n ** 63n - 1n)],
    ['cpu', '9223372036854775', 9223372036854775000],
    ['memory', '9223372036854775807', Number(2n ** 63n - 1n)],
    ['memory', '7Ei', 7 * 2 ** 60],
    ['memory', '2E', 2e18],
  ])('%s %p is the largest kind still in range', (resource, input, expected) => {
    expect((resource === 'cpu' ? parseCpu : parseMemory)(input)).toBe(expected);
  });

  it.each([
    ['cpu', '9223372036854775808m'],
    ['cpu', '9223372036854776'],
    ['cpu', '1e100'],
    ['memory', '9223372036854775808'],
    ['memory', '8Ei'],
    ['memory', '1e19'],
    ['memory', '10E'],
  ])('%s %p is out of range', (resource, input) => {
    expect(() => (resource === 'cpu' ? parseCpu : parseMemory)(input)).toThrow(/out of range/);
  });

  it('a huge YAML number (a double already Infinity) is rejected too', () => {
    expect(() => parseMemory(Number(huge))).toThrow(QuantityError);
    expect(() => parseCpu(1e300)).toThrow(/out of range/);
  });
});

describe('readable units (messages)', () => {
  it.each([
    [250, '250m'],
    [999, '999m'],
    [305.9999999999995, '306m'],
    [99.60607303518947, '99.6m'],
    [999.97, '1'],
    [1000, '1'],
    [1500, '1.5'],
    [1050, '1.05'],
    [2250, '2.25'],
    [13668, '13.7'],
    [120000, '120'],
  ])('readableCpu(%d) = %s', (m, s) => expect(readableCpu(m)).toBe(s));

  it.each([
    [2418398 * 1024, '2.3Gi'],
    [13668 * 2 ** 20, '13.3Gi'],
    [128 * 2 ** 20, '128Mi'],
    [1536 * 2 ** 20, '1.5Gi'],
    [2 ** 30 - 1, '1Gi'],
    [1023.9 * 2 ** 20, '1023.9Mi'],
    [512, '512'],
    [1536, '1.5Ki'],
    [5 * 2 ** 40, '5Ti'],
  ])('readableMemory(%d) = %s', (b, s) => expect(readableMemory(b)).toBe(s));
});

describe('formatting', () => {
  it.each([
    [2000, '2'],
    [1500, '1500m'],
    [10, '10m'],
    [0, '0'],
  ])('formatCpu(%d) = %s', (m, s) => expect(formatCpu(m)).toBe(s));

  it.each([
    [128 * 2 ** 20, '128Mi'],
    [2 ** 30, '1Gi'],
    [1536 * 1024, '1536Ki'],
    [1000, '1000'],
  ])('formatMemory(%d) = %s', (b, s) => expect(formatMemory(b)).toBe(s));

  it('round-trips through the parser', () => {
    for (const bytes of [1, 1024, 3 * 2 ** 20, 5 * 2 ** 40]) expect(parseMemory(formatMemory(bytes))).toBe(bytes);
    for (const m of [1, 10, 999, 1000, 250_000]) expect(parseCpu(formatCpu(m))).toBe(m);
  });
});

describe('whole digits with a suffix (the exact double fast path)', () => {
  // `N.0<suffix>` is the same quantity written with a fraction: it takes the exact rational (BigInt) path.
  const suffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'n', 'u', 'm', 'k', 'M', 'G'];
  let seed = 7;
  const next = (): number => (seed = (seed * 48271) % 2147483647);
  const samples: string[] = ['0', '1', '999999999999999', '9007199254740'];
  for (let i = 0; i < 4000; i++) {
    const length = 1 + (next() % 15);
    samples.push(
      String(next())
        .padStart(15, String(next() % 10))
        .slice(0, length),
    );
  }

  it.each([parseCpu, parseMemory])('gives what the exact path gives, rounding up the same (%p)', (parse) => {
    for (const digits of samples) {
      for (const suffix of suffixes) {
        const fast = (): number => parse(`${digits}${suffix}`);
        const exact = (): number => parse(`${digits}.0${suffix}`);
        let expected: number | Error;
        try {
          expected = exact();
        } catch (error) {
          expected = error as Error;
        }
        if (expected instanceof Error) expect(fast).toThrow(QuantityError);
        else expect(`${digits}${suffix} = ${fast()}`).toBe(`${digits}${suffix} = ${expected}`);
      }
    }
  });
});
