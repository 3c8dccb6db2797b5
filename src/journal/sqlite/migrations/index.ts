import type { Migration } from '../migrate.ts';
import { migration as m001 } from './001-initial.ts';
import { migration as m002 } from './002-models.ts';
import { migration as m003 } from './003-order-legs.ts';
import { migration as m004 } from './004-lean-writes.ts';
import { migration as m005 } from './005-one-signal-index.ts';
import { migration as m006 } from './006-plain-event-keys.ts';
import { migration as m007 } from './007-id-index-apart.ts';
import { migration as m008 } from './008-scheduled-runs.ts';

/** Every schema migration, in version order. Append new ones; never edit a released one. */
export const MIGRATIONS: readonly Migration[] = [m001, m002, m003, m004, m005, m006, m007, m008];
