/**
 * The features of the hedge model, each normalised to [0, 1], and the raw inputs they
 * came from (so a decision can always be explained). Pure: time comes in `context.now`
 * (from the Clock port), never from the wall clock.
 *
 * Every feature is monotone in its input, and is built from correctly rounded, monotone
 * floating-point steps, so "more of X never hedges less" holds exactly, not just
 * approximately (see test/model/properties.test.ts).
 *
 * | feature          | formula                                                                          |
 * | ---------------- | -------------------------------------------------------------------------------- |
 * | `positionSize`   | x = |size| × price × leverage / equity; saturating: 1 − k / (x + k), k = `halfAt` |
 * |                  | (x = k scores 0.5; default k = 5), or linear: min(x / `fullAt`, 1)                 |
 * | `signalStrength` | clamp(payload.strength ?? `defaultStrength`, 0, 1)                               |
 * | `volatility`     | clamp(σ / `volatilityFullScale`, 0, 1); σ annualised (0.35 = 35%), default 1.0   |
 * |                  | so TRX at ≈35% scores ≈0.35; σ = context.volatility ?? `defaultVolatility`       |
 * | `riskTolerance`  | aversion = 1 − clamp(tolerance, 0, 1): a higher tolerance hedges less            |
 * | `timeOfDay`      | `hourlyRisk[UTC hour of the signal time]` (table below)                          |
 *
 * The position is the payload's, else the venue-reported one in `context.position`; it is
 * valued at the market price (`context.markPrice`), else the signal's price, else its entry
 * price. Leverage is the position's, else `context.leverage`, else `defaultLeverage` (1).
 * With equity ≤ 0 any open position scores 1 (the account cannot carry it).
 */
import type { FeatureName } from '../core/model.ts';
import type { PositionReport, PositionSide, SignalPayload } from '../core/signal.ts';
import { HedgehookError } from '../core/errors.ts';

export { FEATURE_NAMES, type FeatureName } from '../core/model.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * Risk score of each UTC hour of a crypto perpetual (24/7 market), 0 = calm and deep,
 * 1 = thin and jumpy. A heuristic, not a fit; the learner may replace it.
 * - 00 funding settlement (Binance/Bybit at 00, 08, 16 UTC) and the daily candle roll → 0.6
 * - 01–03 the Asian session's thin liquidity, the article's uplift window → 0.8
 * - 04–07 Asia active, Europe not yet open → 0.6 … 0.4
 * - 08 funding settlement and the London open → 0.5
 * - 09–12 Europe, deep books → 0.3
 * - 13–14 US macro releases (12:30/13:30) and the US equity open (13:30/14:30) → 0.4, 0.5
 * - 15 → 0.4; 16 funding settlement → 0.5; 17–19 US afternoon, Europe + US overlap ended → 0.3
 * - 20–21 US equity close → 0.4, 0.5; 22–23 between the US close and Asia, thinnest → 0.6
 */
export const HOURLY_RISK: readonly number[] = Object.freeze([
  0.6, 0.8, 0.8, 0.8, 0.6, 0.5, 0.4, 0.4, // 00–07
  0.5, 0.3, 0.3, 0.3, 0.3, 0.4, 0.5, 0.4, // 08–15
  0.5, 0.3, 0.3, 0.3, 0.4, 0.5, 0.6, 0.6, // 16–23
]);

export type PositionCurve = { kind: 'saturating'; halfAt: number } | { kind: 'linear'; fullAt: number };

/** Defaults of the configuration; `hedgehook model explain` uses them for what the context omits. */
export interface FeatureSettings {
  /** Strength when the payload gives none. */
  defaultStrength: number;
  /** Annualised volatility when neither the market-data feed nor the context gives one. */
  defaultVolatility: number;
  /** Annualised volatility that scores 1. */
  volatilityFullScale: number;
  /** How the leverage-scaled exposure multiple maps to [0, 1]. */
  positionCurve: PositionCurve;
  defaultLeverage: number;
  /** 24 scores in [0, 1], index = UTC hour. */
  hourlyRisk: readonly number[];
}

export const DEFAULT_FEATURE_SETTINGS: Readonly<FeatureSettings> = Object.freeze({
  defaultStrength: 0.5,
  defaultVolatility: 0.35,
  volatilityFullScale: 1.0,
  positionCurve: Object.freeze({ kind: 'saturating', halfAt: 5 }) as PositionCurve,
  defaultLeverage: 1,
  hourlyRisk: HOURLY_RISK,
});

/** What the decision knows besides the payload. */
export interface FeatureContext {
  /** Epoch ms, from the Clock port; the signal's time when the payload has none. */
  now: number;
  /** Account equity, quote currency (USDT). */
  equity: number;
  /** 0..1 from the account configuration. */
  riskTolerance: number;
  /** Annualised realised volatility (0.35 = 35%), e.g. from `EwmaVolatility`. */
  volatility?: number;
  /** Current market (mark) price of the symbol. */
  markPrice?: number;
  /** The venue-reported position, used when the payload carries none. */
  position?: PositionReport;
  /** Leverage when the position does not say. */
  leverage?: number;
}

/** The raw inputs behind the features, for `explain` and the journal. */
export interface FeatureRaw {
  positionSide: PositionSide;
  positionSize: number;
  positionSource: 'payload' | 'context' | 'none';
  price: number | null;
  priceSource: 'market' | 'signal' | 'entry' | 'none';
  notional: number;
  leverage: number;
  equity: number;
  /** |size| × price × leverage / equity. */
  exposureMultiple: number;
  strength: number;
  strengthSource: 'payload' | 'default';
  volatility: number;
  volatilitySource: 'context' | 'default';
  riskTolerance: number;
  signalTime: number;
  timeSource: 'payload' | 'clock';
  utcHour: number;
  /** 0 = Sunday … 6 = Saturday. */
  utcWeekday: number;
}

export interface FeatureSet {
  values: Record<FeatureName, number>;
  raw: FeatureRaw;
}

function finite(name: string, x: number): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) {
    throw new HedgehookError('HH_ERR_INVALID_NUMBER', `${name} must be a finite number, got ${String(x)}`);
  }
  return x;
}

export function clamp01(x: number): number {
  return x <= 0 ? 0 : x >= 1 ? 1 : x;
}

/** positionSize from the exposure multiple x ≥ 0 (see the table at the top). */
export function positionSizeFeature(exposureMultiple: number, curve: PositionCurve = DEFAULT_FEATURE_SETTINGS.positionCurve): number {
  const x = exposureMultiple;
  if (!(x > 0)) return 0;
  if (curve.kind === 'linear') return clamp01(x / curve.fullAt);
  if (x === Infinity) return 1;
  // 1 − k/(x + k) rather than x/(x + k): each step is monotone in x, so the feature is too.
  return clamp01(1 - curve.halfAt / (x + curve.halfAt));
}

export function signalStrengthFeature(strength: number | undefined, defaultStrength: number): number {
  return clamp01(strength ?? defaultStrength);
}

/** Annualised volatility σ (0.35 = 35%) → [0, 1]: σ / fullScale, clamped. */
export function volatilityFeature(annualised: number, fullScale: number): number {
  return clamp01(annualised / fullScale);
}

/** The aversion, 1 − tolerance. */
export function riskToleranceFeature(tolerance: number): number {
  return 1 - clamp01(tolerance);
}

/** UTC hour (0..23) and weekday (0 = Sunday) of an epoch-ms time, by integer arithmetic. */
export function utcHourAndWeekday(time: number): { hour: number; weekday: number } {
  const hours = Math.floor(time / HOUR_MS);
  const days = Math.floor(time / DAY_MS);
  // 1970-01-01 was a Thursday (4).
  return { hour: ((hours % 24) + 24) % 24, weekday: (((days + 4) % 7) + 7) % 7 };
}

export function timeOfDayFeature(time: number, table: readonly number[] = HOURLY_RISK): number {
  return clamp01(table[utcHourAndWeekday(time).hour] ?? 0);
}

function signedExposureSide(position: PositionReport | undefined): { side: PositionSide; size: number } {
  if (!position || position.side === 'flat') return { side: 'flat', size: 0 };
  return { side: position.side, size: Math.abs(finite('position.size', position.size)) };
}

export function computeFeatures(
  payload: SignalPayload,
  context: FeatureContext,
  settings: FeatureSettings = DEFAULT_FEATURE_SETTINGS,
): FeatureSet {
  const now = finite('context.now', context.now);
  const equity = finite('context.equity', context.equity);
  const tolerance = finite('context.riskTolerance', context.riskTolerance);

  // positionSize
  const positionSource = payload.position ? 'payload' : context.position ? 'context' : 'none';
  const position = payload.position ?? context.position;
  const { side, size } = signedExposureSide(position);
  let price: number | null = null;
  let priceSource: FeatureRaw['priceSource'] = 'none';
  if (context.markPrice !== undefined) [price, priceSource] = [finite('context.markPrice', context.markPrice), 'market'];
  else if (payload.price !== undefined) [price, priceSource] = [finite('payload.price', payload.price), 'signal'];
  else if (position?.entryPrice !== undefined) [price, priceSource] = [finite('position.entryPrice', position.entryPrice), 'entry'];
  if (size > 0 && (price === null || price <= 0)) {
    throw new HedgehookError('HH_ERR_PRICE_UNAVAILABLE', `no price to value the ${payload.symbol} position (no market, signal or entry price)`);
  }
  const leverage = finite('leverage', position?.leverage ?? context.leverage ?? settings.defaultLeverage);
  if (leverage <= 0) throw new HedgehookError('HH_ERR_INVALID_NUMBER', `leverage must be positive, got ${leverage}`);
  const notional = size > 0 ? size * (price as number) : 0;
  const exposureMultiple = notional === 0 ? 0 : equity > 0 ? (notional * leverage) / equity : Infinity;

  // signalStrength
  const strength = finite('strength', payload.strength ?? settings.defaultStrength);

  // volatility
  const volatility = finite('volatility', context.volatility ?? settings.defaultVolatility);

  // timeOfDay
  const signalTime = finite('payload.time', payload.time ?? now);
  const { hour, weekday } = utcHourAndWeekday(signalTime);

  const values: Record<FeatureName, number> = {
    positionSize: positionSizeFeature(exposureMultiple, settings.positionCurve),
    signalStrength: signalStrengthFeature(strength, settings.defaultStrength),
    volatility: volatilityFeature(volatility, settings.volatilityFullScale),
    riskTolerance: riskToleranceFeature(tolerance),
    timeOfDay: clamp01(settings.hourlyRisk[hour] ?? 0),
  };
  return {
    values,
    raw: {
      positionSide: side,
      positionSize: size,
      positionSource,
      price,
      priceSource,
      notional,
      leverage,
      equity,
      exposureMultiple,
      strength,
      strengthSource: payload.strength === undefined ? 'default' : 'payload',
      volatility,
      volatilitySource: context.volatility === undefined ? 'default' : 'context',
      riskTolerance: tolerance,
      signalTime,
      timeSource: payload.time === undefined ? 'clock' : 'payload',
      utcHour: hour,
      utcWeekday: weekday,
    },
  };
}
