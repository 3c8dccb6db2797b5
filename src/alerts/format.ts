/**
 * The request body of a notification in each sink's format. `json` is our own shape for
 * any HTTP receiver (Alertmanager-like fields); slack, discord and telegram are the bodies
 * their incoming-webhook / bot APIs take.
 */
import type { AlertFormat } from './config.ts';
import type { Notification } from './manager.ts';

export interface FormatOptions {
  format: AlertFormat;
  telegramChatId?: string | number;
  /** Names the service in the text (several instances may post to one channel). */
  service?: string;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** One line for chat sinks, e.g. "🔴 FIRING [critical] venue backup is down: … (hedgehook)". */
export function notificationText(n: Notification, service = 'hedgehook'): string {
  const head = n.status === 'firing' ? `🔴 FIRING [${n.alert.severity}]` : '✅ RESOLVED';
  const held = n.suppressed > 0 ? ` (${n.suppressed} more alert${n.suppressed === 1 ? '' : 's'} held back by the rate limit)` : '';
  return `${head} ${n.alert.summary} (${service})${held}`;
}

export function formatNotification(n: Notification, opts: FormatOptions): unknown {
  const service = opts.service ?? 'hedgehook';
  switch (opts.format) {
    case 'json':
      return {
        service,
        status: n.status,
        key: n.alert.key,
        rule: n.alert.rule,
        severity: n.alert.severity,
        summary: n.alert.summary,
        labels: n.alert.labels,
        startsAt: iso(n.startsAt),
        endsAt: iso(n.endsAt),
        suppressed: n.suppressed,
      };
    case 'slack':
      return { text: notificationText(n, service) };
    case 'discord':
      // No pings: an alert text must not be able to @everyone a server.
      return { content: notificationText(n, service).slice(0, 2000), allowed_mentions: { parse: [] } };
    case 'telegram':
      return { chat_id: opts.telegramChatId, text: notificationText(n, service), disable_web_page_preview: true };
  }
}
