/**
 * The `alerts` section of the configuration. Every rule has a default, so the rules are
 * evaluated (and shown on the dashboard) even with no sink; notifications are posted only
 * when `url` or `urlEnv` is set. Mount it in the configuration as
 * `alerts: alertsConfigSchema.prefault({})`.
 */
import { z } from 'zod';

const ms = (def: number) => z.number().int().min(0).default(def);

export const alertsConfigSchema = z
  .strictObject({
    /** Where notifications are POSTed. Slack, Discord and Telegram URLs embed a secret: prefer urlEnv. */
    url: z.url({ protocol: /^https?$/ }).optional(),
    /** The environment variable holding the URL. */
    urlEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name').optional(),
    format: z.enum(['json', 'slack', 'discord', 'telegram']).default('json'),
    /** Telegram's `chat_id` (the URL is https://api.telegram.org/bot<token>/sendMessage). */
    telegramChatId: z.union([z.string().min(1), z.number().int()]).optional(),
    /** Extra request headers for a JSON sink (e.g. an Authorization header); never logged. */
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'header names are letters, digits and -'), z.string()).optional(),
    /** How often the rules are evaluated. */
    evaluateEveryMs: z.number().int().min(100).default(5_000),
    /** After a notification for an alert, the same alert is not announced again for this long. */
    cooldownMs: ms(300_000),
    /** At most this many firing notifications per minute, across all alerts. */
    maxPerMinute: z.number().int().min(1).max(1000).default(10),
    delivery: z
      .strictObject({
        timeoutMs: z.number().int().min(100).default(5_000),
        maxAttempts: z.number().int().min(1).max(50).default(6),
        baseDelayMs: z.number().int().min(1).default(1_000),
        maxDelayMs: z.number().int().min(1).default(60_000),
        /** Notifications waiting for delivery; the oldest is dropped beyond it. */
        queueSize: z.number().int().min(1).max(10_000).default(100),
      })
      .prefault({}),
    /** A venue down (health) or failing (share of failed or timed-out orders among its latest). */
    venue: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** How many of the venue's latest orders are judged. */
        orders: z.number().int().min(1).max(50).default(20),
        /** Orders older than this are not judged. */
        windowMs: ms(600_000),
        /** No verdict on fewer orders than this (one timeout is not an outage). */
        minOrders: z.number().int().min(1).default(5),
        /** Fires at or above this failed share… */
        failRatio: z.number().gt(0).max(1).default(0.5),
        /** …and resolves only at or below this one (hysteresis: no flapping around one line). */
        recoverRatio: z.number().min(0).max(1).default(0.2),
      })
      .prefault({}),
    dlq: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Fires when the dead-letter queue holds at least this many signals. */
        minSize: z.number().int().min(1).default(1),
      })
      .prefault({}),
    /** The receiver-silence watchdog: no webhook from a source for a period. Off until a period is set. */
    silence: z
      .strictObject({
        /** Applies to every configured source not listed in `sources`. */
        afterMs: z.number().int().min(1_000).optional(),
        /** Per source name. */
        sources: z.record(z.string(), z.number().int().min(1_000)).optional(),
      })
      .prefault({}),
    ackLatency: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** The objective: this quantile of ack latency stays at or below objectiveMs. */
        objectiveMs: z.number().positive().default(250),
        quantile: z.number().gt(0).lt(1).default(0.99),
        windowMs: z.number().int().min(60_000).default(300_000),
        /** No verdict on fewer webhooks than this in the window. */
        minSamples: z.number().int().min(1).default(20),
      })
      .prefault({}),
    killSwitch: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
    margin: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Fires at or above this margin ratio (1 = liquidation)… */
        ratio: z.number().gt(0).max(1).default(0.8),
        /** …and resolves below this one. */
        recoverRatio: z.number().min(0).max(1).default(0.7),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    if (c.url !== undefined && c.urlEnv !== undefined) ctx.addIssue({ code: 'custom', path: ['urlEnv'], message: 'give url or urlEnv, not both' });
    if (c.format === 'telegram' && c.telegramChatId === undefined && (c.url !== undefined || c.urlEnv !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['telegramChatId'], message: 'the telegram format needs telegramChatId' });
    }
    if (c.venue.recoverRatio >= c.venue.failRatio) ctx.addIssue({ code: 'custom', path: ['venue', 'recoverRatio'], message: 'must be below failRatio' });
    if (c.margin.recoverRatio >= c.margin.ratio) ctx.addIssue({ code: 'custom', path: ['margin', 'recoverRatio'], message: 'must be below ratio' });
    if (c.delivery.maxDelayMs < c.delivery.baseDelayMs) ctx.addIssue({ code: 'custom', path: ['delivery', 'maxDelayMs'], message: 'must be at least baseDelayMs' });
  });

export type AlertsConfig = z.infer<typeof alertsConfigSchema>;
export type AlertFormat = AlertsConfig['format'];
