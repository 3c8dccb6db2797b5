/**
 * The signal payload of DESIGN.md ("Signal payload"): validated, range-checked and
 * normalised into a core `SignalPayload`. Lenient where TradingView forces it (numbers
 * rendered inside quotes, `buy`/`sell`, negative position sizes, exchange tickers),
 * strict everywhere else: a hedging service must not guess what a malformed number meant.
 */
import { z } from 'zod';
import { HedgehookError } from '../core/errors.ts';
import { ACTIONS, POSITION_SIDES, type Action, type PositionReport, type PositionSide, type SignalPayload } from '../core/signal.ts';
import { parseJsonBytes } from './json.ts';
import { SYMBOL_HINT, tryNormaliseSymbol } from './symbol.ts';

/** Far above any real price or size, far below where float arithmetic loses whole units. */
export const MAX_PRICE = 1e12;
export const MAX_SIZE = 1e15;
export const MAX_LEVERAGE = 125;
/** Signal times outside [2000-01-01, 3000-01-01) are typos or unit mix-ups. */
const MIN_TIME_MS = Date.UTC(2000, 0, 1);
const MAX_TIME_MS = Date.UTC(3000, 0, 1);
/** Below this an epoch number is in seconds (1e11 s is the year 5138; 1e11 ms is 1973). */
const SECONDS_BELOW = 1e11;

const ID = /^[A-Za-z0-9._:-]{1,64}$/;
/** No `|`: it separates account and symbol in the partition key. */
const ACCOUNT = /^[A-Za-z0-9._:-]{1,64}$/;
/**
 * Printable text without control characters; `type` is shown on the dashboard. Also no
 * lone surrogates (not Unicode: UTF-8 cannot carry them, so they would come back as U+FFFD)
 * and no bidirectional overrides or isolates, which can make one label read as another.
 */
const LABEL = /^[^\p{Cc}\p{Cs}\u202a-\u202e\u2066-\u2069]{1,64}$/u;
/** A plain decimal: no hex, no `Infinity`, no empty string (which `Number` would read as 0). */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** ISO-8601 date-time with an explicit zone: without one, Date.parse uses the server's local time. */
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:?\d{2})$/;

const ACTION_ALIASES: ReadonlyMap<string, Action> = new Map<string, Action>([
  ...ACTIONS.map((a): [string, Action] => [a, a]),
  // TradingView's {{strategy.order.action}}: an order happened, the position changed.
  ['buy', 'update'],
  ['sell', 'update'],
]);
const ACTION_MESSAGE = `must be one of ${ACTIONS.join(', ')}, buy, sell`;

/** `null` means "not given": many senders serialise a missing value as null. */
const absent = (v: unknown) => (v === null ? undefined : v);

/** Accepts numbers and decimal strings (TradingView placeholders often render inside quotes). */
function numeric(v: unknown): unknown {
  if (typeof v === 'string' && v.length <= 64) {
    const t = v.trim();
    if (DECIMAL.test(t)) return Number(t);
  }
  return v;
}

const typeMessage = (what: string) => (issue: { input: unknown }) =>
  issue.input === undefined ? 'required' : `must be ${what}`;

function number(min: number, max: number, opts: { exclusiveMin?: boolean; range: string }) {
  const n = z.number({ error: typeMessage('a finite number') });
  return z.preprocess(
    numeric,
    (opts.exclusiveMin ? n.gt(min, { error: opts.range }) : n.min(min, { error: opts.range })).max(max, { error: opts.range }),
  );
}

const optional = <T extends z.ZodType>(schema: T) => z.preprocess(absent, schema.optional());

const price = number(0, MAX_PRICE, { exclusiveMin: true, range: `must be greater than 0 and at most ${MAX_PRICE}` });

function label(re: RegExp, what: string) {
  return z.string({ error: typeMessage('a string') }).regex(re, { error: what });
}

const action = z
  .string({ error: (issue) => (issue.input === undefined ? 'required' : ACTION_MESSAGE) })
  .transform((v, ctx): Action => {
    const a = v.length <= 16 ? ACTION_ALIASES.get(v.trim().toLowerCase()) : undefined;
    if (a === undefined) {
      ctx.issues.push({ code: 'custom', message: ACTION_MESSAGE, input: v });
      return z.NEVER;
    }
    return a;
  });

const symbol = z.string({ error: typeMessage('a string') }).transform((v, ctx) => {
  const s = tryNormaliseSymbol(v);
  if (s === undefined) {
    ctx.issues.push({ code: 'custom', message: SYMBOL_HINT, input: v });
    return z.NEVER;
  }
  return s;
});

const TIME_MESSAGE = 'must be an ISO-8601 date-time with a zone (e.g. 2026-11-24T01:30:00Z) or epoch seconds/milliseconds, between 2000 and 3000';

const time = z.unknown().transform((v, ctx): number => {
  let ms = Number.NaN;
  const n = numeric(v);
  if (typeof n === 'number') {
    if (Number.isFinite(n) && n > 0) ms = Math.round(n < SECONDS_BELOW ? n * 1000 : n);
  } else if (typeof v === 'string' && v.length <= 40) {
    const m = ISO_DATE_TIME.exec(v.trim());
    // Date.parse rolls 2026-02-30 over into March; a date that does not exist is refused.
    if (m && Number(m[3]) <= new Date(Date.UTC(Number(m[1]), Number(m[2]), 0)).getUTCDate()) {
      ms = Date.parse(v.trim().replace(' ', 'T'));
    }
  }
  if (!(ms >= MIN_TIME_MS && ms < MAX_TIME_MS)) {
    ctx.issues.push({ code: 'custom', message: TIME_MESSAGE, input: v });
    return z.NEVER;
  }
  return ms;
});

const side = z.string({ error: typeMessage('long, short or flat') }).transform((v, ctx): PositionSide => {
  const s = v.trim().toLowerCase();
  if (!(POSITION_SIDES as readonly string[]).includes(s)) {
    ctx.issues.push({ code: 'custom', message: 'must be long, short or flat', input: v });
    return z.NEVER;
  }
  return s as PositionSide;
});

const position = z
  .object(
    {
      side: optional(side),
      // Signed here: TradingView's {{strategy.position_size}} is negative for shorts.
      size: number(-MAX_SIZE, MAX_SIZE, { range: `must be at most ${MAX_SIZE} in absolute value` }),
      entryPrice: optional(price),
      leverage: optional(number(1, MAX_LEVERAGE, { range: `must be between 1 and ${MAX_LEVERAGE}` })),
    },
    { error: typeMessage('an object') },
  )
  .transform((p, ctx) => {
    const size = Math.abs(p.size);
    const implied: PositionSide = p.size < 0 ? 'short' : p.size > 0 ? 'long' : 'flat';
    const side = p.side ?? implied;
    // A contradiction (a negative size said to be long, a "flat" position with a size) is
    // refused: hedging the wrong direction is worse than not hedging.
    if ((p.size < 0 && side !== 'short') || (side === 'flat' && size !== 0)) {
      ctx.issues.push({ code: 'custom', message: `side ${side} contradicts size ${p.size}`, input: p, path: ['side'] });
      return z.NEVER;
    }
    const out: PositionReport = { side, size };
    if (p.entryPrice !== undefined) out.entryPrice = p.entryPrice;
    if (p.leverage !== undefined) out.leverage = p.leverage;
    return out;
  });

/** zod v4 object: unknown keys (including own `__proto__`/`constructor` keys from JSON.parse) are stripped. */
export const payloadSchema = z
  .object(
    {
      id: optional(label(ID, 'must be 1 to 64 characters of A-Z a-z 0-9 . _ : -')),
      account: optional(label(ACCOUNT, 'must be 1 to 64 characters of A-Z a-z 0-9 . _ : -')),
      symbol,
      action,
      type: optional(label(LABEL, 'must be 1 to 64 characters without control characters')),
      strength: optional(number(0, 1, { range: 'must be between 0 and 1' })),
      price: optional(price),
      time: optional(time),
      position: optional(position),
    },
    { error: (issue) => (issue.input === undefined ? 'required' : 'payload must be a JSON object') },
  )
  .transform((p): SignalPayload => {
    // Built field by field so the result has no keys with undefined values.
    const out: SignalPayload = { account: p.account ?? 'main', symbol: p.symbol, action: p.action };
    if (p.id !== undefined) out.id = p.id;
    if (p.type !== undefined) out.type = p.type;
    if (p.strength !== undefined) out.strength = p.strength;
    if (p.price !== undefined) out.price = p.price;
    if (p.time !== undefined) out.time = p.time;
    if (p.position !== undefined) out.position = p.position;
    return out;
  });

/** One line naming every failing field, e.g. `strength: must be between 0 and 1; symbol: required`. */
export function formatPayloadIssues(issues: z.ZodError['issues']): string {
  const seen = new Set<string>();
  for (const issue of issues) {
    const where = issue.path.length ? issue.path.join('.') : 'payload';
    const line = where === 'payload' && issue.message.startsWith('payload') ? issue.message : `${where}: ${issue.message}`;
    seen.add(line);
  }
  return [...seen].join('; ');
}

/** Validates a parsed JSON value; throws HH_ERR_INVALID_PAYLOAD with one line naming the field(s). */
export function validatePayload(value: unknown): SignalPayload {
  const result = payloadSchema.safeParse(value);
  if (!result.success) throw new HedgehookError('HH_ERR_INVALID_PAYLOAD', formatPayloadIssues(result.error.issues));
  return result.data;
}

/** Strict UTF-8, bounded-depth JSON, then validation: for callers with raw bytes (CLI, backtest files). */
export function parsePayload(body: Uint8Array): SignalPayload {
  return validatePayload(parseJsonBytes(body).value);
}
