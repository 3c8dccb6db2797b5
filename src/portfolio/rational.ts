/**
 * Exact fractions (bigint numerator / positive denominator, always reduced), for the one
 * place where decimal arithmetic is not closed: an average-cost position releases
 * cost × (closed / open) on a partial close, e.g. 5 USDT of cost over 3 TRX. Kept as a
 * fraction, realised plus unrealised PnL add up to exactly proceeds − cost, with no
 * residue of 1e-17 after a hundred partial closes.
 */
import { Decimal, divRound, type DecimalInput, type RoundingMode } from '../core/decimal.ts';
import { HedgehookError } from '../core/errors.ts';

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

export class Rational {
  static readonly ZERO = new Rational(0n, 1n);
  readonly n: bigint;
  readonly d: bigint;

  private constructor(n: bigint, d: bigint) {
    if (d === 0n) throw new HedgehookError('HH_ERR_INVALID_NUMBER', 'zero denominator');
    if (d < 0n) [n, d] = [-n, -d];
    const g = gcd(n, d);
    this.n = g > 1n ? n / g : n;
    this.d = g > 1n ? d / g : d;
  }

  static of(n: bigint, d: bigint = 1n): Rational {
    return new Rational(n, d);
  }

  static from(x: Rational | DecimalInput): Rational {
    if (x instanceof Rational) return x;
    const dec = Decimal.from(x);
    return new Rational(dec.units, 10n ** BigInt(dec.scale));
  }

  /** Reads `toString()` output: a decimal ("-1.25") or a fraction ("10/3"). */
  static parse(text: string): Rational {
    const slash = text.indexOf('/');
    if (slash < 0) return Rational.from(text);
    const n = text.slice(0, slash).trim();
    const d = text.slice(slash + 1).trim();
    if (!/^-?\d+$/.test(n) || !/^\d+$/.test(d)) throw new HedgehookError('HH_ERR_INVALID_NUMBER', `not a fraction: ${text}`);
    return new Rational(BigInt(n), BigInt(d));
  }

  add(o: Rational): Rational {
    return new Rational(this.n * o.d + o.n * this.d, this.d * o.d);
  }
  sub(o: Rational): Rational {
    return new Rational(this.n * o.d - o.n * this.d, this.d * o.d);
  }
  mul(o: Rational): Rational {
    return new Rational(this.n * o.n, this.d * o.d);
  }
  div(o: Rational): Rational {
    return new Rational(this.n * o.d, this.d * o.n);
  }
  neg(): Rational {
    return new Rational(-this.n, this.d);
  }
  sign(): -1 | 0 | 1 {
    return this.n < 0n ? -1 : this.n > 0n ? 1 : 0;
  }
  isZero(): boolean {
    return this.n === 0n;
  }
  eq(o: Rational): boolean {
    return this.n === o.n && this.d === o.d;
  }

  /** Rounded to `digits` decimals; the only lossy exit, used for display. */
  toDecimal(digits: number, mode: RoundingMode = 'half-up'): Decimal {
    const scale = 10n ** BigInt(digits);
    return Decimal.of(divRound(this.n * scale, this.d, mode), digits);
  }

  /** A double for display (via 20 decimals; within an ulp of the exact value). */
  toNumber(): number {
    if (this.d === 1n) return Number(this.n);
    return this.toDecimal(20).toNumber();
  }

  /** Exact: a plain decimal when the denominator is 2^a·5^b, else "n/d". JSON-safe. */
  toString(): string {
    let d = this.d;
    let twos = 0;
    let fives = 0;
    while (d % 2n === 0n) {
      d /= 2n;
      twos++;
    }
    while (d % 5n === 0n) {
      d /= 5n;
      fives++;
    }
    if (d !== 1n) return `${this.n}/${this.d}`;
    return this.toDecimal(Math.max(twos, fives), 'down').toString();
  }

  toJSON(): string {
    return this.toString();
  }
}
