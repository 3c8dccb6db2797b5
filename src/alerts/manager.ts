/**
 * From conditions to notifications, without storms. Time is passed in (the caller reads
 * the Clock), so this is deterministic and tested without waiting.
 *
 * - De-duplicated: a condition that keeps holding is one alert, announced once; it
 *   resolves when the condition is gone, and the resolution is announced only if the
 *   firing was.
 * - Cooldown: an alert that resolves and comes back within `cooldownMs` of its last
 *   announcement is not announced again until the cooldown has passed (and only if it
 *   still holds then): a flapping condition makes one notification per cooldown.
 * - Rate limit: at most `maxPerMinute` firing notifications in any 60 s; the rest wait
 *   (still firing, not lost) and go out as the window frees, carrying how many waited.
 *   Resolutions are not limited: there is at most one per announced firing.
 */
import type { Condition } from './rules.ts';

export interface Notification {
  status: 'firing' | 'resolved';
  alert: Condition;
  /** Epoch ms the condition was first seen in this episode. */
  startsAt: number;
  /** Epoch ms it was seen gone (resolved only). */
  endsAt?: number;
  /** Firing notifications held back by the rate limit or cooldown since the last one sent. */
  suppressed: number;
}

export interface ManagerSettings {
  cooldownMs: number;
  maxPerMinute: number;
}

interface Episode {
  condition: Condition;
  since: number;
  announced: boolean;
  /** This episode was already counted as held back. */
  held: boolean;
}

export interface Transition {
  key: string;
  firing: boolean;
  condition: Condition;
  since: number;
}

export class AlertManager {
  private readonly episodes = new Map<string, Episode>();
  private readonly lastAnnounced = new Map<string, number>();
  private sentTimes: number[] = [];
  private heldBack = 0;

  constructor(private readonly settings: ManagerSettings) {}

  /** Keys firing now (the rules' hysteresis input). */
  firing(): ReadonlySet<string> {
    return new Set(this.episodes.keys());
  }

  active(): { condition: Condition; since: number; announced: boolean }[] {
    return [...this.episodes.values()].map((e) => ({ condition: e.condition, since: e.since, announced: e.announced }));
  }

  /**
   * Applies the conditions that hold at `now`. Returns the notifications to deliver, in
   * order, and the transitions (fired, resolved) for the dashboard.
   */
  update(conditions: readonly Condition[], now: number): { notifications: Notification[]; transitions: Transition[] } {
    const notifications: Notification[] = [];
    const transitions: Transition[] = [];
    const present = new Map(conditions.map((c) => [c.key, c]));

    for (const [key, ep] of this.episodes) {
      if (present.has(key)) continue;
      this.episodes.delete(key);
      transitions.push({ key, firing: false, condition: ep.condition, since: ep.since });
      if (ep.announced) notifications.push({ status: 'resolved', alert: ep.condition, startsAt: ep.since, endsAt: now, suppressed: 0 });
    }

    for (const c of present.values()) {
      const ep = this.episodes.get(c.key);
      if (ep) {
        // The same alert: keep its start and announcement; the summary may carry new numbers.
        ep.condition = c;
        continue;
      }
      this.episodes.set(c.key, { condition: c, since: now, announced: false, held: false });
      transitions.push({ key: c.key, firing: true, condition: c, since: now });
    }

    this.sentTimes = this.sentTimes.filter((t) => t > now - 60_000);
    for (const ep of this.episodes.values()) {
      if (ep.announced) continue;
      const last = this.lastAnnounced.get(ep.condition.key);
      const cooling = last !== undefined && now - last < this.settings.cooldownMs;
      if (cooling || this.sentTimes.length >= this.settings.maxPerMinute) {
        if (!ep.held) {
          ep.held = true;
          this.heldBack++;
        }
        continue;
      }
      ep.announced = true;
      this.lastAnnounced.set(ep.condition.key, now);
      this.sentTimes.push(now);
      notifications.push({ status: 'firing', alert: ep.condition, startsAt: ep.since, suppressed: this.heldBack });
      this.heldBack = 0;
    }
    return { notifications, transitions };
  }
}
