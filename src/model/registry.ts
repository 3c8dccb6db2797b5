/**
 * The pure part of the model registry: what a stored version is, how it is validated
 * when read back from the journal or given by a user, and an in-memory `ModelStore`
 * (the reference behaviour the journal's implementation must match, and a test double).
 * The types and the port live in src/core/model.ts so the journal can implement it
 * while importing only core.
 */
import { z } from 'zod';
import { HedgehookError } from '../core/errors.ts';
import { FEATURE_NAMES, sameModel, type ModelActivation, type ModelStore, type ModelVersion } from '../core/model.ts';
import { DEFAULT_MODEL } from './linear-model.ts';

export type { FeatureName, ModelActivation, ModelFit, ModelMeta, ModelStore, ModelVersion, RatioUplift } from '../core/model.ts';
export { DEFAULT_MODEL, DEFAULT_MODEL_VERSION } from './linear-model.ts';
export { sameModel } from '../core/model.ts';

const epochMs = z.number().int().min(0);
// zod 4 numbers are finite: NaN and ±Infinity fail.
const weight = z.number().min(0, 'weights must be ≥ 0');

const weightsSchema = z.strictObject(
  Object.fromEntries(FEATURE_NAMES.map((n) => [n, weight])) as Record<(typeof FEATURE_NAMES)[number], typeof weight>,
);

const upliftSchema = z
  .strictObject({
    factor: z.number().positive().max(10),
    weekdays: z
      .array(z.number().int().min(0).max(6))
      .min(1)
      .refine((d) => new Set(d).size === d.length, 'weekdays must be unique'),
    fromHourUtc: z.number().int().min(0).max(23),
    toHourUtc: z.number().int().min(1).max(24),
  })
  .refine((u) => u.fromHourUtc < u.toHourUtc, { message: 'fromHourUtc must be before toHourUtc', path: ['toHourUtc'] });

const fitSchema = z
  .strictObject({
    dataset: z.string().min(1),
    from: epochMs,
    to: epochMs,
    samples: z.number().int().min(0).optional(),
    metrics: z.record(z.string(), z.number()).optional(),
  })
  .refine((f) => f.from < f.to, { message: 'from must be before to', path: ['to'] });

export const modelVersionSchema = z.strictObject({
  kind: z.literal('linear'),
  version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'version: 1–64 letters, digits, ".", "_" or "-"'),
  weights: weightsSchema,
  intercept: z.number().min(0, 'intercept must be ≥ 0').max(1, 'intercept must be ≤ 1').optional(),
  uplift: upliftSchema.nullable(),
  meta: z.strictObject({
    description: z.string().max(500).optional(),
    createdAt: epochMs,
    createdBy: z.string().min(1),
    parent: z.string().min(1).optional(),
    fittedOn: fitSchema.optional(),
  }),
});

/** Validates a stored or user-given version; HH_ERR_MODEL_INVALID with one line per mistake. */
export function parseModelVersion(input: unknown): ModelVersion {
  const result = modelVersionSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(model)'}: ${i.message}`);
    throw new HedgehookError('HH_ERR_MODEL_INVALID', lines.join('; '));
  }
  return result.data as ModelVersion;
}

/** Reference `ModelStore`: what the journal's implementation must do, in memory. */
export class InMemoryModelStore implements ModelStore {
  private readonly versions = new Map<string, ModelVersion>();
  private readonly history: ModelActivation[] = [];
  private readonly fallback: ModelVersion;

  /** The built-in default is stored from the start, so `model list` shows it. */
  constructor(defaultModel: ModelVersion = DEFAULT_MODEL) {
    this.fallback = parseModelVersion(defaultModel);
    this.versions.set(this.fallback.version, this.fallback);
  }

  async list(): Promise<ModelVersion[]> {
    return [...this.versions.values()];
  }

  async get(version: string): Promise<ModelVersion | undefined> {
    return this.versions.get(version);
  }

  async active(): Promise<ModelVersion> {
    const last = this.history[this.history.length - 1];
    return (last && this.versions.get(last.version)) ?? this.fallback;
  }

  async put(model: ModelVersion): Promise<void> {
    const valid = parseModelVersion(model);
    const existing = this.versions.get(valid.version);
    if (existing) {
      if (sameModel(existing, valid)) return;
      throw new HedgehookError('HH_ERR_MODEL_VERSION_EXISTS', `model version ${valid.version} already exists with different content`);
    }
    this.versions.set(valid.version, valid);
  }

  async setActive(version: string, activation: Omit<ModelActivation, 'version'>): Promise<void> {
    if (!this.versions.has(version)) throw new HedgehookError('HH_ERR_MODEL_NOT_FOUND', `no model version ${version}`);
    this.history.push({ version, ...activation });
  }

  async activations(): Promise<ModelActivation[]> {
    return [...this.history];
  }
}
