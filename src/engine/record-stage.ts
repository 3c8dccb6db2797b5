/**
 * The pipeline's first stage: the signal is already normalised and journaled; this step
 * settles it with what it recorded. Later stages (model, risk, router) replace it; until
 * then a signal is honestly reported as not hedged, with the reason.
 */
import type { Delivery, SignalProcessor } from '../core/ports.ts';
import type { ProcessingOutcome } from '../core/signal.ts';

export const RECORD_ONLY_REASON = 'recorded; no hedging stage is enabled yet';

export function createRecordStage(): SignalProcessor {
  return async (delivery: Delivery): Promise<ProcessingOutcome> => ({
    state: 'skipped',
    reason: RECORD_ONLY_REASON,
    decision: { symbol: delivery.payload.symbol, action: delivery.payload.action },
  });
}
