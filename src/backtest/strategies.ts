/**
 * `--strategy none|static:R|model|all` (or a comma-separated list of those). Every
 * strategy is a model version run through the same engine:
 *   none      → the static ratio 0 (the engine decides "no change" for every signal)
 *   static:R  → the static ratio R in [0, 1] (src/model/static-model.ts)
 *   model     → the active model (the article's, or `--model FILE`)
 *   all       → none, static:0.5, static:1, model
 */
import { HedgehookError } from '../core/errors.ts';
import type { ModelVersion } from '../core/model.ts';
import { staticModel } from '../model/static-model.ts';
import type { StrategySpec } from './replay.ts';

const STATIC = /^static:(\d+(?:\.\d+)?|\.\d+)$/;

export function parseStrategies(text: string, active: ModelVersion): StrategySpec[] {
  const out: StrategySpec[] = [];
  const add = (spec: StrategySpec) => {
    if (!out.some((s) => s.name === spec.name)) out.push(spec);
  };
  for (const raw of text.split(',')) {
    const name = raw.trim();
    if (name === 'all') {
      add({ name: 'none', model: staticModel(0) });
      add({ name: 'static:0.5', model: staticModel(0.5) });
      add({ name: 'static:1', model: staticModel(1) });
      add({ name: 'model', model: active });
      continue;
    }
    if (name === 'none') {
      add({ name, model: staticModel(0) });
      continue;
    }
    if (name === 'model') {
      add({ name, model: active });
      continue;
    }
    const m = STATIC.exec(name);
    if (m) {
      const ratio = Number(m[1]);
      if (ratio > 1) throw new HedgehookError('HH_ERR_USAGE', `--strategy ${name}: the ratio must be between 0 and 1`);
      add({ name: `static:${ratio}`, model: staticModel(ratio) });
      continue;
    }
    throw new HedgehookError('HH_ERR_USAGE', `--strategy must be none, static:R (0 ≤ R ≤ 1), model or all, not "${name}"`);
  }
  return out;
}
