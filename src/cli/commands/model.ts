/**
 * `hedgehook model list|show|use|add|explain`: the model registry in the data dir of a
 * running or stopped service (a `use` applies to the service's next decision), and the
 * explanation of one signal, which needs no data dir.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { HedgehookError, isHedgehookError } from '../../core/errors.ts';
import type { ModelActivation, ModelVersion } from '../../core/model.ts';
import { parseJsonText } from '../../ingest/json.ts';
import { validatePayload } from '../../ingest/payload.ts';
import { parseExplainContext } from '../../model/explain-context.ts';
import { explain } from '../../model/linear-model.ts';
import { DEFAULT_MODEL, parseModelVersion } from '../../model/registry.ts';
import { featureSettings } from '../config.ts';
import { dirOptions, whoAmI, withState, type DirOptions } from '../data-dir.ts';
import { existingFile, loadConfig } from '../options.ts';
import { registerModelFit } from './model-fit.ts';

/** JSON from a flag, or one line naming the flag. */
function jsonFlag(flag: string, text: string): unknown {
  try {
    return parseJsonText(text);
  } catch (err) {
    throw new HedgehookError('HH_ERR_USAGE', `${flag}: ${isHedgehookError(err) ? err.message.replace(/^body (is )?/, '') : 'not valid JSON'}`);
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function fitted(m: ModelVersion): string {
  const f = m.meta.fittedOn;
  return f ? `${f.dataset} ${iso(f.from).slice(0, 10)}..${iso(f.to).slice(0, 10)}` : '-';
}

function lastActivation(history: ModelActivation[], version: string): ModelActivation | undefined {
  for (let i = history.length - 1; i >= 0; i--) if (history[i]!.version === version) return history[i];
  return undefined;
}

export function registerModel(program: Command): void {
  const model = program.command('model').description('inspect, switch and roll back hedge-model versions; explain a decision');
  registerModelFit(model);

  dirOptions(model.command('list').description('every stored version, oldest first; * marks the active one'))
    .option('--json', 'print JSON')
    .action(async (opts: DirOptions & { json?: boolean }) => {
      await withState(opts, async ({ models }) => {
        const [all, active, history] = await Promise.all([models.list(), models.active(), models.activations()]);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ active: active.version, models: all, activations: history }, null, 2)}\n`);
          return;
        }
        const rows = all.map((m) => {
          const used = lastActivation(history, m.version);
          return [
            `${m.version === active.version ? '*' : ' '} ${m.version}`,
            iso(m.meta.createdAt).slice(0, 19) + 'Z',
            m.meta.createdBy,
            fitted(m),
            used ? `${used.by} ${iso(used.at).slice(0, 19)}Z` : '-',
            (m.meta.description ?? '').slice(0, 60),
          ];
        });
        process.stdout.write(`${table(['  VERSION', 'CREATED', 'BY', 'FITTED ON', 'LAST USED', 'DESCRIPTION'], rows)}\n`);
      });
    });

  dirOptions(model.command('show').argument('[version]', 'a stored version (default: the active one)').description('one version as JSON: {model, active, activations}'))
    .action(async (version: string | undefined, opts: DirOptions) => {
      await withState(opts, async ({ models }) => {
        const active = await models.active();
        const m = version === undefined ? active : await models.get(version);
        if (!m) throw new HedgehookError('HH_ERR_MODEL_NOT_FOUND', `no model version ${version} (see hedgehook model list)`);
        const activations = (await models.activations()).filter((a) => a.version === m.version);
        process.stdout.write(`${JSON.stringify({ model: m, active: m.version === active.version, activations }, null, 2)}\n`);
      });
    });

  dirOptions(model.command('use').argument('<version>', 'a stored version').description('make a version the active one (also how to roll back); the service uses it for its next decision'))
    .option('--by <name>', 'who decided (default: the OS user)')
    .option('--reason <text>', 'why, for the audit trail')
    .action(async (version: string, opts: DirOptions & { by?: string; reason?: string }) => {
      const by = whoAmI(opts.by);
      await withState(opts, async ({ models }) => {
        const before = await models.active();
        await models.setActive(version, { at: Date.now(), by, ...(opts.reason ? { reason: opts.reason } : {}) });
        process.stdout.write(`active model: ${version} (was ${before.version})\n`);
      });
    });

  dirOptions(model.command('add').description('store a version from a JSON file (versions are immutable)'))
    .requiredOption('--file <file>', 'the version as JSON: {kind, version, weights, uplift, meta}', existingFile)
    .action(async (opts: DirOptions & { file: string }) => {
      const parsed = parseModelVersion(jsonFlag('--file', readFileSync(opts.file, 'utf8')));
      await withState(opts, async ({ models }) => {
        await models.put(parsed);
        process.stdout.write(`stored model ${parsed.version} (activate it with: hedgehook model use ${parsed.version})\n`);
      });
    });

  model
    .command('explain')
    .description('the ratio of one signal, with the features and the contribution of each, as JSON')
    .requiredOption('--json <signal>', 'the signal payload, as sent to the webhook')
    .option('--context <json>', 'overrides: {"volatility": 0.35, "riskTolerance": 0.5, "equity": 10000, "markPrice", "leverage"}')
    .option('--config <file>', 'configuration file for the defaults (env HEDGEHOOK_CONFIG)')
    .option('--data-dir <dir>', "explain with this service's active model (default: the built-in article-v1)")
    .action(async (opts: { json: string; context?: string; config?: string; dataDir?: string }) => {
      const config = loadConfig(opts.config, process.env);
      const payload = validatePayload(jsonFlag('--json', opts.json));
      const context = parseExplainContext(opts.context === undefined ? undefined : jsonFlag('--context', opts.context), config.account, Date.now());
      let version = DEFAULT_MODEL;
      if (opts.dataDir !== undefined) version = await withState({ dataDir: opts.dataDir }, ({ models }) => models.active(), config);
      const output = explain(payload, context, version, featureSettings(config));
      process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
    });
}
