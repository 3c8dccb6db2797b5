/**
 * A static hedge ratio as a model version: every weight 0, no uplift, the ratio as the
 * intercept. The backtest compares "hedge a fixed R" with the dynamic model by running
 * both through the same decision stage (features → model → target → risk guard → router),
 * so the only difference between the strategies is the ratio the model returns.
 */
import { HedgehookError } from '../core/errors.ts';
import { FEATURE_NAMES, type FeatureName, type ModelVersion } from '../core/model.ts';

const ZERO_WEIGHTS: Readonly<Record<FeatureName, number>> = Object.freeze(
  Object.fromEntries(FEATURE_NAMES.map((n) => [n, 0])) as Record<FeatureName, number>,
);

/** `static-<R>`: the ratio R in [0, 1] for every signal. */
export function staticModel(ratio: number, createdAt = 0): ModelVersion {
  if (!(Number.isFinite(ratio) && ratio >= 0 && ratio <= 1)) {
    throw new HedgehookError('HH_ERR_INVALID_NUMBER', `a static hedge ratio must be in [0, 1], got ${ratio}`);
  }
  return {
    kind: 'linear',
    version: `static-${ratio}`,
    weights: { ...ZERO_WEIGHTS },
    intercept: ratio,
    uplift: null,
    meta: { description: `static hedge ratio ${ratio}`, createdAt, createdBy: 'hedgehook' },
  };
}
