/**
 * What the SQLite and PostgreSQL model registries share: their options, a row of
 * `model_activations` as an activation, and freezing the versions they hand out (a cached
 * version is shared by every decision; nobody may change it).
 */
import type { ModelActivation, ModelVersion } from '../core/model.ts';

export interface ModelStoreOptions {
  /** The built-in default, stored when missing and active until another version is used. */
  defaultModel: ModelVersion;
  /** Validates a version (HH_ERR_MODEL_INVALID): `parseModelVersion`. */
  validate: (input: unknown) => ModelVersion;
}

export interface ActivationRow {
  seq: number;
  version: string;
  at: number;
  by: string;
  reason: string | null;
}

export function activationOf(r: ActivationRow): ModelActivation {
  const a: ModelActivation = { version: r.version, at: r.at, by: r.by };
  if (r.reason !== null) a.reason = r.reason;
  return a;
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
