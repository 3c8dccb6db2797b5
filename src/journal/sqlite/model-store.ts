/**
 * The model registry in the journal's SQLite file (tables of migration 002): the same
 * semantics as the reference InMemoryModelStore (src/model/registry.ts), checked by one
 * contract suite against both (test/journal/model-store.test.ts).
 *
 * - the built-in default (`article-v1`) is stored when the store opens, so it is listed
 *   and can be rolled back to from the start; with no activation it is the active one;
 * - versions are immutable: the same content again is a no-op, a different one under the
 *   same version fails (HH_ERR_MODEL_VERSION_EXISTS); a check-then-insert in one
 *   BEGIN IMMEDIATE transaction, so two processes cannot both insert;
 * - every version is validated going in and coming out. The validator is injected
 *   (`parseModelVersion` from src/model/registry.ts) because the journal imports only core;
 * - `active()` runs once per decision: it reads the latest activation's row id and only
 *   parses a version the first time it is seen (versions never change), so a `model use`
 *   by the CLI on a running service's data dir applies to its next decision.
 */
import type { Database as Db, Statement } from 'better-sqlite3';
import { HedgehookError } from '../../core/errors.ts';
import { sameModel, type ModelActivation, type ModelStore, type ModelVersion } from '../../core/model.ts';
import { guarded, migrateConnection, openStateConnection, type StateConnectionOptions } from './connection.ts';
import { activationOf, deepFreeze, type ActivationRow, type ModelStoreOptions } from '../model-row.ts';

export interface SqliteModelStoreOptions extends StateConnectionOptions, ModelStoreOptions {}

export class SqliteModelStore implements ModelStore {
  private readonly db: Db;
  private readonly owned: boolean;
  private readonly validate: (input: unknown) => ModelVersion;
  private readonly defaultVersion: string;
  /** Parsed versions by name; safe to keep, a version never changes once stored. */
  private readonly parsed = new Map<string, ModelVersion>();
  private cachedActive: { seq: number; model: ModelVersion } | undefined;
  private readonly s: {
    list: Statement;
    get: Statement;
    insert: Statement;
    latestActivation: Statement;
    insertActivation: Statement;
    activations: Statement;
  };

  /** `db`: an open connection to the journal file (migrated here if needed), or its path. */
  constructor(db: Db | string, options: SqliteModelStoreOptions) {
    this.owned = typeof db === 'string';
    this.db = typeof db === 'string' ? openStateConnection(db, options) : db;
    try {
      if (!this.owned) migrateConnection(this.db, options);
      this.validate = options.validate;
      this.s = {
        list: this.db.prepare('SELECT body FROM models ORDER BY seq').pluck(),
        get: this.db.prepare('SELECT body FROM models WHERE version = ?').pluck(),
        insert: this.db.prepare(
          `INSERT INTO models (version, kind, body, created_at, created_by, fitted_dataset, fitted_from, fitted_to)
           VALUES (@version, @kind, @body, @createdAt, @createdBy, @dataset, @from, @to)`,
        ),
        latestActivation: this.db.prepare('SELECT seq, version, at, by, reason FROM model_activations ORDER BY seq DESC LIMIT 1'),
        insertActivation: this.db.prepare('INSERT INTO model_activations (version, at, by, reason) VALUES (?, ?, ?, ?)'),
        activations: this.db.prepare('SELECT seq, version, at, by, reason FROM model_activations ORDER BY seq'),
      };
      const fallback = this.validate(options.defaultModel);
      this.defaultVersion = fallback.version;
      // Stored once; a version is immutable, so a stored default is never overwritten.
      guarded('cannot store the default model', () => this.insertIfMissing(fallback));
    } catch (err) {
      if (this.owned) this.db.close();
      throw err;
    }
  }

  async list(): Promise<ModelVersion[]> {
    const bodies = guarded('cannot read the model registry', () => this.s.list.all() as string[]);
    return bodies.map((b) => this.parse(b));
  }

  async get(version: string): Promise<ModelVersion | undefined> {
    return this.read(version);
  }

  async active(): Promise<ModelVersion> {
    const row = guarded('cannot read the active model', () => this.s.latestActivation.get() as ActivationRow | undefined);
    const seq = row?.seq ?? 0;
    if (this.cachedActive?.seq === seq) return this.cachedActive.model;
    const model = (row && this.read(row.version)) ?? this.read(this.defaultVersion);
    if (!model) throw new HedgehookError('HH_ERR_MODEL_NOT_FOUND', `the default model ${this.defaultVersion} is missing from the journal`);
    this.cachedActive = { seq, model };
    return model;
  }

  async put(model: ModelVersion): Promise<void> {
    const valid = this.validate(model);
    guarded('cannot store the model', () =>
      this.db
        .transaction(() => {
          const existing = this.read(valid.version);
          if (existing) {
            if (sameModel(existing, valid)) return;
            throw new HedgehookError('HH_ERR_MODEL_VERSION_EXISTS', `model version ${valid.version} already exists with different content`);
          }
          this.insertIfMissing(valid);
        })
        .immediate(),
    );
  }

  async setActive(version: string, activation: Omit<ModelActivation, 'version'>): Promise<void> {
    guarded('cannot record the model activation', () =>
      this.db
        .transaction(() => {
          if (this.s.get.get(version) === undefined) throw new HedgehookError('HH_ERR_MODEL_NOT_FOUND', `no model version ${version}`);
          this.s.insertActivation.run(version, activation.at, activation.by, activation.reason ?? null);
        })
        .immediate(),
    );
  }

  async activations(): Promise<ModelActivation[]> {
    const rows = guarded('cannot read the model activations', () => this.s.activations.all() as ActivationRow[]);
    return rows.map(activationOf);
  }

  /** Closes the connection when this store opened it (from a path). */
  close(): void {
    if (this.owned && this.db.open) this.db.close();
  }

  private insertIfMissing(m: ModelVersion): void {
    if (this.s.get.get(m.version) !== undefined) return;
    this.s.insert.run({
      version: m.version,
      kind: m.kind,
      body: JSON.stringify(m),
      createdAt: m.meta.createdAt,
      createdBy: m.meta.createdBy,
      dataset: m.meta.fittedOn?.dataset ?? null,
      from: m.meta.fittedOn?.from ?? null,
      to: m.meta.fittedOn?.to ?? null,
    });
  }

  private read(version: string): ModelVersion | undefined {
    const cached = this.parsed.get(version);
    if (cached) return cached;
    const body = guarded('cannot read the model registry', () => this.s.get.get(version) as string | undefined);
    return body === undefined ? undefined : this.parse(body);
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
