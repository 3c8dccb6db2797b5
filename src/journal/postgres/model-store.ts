/**
 * The model registry in PostgreSQL (tables of migration 002): the semantics of the SQLite
 * store (src/journal/sqlite/model-store.ts, same contract suite). Versions are immutable;
 * `put` inserts with ON CONFLICT DO NOTHING and then compares, so two processes storing the
 * same version at once both succeed and a different model under that version fails.
 * `active()` runs once per decision: one indexed read, versions parsed once and cached
 * (a version never changes), so `model use` from any process applies to the next decision
 * of every process.
 */
import { HedgehookError } from '../../core/errors.ts';
import { sameModel, type ModelActivation, type ModelStore, type ModelVersion } from '../../core/model.ts';
import type { PostgresDatabase } from './database.ts';
import { activationOf, deepFreeze, type ActivationRow, type ModelStoreOptions } from '../model-row.ts';

export type PostgresModelStoreOptions = ModelStoreOptions;

export class PostgresModelStore implements ModelStore {
  private readonly parsed = new Map<string, ModelVersion>();
  private cachedActive: { seq: number; model: ModelVersion } | undefined;

  private constructor(
    private readonly db: PostgresDatabase,
    private readonly validate: (input: unknown) => ModelVersion,
    private readonly defaultVersion: string,
  ) {}

  /** Opens the store on a migrated database and stores the default version when missing. */
  static async open(db: PostgresDatabase, options: PostgresModelStoreOptions): Promise<PostgresModelStore> {
    const fallback = options.validate(options.defaultModel);
    const store = new PostgresModelStore(db, options.validate, fallback.version);
    await store.insert(fallback);
    return store;
  }

  async list(): Promise<ModelVersion[]> {
    const rows = await this.db.query<{ body: string }>('cannot read the model registry', 'SELECT body FROM models ORDER BY seq');
    return rows.map((r) => this.parse(r.body));
  }

  async get(version: string): Promise<ModelVersion | undefined> {
    return this.read(version);
  }

  async active(): Promise<ModelVersion> {
    const rows = await this.db.query<ActivationRow>('cannot read the active model', 'SELECT seq, version FROM model_activations ORDER BY seq DESC LIMIT 1');
    const row = rows[0];
    const seq = row?.seq ?? 0;
    if (this.cachedActive?.seq === seq) return this.cachedActive.model;
    const model = (row && (await this.read(row.version))) ?? (await this.read(this.defaultVersion));
    if (!model) throw new HedgehookError('HH_ERR_MODEL_NOT_FOUND', `the default model ${this.defaultVersion} is missing from the journal`);
    this.cachedActive = { seq, model };
    return model;
  }

  async put(model: ModelVersion): Promise<void> {
    const valid = this.validate(model);
    if (await this.insert(valid)) return;
    const existing = await this.read(valid.version);
    if (existing && sameModel(existing, valid)) return;
    throw new HedgehookError('HH_ERR_MODEL_VERSION_EXISTS', `model version ${valid.version} already exists with different content`);
  }

  async setActive(version: string, activation: Omit<ModelActivation, 'version'>): Promise<void> {
    // The foreign key makes "stored" and "activated" one atomic check.
    const rows = await this.db.query<{ seq: number }>(
      'cannot record the model activation',
      'INSERT INTO model_activations (version, at, by, reason) SELECT version, $2, $3, $4 FROM models WHERE version = $1 RETURNING seq',
      [version, activation.at, activation.by, activation.reason ?? null],
    );
    if (rows.length === 0) throw new HedgehookError('HH_ERR_MODEL_NOT_FOUND', `no model version ${version}`);
  }

  async activations(): Promise<ModelActivation[]> {
    const rows = await this.db.query<ActivationRow>('cannot read the model activations', 'SELECT seq, version, at, by, reason FROM model_activations ORDER BY seq');
    return rows.map(activationOf);
  }

  /** True when this call stored the version. */
  private async insert(m: ModelVersion): Promise<boolean> {
    const rows = await this.db.query<{ seq: number }>(
      'cannot store the model',
      `INSERT INTO models (version, kind, body, created_at, created_by, fitted_dataset, fitted_from, fitted_to)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (version) DO NOTHING RETURNING seq`,
      [m.version, m.kind, JSON.stringify(m), m.meta.createdAt, m.meta.createdBy, m.meta.fittedOn?.dataset ?? null, m.meta.fittedOn?.from ?? null, m.meta.fittedOn?.to ?? null],
    );
    return rows.length === 1;
  }

  private async read(version: string): Promise<ModelVersion | undefined> {
    const cached = this.parsed.get(version);
    if (cached) return cached;
    const rows = await this.db.query<{ body: string }>('cannot read the model registry', 'SELECT body FROM models WHERE version = $1', [version]);
    return rows[0] ? this.parse(rows[0].body) : undefined;
  }

  private parse(body: string): ModelVersion {
    let raw: unknown;
    try {
      raw = JSON.parse(body);
    } catch {
      throw new HedgehookError('HH_ERR_MODEL_INVALID', 'a stored model version is not valid JSON');
    }
    const version = (raw as { version?: unknown }).version;
    const cached = typeof version === 'string' ? this.parsed.get(version) : undefined;
    if (cached) return cached;
    const model = deepFreeze(this.validate(raw));
    this.parsed.set(model.version, model);
    return model;
  }
}
