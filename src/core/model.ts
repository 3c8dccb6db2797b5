/**
 * Hedge-model versions and the port of the model registry. A model is data, so the
 * journal can store every version, the CLI can show and switch them, and a backtest
 * can replay history with the exact weights that were live at the time.
 * Validation lives in src/model/registry.ts; the journal implements `ModelStore`.
 */

export const FEATURE_NAMES = ['positionSize', 'signalStrength', 'volatility', 'riskTolerance', 'timeOfDay'] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** When the ratio is multiplied by `factor` (then clamped to [0, 1]). */
export interface RatioUplift {
  factor: number;
  /** UTC days, 0 = Sunday … 6 = Saturday (as `Date#getUTCDay`). */
  weekdays: number[];
  /** Inclusive start hour, UTC, 0..23. */
  fromHourUtc: number;
  /** Exclusive end hour, UTC, 1..24. */
  toHourUtc: number;
}

export interface ModelFit {
  /** What the weights were fitted on: a data set name, a file hash, "journal". */
  dataset: string;
  /** The fitted period, epoch ms, [from, to). */
  from: number;
  to: number;
  samples?: number;
  /** Out-of-sample metrics that justified the promotion (e.g. netPnl, maxDrawdown). */
  metrics?: Record<string, number>;
}

export interface ModelMeta {
  description?: string;
  createdAt: number;
  createdBy: string;
  /** The version this one was derived from, if any. */
  parent?: string;
  /** Absent for hand-set models (such as the article's default). */
  fittedOn?: ModelFit;
}

/** One immutable version of the linear hedge model. */
export interface ModelVersion {
  kind: 'linear';
  /** Unique, e.g. `article-v1`, `fit-2026-W47`. */
  version: string;
  /** Non-negative, so that every feature can only push the ratio up. */
  weights: Record<FeatureName, number>;
  /**
   * A constant term in [0, 1] added before the clamp (absent = 0). With every weight 0 and
   * no uplift the model is a static hedge ratio (`staticModel` in src/model/static-model.ts),
   * so a static hedge runs through exactly the same decision path as a fitted model.
   */
  intercept?: number;
  uplift: RatioUplift | null;
  meta: ModelMeta;
}

/** Who made a version the active one, and when (the audit trail; roll back = use an older one). */
export interface ModelActivation {
  version: string;
  at: number;
  by: string;
  reason?: string;
}

export interface ModelStore {
  /** Every stored version, oldest first. */
  list(): Promise<ModelVersion[]>;
  get(version: string): Promise<ModelVersion | undefined>;
  /** The active version; the built-in default when none was ever activated. */
  active(): Promise<ModelVersion>;
  /**
   * Stores a version. Versions are immutable: putting the same content again is a no-op;
   * a different model under an existing version fails with HH_ERR_MODEL_VERSION_EXISTS.
   * Implementations validate with `parseModelVersion` (HH_ERR_MODEL_INVALID).
   */
  put(model: ModelVersion): Promise<void>;
  /** Makes a stored version active (HH_ERR_MODEL_NOT_FOUND otherwise) and records who and when. */
  setActive(version: string, activation: Omit<ModelActivation, 'version'>): Promise<void>;
  /** Activations, oldest first. */
  activations(): Promise<ModelActivation[]>;
}

/** JSON with object keys sorted, so that two versions compare by content, not key order. */
export function canonicalModelJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Same content (key order ignored): putting it again under its version is a no-op. */
export function sameModel(a: ModelVersion, b: ModelVersion): boolean {
  return canonicalModelJson(a) === canonicalModelJson(b);
}
