/**
 * The default hedge model: linear in the features, clamped to [0, 1], with a time-window
 * uplift (DESIGN.md, "The default hedge model").
 *
 *   base  = clamp(intercept + Σ_f weight_f × feature_f, 0, 1)   (sum in FEATURE_NAMES order;
 *                                                                  intercept absent = 0)
 *   ratio = uplift window ? clamp(base × factor, 0, 1) : base
 *
 * The uplift window is tested on the signal's time (the clock's when the payload has
 * none), the same time the timeOfDay feature uses: with the article's uplift, Monday to
 * Friday, 01:00 ≤ UTC time < 04:00, ratio × 1.2. Leverage enters through positionSize,
 * so higher leverage hedges more. With non-negative weights and a factor ≥ 1 the ratio
 * is monotone in every feature.
 *
 * `contributions` holds weight × feature for each feature plus `uplift`, the amount the
 * uplift added (ratio − base), so the journal shows where every part of the ratio came from.
 * A model with an intercept also shows it as `intercept` (absent otherwise, so the output of
 * the article's model is unchanged).
 */
import { FEATURE_NAMES, type FeatureName, type ModelVersion, type RatioUplift } from '../core/model.ts';
import type { SignalPayload } from '../core/signal.ts';
import {
  DEFAULT_FEATURE_SETTINGS,
  clamp01,
  computeFeatures,
  utcHourAndWeekday,
  type FeatureContext,
  type FeatureRaw,
  type FeatureSet,
  type FeatureSettings,
} from './features.ts';

export const ARTICLE_WEIGHTS: Readonly<Record<FeatureName, number>> = Object.freeze({
  positionSize: 0.35,
  signalStrength: 0.25,
  volatility: 0.2,
  riskTolerance: 0.15,
  timeOfDay: 0.05,
});

/** Weekdays (Mon–Fri), 01:00 inclusive to 04:00 exclusive UTC, ×1.2. */
export const ARTICLE_UPLIFT: Readonly<RatioUplift> = Object.freeze({
  factor: 1.2,
  weekdays: Object.freeze([1, 2, 3, 4, 5]) as number[],
  fromHourUtc: 1,
  toHourUtc: 4,
});

export const DEFAULT_MODEL_VERSION = 'article-v1';

/** The article's model, the active one until another version is promoted. */
export const DEFAULT_MODEL: Readonly<ModelVersion> = Object.freeze({
  kind: 'linear',
  version: DEFAULT_MODEL_VERSION,
  weights: ARTICLE_WEIGHTS as Record<FeatureName, number>,
  uplift: ARTICLE_UPLIFT as RatioUplift,
  meta: Object.freeze({
    description: 'weights of the article: position 0.35, strength 0.25, volatility 0.20, risk tolerance 0.15, time of day 0.05; weekdays 01–04 UTC ×1.2',
    createdAt: 0,
    createdBy: 'hedgehook',
  }),
}) as ModelVersion;

export type ContributionName = FeatureName | 'uplift';

/** The weighted terms; `intercept` only for a model that has one. */
export type Contributions = Record<ContributionName, number> & { intercept?: number };

/** Exactly the contract of `hedgehook model explain`. */
export interface ModelOutput {
  ratio: number;
  features: Record<FeatureName, number>;
  contributions: Contributions;
  modelVersion: string;
}

export interface ModelEvaluation extends ModelOutput {
  /** intercept + Σ weight × feature before any clamp. */
  weightedSum: number;
  /** clamp(weightedSum, 0, 1), before the uplift. */
  baseRatio: number;
  uplift: { active: boolean; factor: number };
  raw: FeatureRaw;
}

/** Whether the uplift applies at `time` (epoch ms, judged in UTC). */
export function upliftApplies(uplift: RatioUplift | null, time: number): boolean {
  if (!uplift) return false;
  const { hour, weekday } = utcHourAndWeekday(time);
  return uplift.weekdays.includes(weekday) && hour >= uplift.fromHourUtc && hour < uplift.toHourUtc;
}

/** The model over already computed features. */
export function evaluate(model: ModelVersion, features: FeatureSet): ModelEvaluation {
  const contributions = {} as Contributions;
  let weightedSum = 0;
  if (model.intercept !== undefined && model.intercept !== 0) {
    contributions.intercept = model.intercept;
    weightedSum = model.intercept;
  }
  for (const name of FEATURE_NAMES) {
    const term = model.weights[name] * features.values[name];
    contributions[name] = term;
    weightedSum += term;
  }
  const baseRatio = clamp01(weightedSum);
  const active = upliftApplies(model.uplift, features.raw.signalTime);
  const factor = active && model.uplift ? model.uplift.factor : 1;
  const ratio = active ? clamp01(baseRatio * factor) : baseRatio;
  contributions.uplift = ratio - baseRatio;
  return {
    ratio,
    features: { ...features.values },
    contributions,
    modelVersion: model.version,
    weightedSum,
    baseRatio,
    uplift: { active, factor },
    raw: features.raw,
  };
}

/** Features, then the model: the first half of the decision stage. */
export function evaluateSignal(
  payload: SignalPayload,
  context: FeatureContext,
  model: ModelVersion = DEFAULT_MODEL,
  settings: FeatureSettings = DEFAULT_FEATURE_SETTINGS,
): ModelEvaluation {
  return evaluate(model, computeFeatures(payload, context, settings));
}

/** `hedgehook model explain`: exactly `{ratio, features, contributions, modelVersion}`. */
export function explain(
  payload: SignalPayload,
  context: FeatureContext,
  model: ModelVersion = DEFAULT_MODEL,
  settings: FeatureSettings = DEFAULT_FEATURE_SETTINGS,
): ModelOutput {
  const e = evaluateSignal(payload, context, model, settings);
  return { ratio: e.ratio, features: e.features, contributions: e.contributions, modelVersion: e.modelVersion };
}
