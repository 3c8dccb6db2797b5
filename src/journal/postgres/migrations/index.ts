import type { PostgresMigration } from '../migrate.ts';
import { migration as m001 } from './001-journal.ts';
import { migration as m002 } from './002-models-controls.ts';
import { migration as m003 } from './003-order-legs.ts';
import { migration as m004 } from './004-key-reads.ts';
import { migration as m005 } from './005-scheduled-runs.ts';
import { migration as m006 } from './006-append-function.ts';

/** Every PostgreSQL schema migration, in version order. Append new ones; never edit a released one. */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [m001, m002, m003, m004, m005, m006];
