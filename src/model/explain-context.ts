/**
 * The `--context JSON` of `hedgehook model explain` (and any API that explains a signal):
 * `volatility` (annualised, 0.35 = 35%), `riskTolerance` (0..1) and `equity` (USDT), each
 * optional, missing ones taken from the configuration's defaults. `markPrice` and
 * `leverage` are accepted as extensions. Unknown keys are mistakes (a typo must not be
 * silently ignored).
 */
import { z } from 'zod';
import { HedgehookError } from '../core/errors.ts';
import type { FeatureContext } from './features.ts';

export const explainContextSchema = z.strictObject({
  volatility: z.number().min(0).optional(),
  riskTolerance: z.number().min(0).max(1).optional(),
  equity: z.number().positive().optional(),
  markPrice: z.number().positive().optional(),
  leverage: z.number().positive().optional(),
});

export type ExplainContextInput = z.infer<typeof explainContextSchema>;

/** The configuration's account defaults (`account.riskTolerance`, `account.equity`). */
export interface ContextDefaults {
  riskTolerance: number;
  equity: number;
  /** Annualised; when absent the feature settings' `defaultVolatility` applies. */
  volatility?: number;
}

export const DEFAULT_CONTEXT: Readonly<ContextDefaults> = Object.freeze({ riskTolerance: 0.5, equity: 10_000 });

/** Validates `input` (parsed JSON or undefined) into a FeatureContext; HH_ERR_BAD_REQUEST otherwise. */
export function parseExplainContext(input: unknown, defaults: ContextDefaults, now: number): FeatureContext {
  const result = explainContextSchema.safeParse(input ?? {});
  if (!result.success) {
    const lines = result.error.issues.map((i) => `context${i.path.length ? '.' + i.path.join('.') : ''}: ${i.message}`);
    throw new HedgehookError('HH_ERR_BAD_REQUEST', lines.join('; '));
  }
  const c = result.data;
  const context: FeatureContext = {
    now,
    riskTolerance: c.riskTolerance ?? defaults.riskTolerance,
    equity: c.equity ?? defaults.equity,
  };
  const volatility = c.volatility ?? defaults.volatility;
  if (volatility !== undefined) context.volatility = volatility;
  if (c.markPrice !== undefined) context.markPrice = c.markPrice;
  if (c.leverage !== undefined) context.leverage = c.leverage;
  return context;
}
