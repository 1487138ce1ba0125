/**
 * Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource).
 *
 * CPU is held as integer millicores, memory as integer bytes. Like Kubernetes' own
 * `MilliValue()` / `Value()`, a fractional result is rounded UP to the next integer
 * (so `100u` CPU is 1 millicore, `0.5` bytes is 1 byte). Values above
 * Number.MAX_SAFE_INTEGER (8 PiB) are kept as the nearest double; every quantity a
 * real cluster uses is far below that.
 *
 * Range: at most 2^63 − 1 in the integer unit Kubernetes' scheduler computes with (int64
 * millicores for CPU, as `MilliValue()` returns them; int64 bytes for memory, `Value()`),
 * so `9223372036854775807m` CPU and `7Ei` memory are in range, `9223372036854776` cores and
 * `8Ei` are not. Beyond that Kubernetes itself caps or overflows the value, so a larger
 * quantity is an input error rather than a silent Infinity.
 */

export type ResourceName = 'cpu' | 'memory';

/** The largest value of each resource, in its unit (millicores, bytes): Kubernetes' int64. */
export const MAX_QUANTITY = 2n ** 63n - 1n;

/** Inputs longer than this are shortened in messages (a 400-digit number would fill the terminal). */
const MAX_SHOWN_INPUT = 40;

export class QuantityError extends Error {
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`invalid quantity ${showInput(input)}: ${reason}`);
    this.name = 'QuantityError';
  }
}

function showInput(input: string): string {
  if (input.length <= MAX_SHOWN_INPUT) return JSON.stringify(input);
  return `${JSON.stringify(input.slice(0, MAX_SHOWN_INPUT - 10) + '…' + input.slice(-9))} (${input.length} characters)`;
}

const BINARY: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};

/** Decimal SI suffixes as powers of ten. */
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

// The exponent alternative comes before the bare `E` (exa) suffix so `1e3` is 1000 and `2E` is 2 exa.
const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;

/** An exact rational: numerator / 10^scale (scale may be negative), times a binary multiplier. */
interface Exact {
  digits: bigint;
  pow10: number;
  multiplier: bigint;
}

function parseExact(raw: string): Exact {
  const m = QUANTITY.exec(raw);
  if (!m) {
    throw new QuantityError(raw, 'expected a number with an optional suffix (e.g. 500m, 0.5, 128Mi, 1G, 1e3)');
  }
  const [, sign, number, suffix = ''] = m;
  if (sign === '-') throw new QuantityError(raw, 'must not be negative');
  const [whole, fraction = ''] = number.split('.');
  const digits = BigInt((whole || '0') + fraction);
  let pow10 = -fraction.length;
  let multiplier = 1n;
  if (suffix in BINARY) {
    multiplier = BINARY[suffix];
  } else if (suffix in DECIMAL) {
    pow10 += DECIMAL[suffix];
  } else {
    const exponent = Number(suffix.slice(1));
    if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 100) {
      throw new QuantityError(raw, 'exponent out of range');
    }
    pow10 += exponent;
  }
  return { digits, pow10, multiplier };
}

/** value × 10^shift, rounded up to an integer; a QuantityError above MAX_QUANTITY. */
function scaleCeil(raw: string, q: Exact, resource: ResourceName, shift: number): number {
  const p = q.pow10 + shift;
  let result: bigint;
  if (p >= 0) {
    result = q.digits * q.multiplier * 10n ** BigInt(p);
  } else {
    const divisor = 10n ** BigInt(-p);
    const n = q.digits * q.multiplier;
    result = n / divisor + (n % divisor === 0n ? 0n : 1n);
  }
  if (result > MAX_QUANTITY) {
    const unit = resource === 'cpu' ? 'millicores' : 'bytes';
    throw new QuantityError(raw, `out of range: more than 2^63 − 1 ${unit} (Kubernetes' int64 limit)`);
  }
  return Number(result);
}

/**
 * Whole digits (at most 15, so below 2^53) and a suffix: what the API server and metrics-server write
 * (`250m`, `128Mi`, `123456789n`, `8053064Ki`). Such a quantity is computed exactly in doubles; any other goes
 * through the exact rational (BigInt) path.
 */
const SIMPLE_QUANTITY = /^(\d{1,15})(Ki|Mi|Gi|Ti|n|u|m|k|M|G)?$/;
const BINARY_NUMBER: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** value × 10^shift rounded up, for a SIMPLE_QUANTITY; undefined when the result would pass 2^53. */
function simpleScaleCeil(digits: number, suffix: string | undefined, shift: number): number | undefined {
  if (suffix !== undefined && suffix in BINARY_NUMBER) {
    const result = digits * BINARY_NUMBER[suffix] * 10 ** shift;
    return result <= Number.MAX_SAFE_INTEGER ? result : undefined;
  }
  const p = DECIMAL[suffix ?? ''] + shift;
  if (p >= 0) {
    const result = digits * 10 ** p;
    return result <= Number.MAX_SAFE_INTEGER ? result : undefined;
  }
  // 10^-p is exact in a double up to 10^22; digits < 2^53, so q × divisor and the remainder are exact too.
  const divisor = 10 ** -p;
  if (divisor > digits) return digits === 0 ? 0 : 1;
  let q = Math.floor(digits / divisor);
  let rest = digits - q * divisor;
  if (rest < 0) {
    q--;
    rest += divisor;
  } else if (rest >= divisor) {
    q++;
    rest -= divisor;
  }
  return rest === 0 ? q : q + 1;
}

/** Parses a CPU or memory quantity (string, or a YAML/JSON number) into millicores or bytes. */
export function parseQuantity(input: string | number, resource: ResourceName): number {
  const raw = typeof input === 'number' ? numberToQuantity(input) : input;
  if (typeof raw !== 'string') throw new QuantityError(String(raw), 'expected a string or a number');
  const shift = resource === 'cpu' ? 3 : 0;
  const simple = SIMPLE_QUANTITY.exec(raw);
  if (simple) {
    const value = simpleScaleCeil(Number(simple[1]), simple[2], shift);
    if (value !== undefined) return value;
  }
  const exact = parseExact(raw);
  return scaleCeil(raw, exact, resource, shift);
}

export const parseCpu = (input: string | number): number => parseQuantity(input, 'cpu');
export const parseMemory = (input: string | number): number => parseQuantity(input, 'memory');

function numberToQuantity(n: number): string {
  if (!Number.isFinite(n)) throw new QuantityError(String(n), 'not a finite number');
  return String(n);
}

/** Formats millicores the way `kubectl` users write them: `2`, `1500m`, `10m`. */
export function formatCpu(millicores: number): string {
  return millicores % 1000 === 0 ? String(millicores / 1000) : `${millicores}m`;
}

/** Formats bytes with the largest binary suffix that divides them exactly (`128Mi`, `1536Ki`, `1000`). */
export function formatMemory(bytes: number): string {
  for (const suffix of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki']) {
    const unit = Number(BINARY[suffix]);
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}

export function formatQuantity(value: number, resource: ResourceName): string {
  return resource === 'cpu' ? formatCpu(value) : formatMemory(value);
}

/** Up to `decimals` decimals, trailing zeros dropped: 2.30 → `2.3`, 2.00 → `2`. */
function trimmed(value: number, decimals: number): string {
  return value.toFixed(decimals).replace(/\.?0+$/, '');
}

/**
 * Millicores for a person to read in a message: `250m` (to a tenth: `99.6m`) below one core, cores above (`1.5`, `2.25`, `13.7`),
 * rounded to two decimals under 10 cores and to one above. Exact figures stay in the finding's numbers.
 */
export function readableCpu(millicores: number): string {
  // A p95 of rates is fractional (305.9999999999995m): a tenth of a millicore is all a person reads.
  if (millicores < 999.95) return `${trimmed(millicores, 1)}m`;
  const cores = millicores / 1000;
  return trimmed(cores, cores < 10 ? 2 : 1);
}

/**
 * Bytes for a person to read in a message, in the largest binary unit that is at least 1, one decimal:
 * 2418398Ki reads `2.3Gi`, 13668Mi reads `13.3Gi`, 128Mi stays `128Mi`; below 1Ki the plain number of bytes.
 */
export function readableMemory(bytes: number): string {
  for (const suffix of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki']) {
    const unit = Number(BINARY[suffix]);
    // 1023.96Mi would round to "1024.0Mi": show it as 1Gi instead.
    if (bytes >= unit * 0.99995) return `${trimmed(bytes / unit, 1)}${suffix}`;
  }
  return String(bytes);
}

export function readableQuantity(value: number, resource: ResourceName): string {
  return resource === 'cpu' ? readableCpu(value) : readableMemory(value);
}
