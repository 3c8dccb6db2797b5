/**
 * `--signals FILE`: JSON lines of the webhook payload (DESIGN.md), each with its `time`.
 * Every line is validated exactly as a webhook body is (src/ingest/payload.ts); blank
 * lines and lines starting with `#` are skipped. The replay trades one main position, so
 * every signal must be for the backtest's symbol and one account. Signals are replayed in
 * time order (a stable sort: equal times keep the file's order).
 *
 * Problems are reported as `file:line: reason`, all of them in one HH_ERR_INVALID_PAYLOAD.
 */
import { readFile } from 'node:fs/promises';
import { HedgehookError, isHedgehookError } from '../core/errors.ts';
import { parseJsonText } from '../ingest/json.ts';
import { validatePayload } from '../ingest/payload.ts';
import type { TimedSignal } from './reference-signals.ts';

const MAX_REPORTED = 20;

export function parseSignalLines(text: string, source: string, symbol: string): TimedSignal[] {
  const problems: string[] = [];
  const out: TimedSignal[] = [];
  let account: string | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${source}:${i + 1}`;
    try {
      const payload = validatePayload(parseJsonText(line));
      if (payload.time === undefined) throw new HedgehookError('HH_ERR_INVALID_PAYLOAD', 'time: required in a backtest (when the signal was sent)');
      if (payload.symbol !== symbol) throw new HedgehookError('HH_ERR_INVALID_PAYLOAD', `symbol: ${payload.symbol} is not the backtest's symbol ${symbol}`);
      account ??= payload.account;
      if (payload.account !== account) throw new HedgehookError('HH_ERR_INVALID_PAYLOAD', `account: ${payload.account}, but earlier lines are for ${account} (one account per backtest)`);
      out.push({ id: payload.id ?? `line-${i + 1}`, time: payload.time, payload });
    } catch (err) {
      problems.push(`${where}: ${isHedgehookError(err) ? err.message : String(err)}`);
    }
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_REPORTED);
    const more = problems.length > shown.length ? `\n… and ${problems.length - shown.length} more bad lines` : '';
    throw new HedgehookError('HH_ERR_INVALID_PAYLOAD', shown.join('\n') + more);
  }
  if (out.length === 0) throw new HedgehookError('HH_ERR_INVALID_PAYLOAD', `${source}: no signals`);
  return out.map((s, k) => ({ s, k })).sort((a, b) => a.s.time - b.s.time || a.k - b.k).map(({ s }) => s);
}

export async function readSignalFile(path: string, symbol: string): Promise<TimedSignal[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new HedgehookError(code === 'ENOENT' ? 'HH_ERR_FILE_NOT_FOUND' : 'HH_ERR_INVALID_PAYLOAD', `${path}: cannot read (${code ?? 'unreadable'})`);
  }
  return parseSignalLines(text, path, symbol);
}

/** The signals as JSON lines (times in ISO-8601 UTC), e.g. to keep the reference bot's. */
export function signalLines(signals: readonly TimedSignal[]): string {
  return signals.map((s) => JSON.stringify({ ...s.payload, id: s.id, time: new Date(s.time).toISOString() })).join('\n') + '\n';
}
