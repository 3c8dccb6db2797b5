/**
 * The alert rules: pure functions of a snapshot of the service's state. No I/O, no clock
 * (the snapshot carries `now`), so each rule is tested by building a snapshot.
 *
 * A rule returns the conditions that hold now. Rules with hysteresis (venue, margin, ack
 * latency) also get the keys that were firing after the last evaluation: a firing alert
 * resolves only once its value is clearly back (below the recover line), so a value that
 * hovers around the threshold does not fire and resolve on every evaluation.
 */
import type { AlertsConfig } from './config.ts';

export const RULES = ['venue', 'dlq', 'silence', 'ack-latency', 'kill-switch', 'margin'] as const;
export type RuleName = (typeof RULES)[number];
export type Severity = 'critical' | 'warning';

export interface VenueReading {
  venue: string;
  /** From health checks; null when never checked. */
  up: boolean | null;
  reason: string | null;
  /** The latest orders judged (see the venue settings) and how many failed or timed out. */
  total: number;
  failed: number;
}

export interface MarginReading {
  account: string;
  venue: string;
  symbol: string;
  /** 0 = no margin used, 1 = liquidation. */
  ratio: number;
  /** Where the figure came from: the venue, or an estimate from the reported position. */
  from: 'venue' | 'position';
}

export interface AlertSnapshot {
  now: number;
  /** When monitoring started: a source never heard from is silent since then. */
  startedAt: number;
  /** Configured webhook sources and when each last sent a webhook that got through. */
  sources: { name: string; lastSeenAt?: number }[];
  dlqSize: number;
  killSwitch: { halted: boolean; reason?: string; by?: string };
  /** The configured quantile of ack latency over the configured window. */
  ack: { valueMs: number | null; samples: number };
  venues: VenueReading[];
  margins: MarginReading[];
}

export interface Condition {
  /** Stable identity: the same problem keeps the same key while it lasts. */
  key: string;
  rule: RuleName;
  severity: Severity;
  /** One line for a human. */
  summary: string;
  labels: Record<string, string>;
}

export type RuleSettings = Pick<AlertsConfig, 'venue' | 'dlq' | 'silence' | 'ackLatency' | 'killSwitch' | 'margin'>;

function venueRule(s: AlertSnapshot, cfg: RuleSettings['venue'], firing: ReadonlySet<string>): Condition[] {
  if (!cfg.enabled) return [];
  const out: Condition[] = [];
  for (const v of s.venues) {
    const key = `venue:${v.venue}`;
    const share = v.total === 0 ? 0 : v.failed / v.total;
    const failing = firing.has(key)
      ? v.total > 0 && share > cfg.recoverRatio
      : v.total >= cfg.minOrders && share >= cfg.failRatio;
    if (v.up === false) {
      out.push({ key, rule: 'venue', severity: 'critical', summary: `venue ${v.venue} is down${v.reason ? `: ${v.reason}` : ''}`, labels: { venue: v.venue, state: 'down' } });
    } else if (failing) {
      out.push({
        key,
        rule: 'venue',
        severity: 'critical',
        summary: `venue ${v.venue} is failing: ${v.failed} of its last ${v.total} orders failed or timed out`,
        labels: { venue: v.venue, state: 'failing' },
      });
    }
  }
  return out;
}

function dlqRule(s: AlertSnapshot, cfg: RuleSettings['dlq']): Condition[] {
  if (!cfg.enabled || s.dlqSize < cfg.minSize) return [];
  const n = s.dlqSize;
  return [{
    key: 'dlq',
    rule: 'dlq',
    severity: 'warning',
    summary: `${n} signal${n === 1 ? '' : 's'} in the dead-letter queue: list with \`hedgehook dlq list\`, replay once the cause is fixed`,
    labels: { size: String(n) },
  }];
}

function silenceRule(s: AlertSnapshot, cfg: RuleSettings['silence']): Condition[] {
  const out: Condition[] = [];
  for (const src of s.sources) {
    const after = cfg.sources?.[src.name] ?? cfg.afterMs;
    if (after === undefined) continue;
    const since = src.lastSeenAt ?? s.startedAt;
    const quiet = s.now - since;
    if (quiet < after) continue;
    const minutes = Math.floor(quiet / 60_000);
    out.push({
      key: `silence:${src.name}`,
      rule: 'silence',
      severity: 'warning',
      summary: `no webhook from source ${src.name} for ${minutes} min${src.lastSeenAt === undefined ? ' (none since start-up)' : ''}: is the strategy or its alert still running?`,
      labels: { source: src.name },
    });
  }
  return out;
}

function ackRule(s: AlertSnapshot, cfg: RuleSettings['ackLatency'], firing: ReadonlySet<string>): Condition[] {
  if (!cfg.enabled || s.ack.valueMs === null) return [];
  const key = 'ack-latency';
  const breached = firing.has(key)
    ? s.ack.samples > 0 && s.ack.valueMs > cfg.objectiveMs
    : s.ack.samples >= cfg.minSamples && s.ack.valueMs > cfg.objectiveMs;
  if (!breached) return [];
  const q = `p${Math.round(cfg.quantile * 1000) / 10}`;
  return [{
    key,
    rule: 'ack-latency',
    severity: 'warning',
    summary: `webhook ack latency ${q} is ${s.ack.valueMs.toPrecision(3)} ms over the last ${Math.round(cfg.windowMs / 60_000)} min, above the ${cfg.objectiveMs} ms objective`,
    labels: { quantile: q },
  }];
}

function killSwitchRule(s: AlertSnapshot, cfg: RuleSettings['killSwitch']): Condition[] {
  if (!cfg.enabled || !s.killSwitch.halted) return [];
  const { reason, by } = s.killSwitch;
  return [{
    key: 'kill-switch',
    rule: 'kill-switch',
    severity: 'warning',
    summary: `kill switch engaged${by ? ` by ${by}` : ''}${reason ? `: ${reason}` : ''}; no new orders until resumed`,
    labels: {},
  }];
}

function marginRule(s: AlertSnapshot, cfg: RuleSettings['margin'], firing: ReadonlySet<string>): Condition[] {
  if (!cfg.enabled) return [];
  const out: Condition[] = [];
  for (const m of s.margins) {
    const key = `margin:${m.account}:${m.venue}:${m.symbol}`;
    const near = firing.has(key) ? m.ratio >= cfg.recoverRatio : m.ratio >= cfg.ratio;
    if (!near) continue;
    out.push({
      key,
      rule: 'margin',
      severity: 'critical',
      summary: `${m.symbol} on ${m.venue} (account ${m.account}) is near liquidation: margin ratio ${(m.ratio * 100).toFixed(0)}%${m.from === 'position' ? ' (estimated from the reported position)' : ''}`,
      labels: { account: m.account, venue: m.venue, symbol: m.symbol },
    });
  }
  return out;
}

/** Every condition that holds in `s`; `firing` is what fired after the last evaluation. */
export function evaluateRules(s: AlertSnapshot, cfg: RuleSettings, firing: ReadonlySet<string> = new Set()): Condition[] {
  return [
    ...venueRule(s, cfg.venue, firing),
    ...dlqRule(s, cfg.dlq),
    ...silenceRule(s, cfg.silence),
    ...ackRule(s, cfg.ackLatency, firing),
    ...killSwitchRule(s, cfg.killSwitch),
    ...marginRule(s, cfg.margin, firing),
  ];
}

/**
 * Margin ratio estimated from a reported position when the venue gives none: the share
 * of the initial margin (1 / leverage of the notional) the adverse move has eaten. It
 * ignores the maintenance margin, so the real liquidation comes somewhat earlier: the
 * default 0.8 threshold leaves room for that. Null when the position, its entry, its
 * leverage or the mark is unknown.
 */
export function estimatedMarginRatio(p: { side: string; size: number; entryPrice?: number; leverage?: number }, mark: number | null): number | null {
  if (p.side === 'flat' || !(p.size > 0) || !(p.entryPrice && p.entryPrice > 0) || !(p.leverage && p.leverage > 0) || mark === null || !(mark > 0)) return null;
  const move = (mark - p.entryPrice) / p.entryPrice;
  const adverse = p.side === 'long' ? -move : move;
  return Math.max(0, adverse * p.leverage);
}
