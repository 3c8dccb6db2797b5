/**
 * Exact decimal arithmetic for money and sizes at exchange precision.
 *
 * A `Decimal` is `units × 10^-scale` with `units` a bigint, so adding, subtracting and
 * multiplying are exact, and the only place a value is ever rounded is an explicit call
 * to `roundToStep` / `divToStep`, which names its direction (`RoundingMode`).
 *
 * JavaScript numbers enter through `Decimal.from(n)`, which takes the number's shortest
 * round-trip representation (`String(n)`): `0.1` is the decimal 0.1, not the binary
 * fraction 0.1000000000000000055511151231257827…, which is what the user typed and the
 * exchange means. A computed float such as `0.1 + 0.2` enters as 0.30000000000000004,
 * its true value to 17 digits; rounding it to a step then happens exactly, once.
 * Numbers leave through `toNumber()`, the double nearest to the exact decimal.
 */
import { HedgehookError } from './errors.ts';

/**
 * Where a value that is not on the grid goes:
 * - `down`: toward zero (|result| ≤ |value|) — amounts, so a hedge is never larger than asked;
 * - `up`: away from zero;
 * - `floor` / `ceil`: toward −∞ / +∞ — side-aware order prices;
 * - `half-up`: to the nearest, ties away from zero — reference prices to the tick.
 */
export type RoundingMode = 'down' | 'up' | 'floor' | 'ceil' | 'half-up';

export type DecimalInput = Decimal | number | string | bigint;

const DECIMAL_TEXT = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const MAX_EXACT = 9007199254740992n; // 2^53
const NUM_POW10: number[] = Array.from({ length: 23 }, (_, i) => 10 ** i); // exact up to 10^22
const POW10: bigint[] = [];
function pow10(n: number): bigint {
  let p = POW10[n];
  if (p === undefined) {
    p = 10n ** BigInt(n);
    if (n < 64) POW10[n] = p;
  }
  return p;
}

/** Integer division a / b (b ≠ 0) with an explicit rounding direction. */
export function divRound(a: bigint, b: bigint, mode: RoundingMode): bigint {
  if (b === 0n) throw new HedgehookError('HH_ERR_INVALID_NUMBER', 'division by zero');
  if (b < 0n) {
    a = -a;
    b = -b;
  }
  const q = a / b; // BigInt division truncates toward zero
  const r = a % b; // has the sign of a
  if (r === 0n) return q;
  const negative = a < 0n;
  switch (mode) {
    case 'down':
      return q;
    case 'up':
      return negative ? q - 1n : q + 1n;
    case 'floor':
      return negative ? q - 1n : q;
    case 'ceil':
      return negative ? q : q + 1n;
    case 'half-up': {
      const twice = (r < 0n ? -r : r) * 2n;
      if (twice >= b) return negative ? q - 1n : q + 1n;
      return q;
    }
  }
}

export class Decimal {
  static readonly ZERO = new Decimal(0n, 0);
  static readonly ONE = new Decimal(1n, 0);

  /**
   * value = units × 10^-scale, scale ≥ 0. Not normalised (1.50 may be 150 × 10^-2): every
   * comparison aligns scales first, and `toString` drops trailing zeros. Skipping the
   * normalisation keeps the decision stage cheap (no bigint division per operation).
   */
  readonly units: bigint;
  readonly scale: number;

  private constructor(units: bigint, scale: number) {
    this.units = units;
    this.scale = units === 0n ? 0 : scale;
  }

  static of(units: bigint, scale: number): Decimal {
    if (!Number.isInteger(scale)) throw new HedgehookError('HH_ERR_INVALID_NUMBER', `bad scale ${scale}`);
    if (scale < 0) return new Decimal(units * pow10(-scale), 0);
    return new Decimal(units, scale);
  }

  static from(x: DecimalInput): Decimal {
    if (x instanceof Decimal) return x;
    if (typeof x === 'bigint') return new Decimal(x, 0);
    if (typeof x === 'number') {
      if (!Number.isFinite(x)) throw new HedgehookError('HH_ERR_INVALID_NUMBER', `not a finite number: ${x}`);
      if (Number.isSafeInteger(x)) return new Decimal(BigInt(x), 0);
      const text = String(x);
      // Fast path for the common plain form "-123.456"; exponent forms go through parse.
      const dot = text.indexOf('.');
      if (dot > 0 && text.indexOf('e') < 0) {
        return new Decimal(BigInt(text.slice(0, dot) + text.slice(dot + 1)), text.length - dot - 1);
      }
      return Decimal.parse(text);
    }
    return Decimal.parse(x);
  }

  /** Parses plain or exponent notation: "12", "-0.00001", "1e-7", "1.5E+21". */
  static parse(text: string): Decimal {
    const m = DECIMAL_TEXT.exec(text.trim());
    const intPart = m?.[2] ?? '';
    const fracPart = m?.[3] ?? '';
    if (!m || (intPart === '' && fracPart === '')) {
      throw new HedgehookError('HH_ERR_INVALID_NUMBER', `not a decimal number: ${JSON.stringify(text)}`);
    }
    const sign = m[1] === '-' ? -1n : 1n;
    const exponent = m[4] === undefined ? 0 : Number(m[4]);
    if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 400) {
      throw new HedgehookError('HH_ERR_INVALID_NUMBER', `exponent out of range: ${text}`);
    }
    const units = sign * BigInt((intPart + fracPart).replace(/^0+(?=\d)/, '') || '0');
    return Decimal.of(units, fracPart.length - exponent);
  }

  private static align(a: Decimal, b: Decimal): [bigint, bigint, number] {
    if (a.scale === b.scale) return [a.units, b.units, a.scale];
    if (a.scale > b.scale) return [a.units, b.units * pow10(a.scale - b.scale), a.scale];
    return [a.units * pow10(b.scale - a.scale), b.units, b.scale];
  }

  add(other: DecimalInput): Decimal {
    const [x, y, s] = Decimal.align(this, Decimal.from(other));
    return new Decimal(x + y, s);
  }

  sub(other: DecimalInput): Decimal {
    const [x, y, s] = Decimal.align(this, Decimal.from(other));
    return new Decimal(x - y, s);
  }

  mul(other: DecimalInput): Decimal {
    const o = Decimal.from(other);
    return new Decimal(this.units * o.units, this.scale + o.scale);
  }

  neg(): Decimal {
    return new Decimal(-this.units, this.scale);
  }

  abs(): Decimal {
    return this.units < 0n ? this.neg() : this;
  }

  sign(): -1 | 0 | 1 {
    return this.units < 0n ? -1 : this.units > 0n ? 1 : 0;
  }

  isZero(): boolean {
    return this.units === 0n;
  }

  cmp(other: DecimalInput): -1 | 0 | 1 {
    const [x, y] = Decimal.align(this, Decimal.from(other));
    return x < y ? -1 : x > y ? 1 : 0;
  }

  eq(other: DecimalInput): boolean {
    return this.cmp(other) === 0;
  }
  lt(other: DecimalInput): boolean {
    return this.cmp(other) < 0;
  }
  lte(other: DecimalInput): boolean {
    return this.cmp(other) <= 0;
  }
  gt(other: DecimalInput): boolean {
    return this.cmp(other) > 0;
  }
  gte(other: DecimalInput): boolean {
    return this.cmp(other) >= 0;
  }

  static min(a: Decimal, b: Decimal): Decimal {
    return a.lte(b) ? a : b;
  }
  static max(a: Decimal, b: Decimal): Decimal {
    return a.gte(b) ? a : b;
  }

  /** True when this value is a whole multiple of `step` (step > 0). */
  isMultipleOf(step: DecimalInput): boolean {
    const [x, y] = Decimal.align(this, Decimal.from(step));
    return y !== 0n && x % y === 0n;
  }

  /**
   * This value on the grid of `step` (> 0): k × step with k = round(value / step, mode).
   * The one rounding of a size or a price; exact, no floating point.
   */
  roundToStep(step: DecimalInput, mode: RoundingMode): Decimal {
    const s = Decimal.from(step);
    if (s.units <= 0n) throw new HedgehookError('HH_ERR_INVALID_NUMBER', `step must be positive: ${s.toString()}`);
    const [x, y] = Decimal.align(this, s);
    return new Decimal(divRound(x, y, mode) * s.units, s.scale);
  }

  /**
   * (this / divisor) on the grid of `step`: k × step with k = round(this / (divisor × step), mode).
   * Used for "how many steps fit in this notional at this price", exactly.
   */
  divToStep(divisor: DecimalInput, step: DecimalInput, mode: RoundingMode): Decimal {
    const d = Decimal.from(divisor);
    const s = Decimal.from(step);
    if (s.units <= 0n) throw new HedgehookError('HH_ERR_INVALID_NUMBER', `step must be positive: ${s.toString()}`);
    if (d.units === 0n) throw new HedgehookError('HH_ERR_INVALID_NUMBER', 'division by zero');
    // this / (d × s) = (u × 10^-a) / (du × su × 10^-(b+c)) = u × 10^(b+c) / (du × su × 10^a)
    const num = this.units * pow10(d.scale + s.scale);
    const den = d.units * s.units * pow10(this.scale);
    return new Decimal(divRound(num, den, mode) * s.units, s.scale);
  }

  /** Plain notation, no exponent, no trailing zeros: "12345", "-0.00001". */
  toString(): string {
    const negative = this.units < 0n;
    let digits = (negative ? -this.units : this.units).toString();
    if (this.scale === 0) return (negative ? '-' : '') + digits;
    if (digits.length <= this.scale) digits = '0'.repeat(this.scale - digits.length + 1) + digits;
    const cut = digits.length - this.scale;
    const fraction = digits.slice(cut).replace(/0+$/, '');
    return `${negative ? '-' : ''}${digits.slice(0, cut)}${fraction ? '.' + fraction : ''}`;
  }

  toJSON(): string {
    return this.toString();
  }

  /** The double nearest to this exact decimal (what an exchange API takes). */
  toNumber(): number {
    // Both operands exact doubles (|units| ≤ 2^53, 10^scale ≤ 10^22), so the one IEEE
    // division is correctly rounded: the same nearest double as parsing the decimal text.
    if (this.scale <= 22 && this.units <= MAX_EXACT && this.units >= -MAX_EXACT) {
      return this.scale === 0 ? Number(this.units) : Number(this.units) / NUM_POW10[this.scale]!;
    }
    return Number(this.toString());
  }
}

/** Shorthand for `Decimal.from`. */
export function dec(x: DecimalInput): Decimal {
  return Decimal.from(x);
}
