/**
 * The live event hub: the webhook route, the worker and the controls publish; the
 * dashboard's server-sent-events stream and in-process listeners (the alerts) subscribe.
 *
 * `publish` is O(1) whatever the number of subscribers: it appends to a pending batch and
 * schedules one flush per event-loop turn. The flush serialises the batch once and writes
 * it to every stream whose socket is keeping up; a stream whose buffer is full misses the
 * batch and is told so (`event: gap`), so the page refetches instead of drifting. Nothing
 * on the publishing side ever awaits a subscriber.
 */
import type { ServerResponse } from 'node:http';

export interface LiveEvent {
  /** webhook, signal, order, control, killswitch, dlq, alert, equity… */
  type: string;
  /** Epoch ms. */
  at: number;
  [field: string]: unknown;
}

interface Stream {
  res: ServerResponse;
  /** Batches this stream missed since it last received one. */
  missed: number;
}

export interface LiveHubOptions {
  /** Events kept for a stream that reconnects with Last-Event-ID (default 256). */
  history?: number;
  /** A stream with more than this many bytes unsent skips batches (default 64 KiB). */
  maxBufferedBytes?: number;
  /** Events waiting for the next flush; beyond it the oldest are dropped (default 4096). */
  maxPending?: number;
}

export type LiveListener = (events: readonly LiveEvent[]) => void;

/** An event with its stream sequence number (the SSE `id:`, for Last-Event-ID). */
interface Numbered {
  seq: number;
  event: LiveEvent;
}

export class LiveHub {
  private seq = 0;
  private pending: Numbered[] = [];
  private scheduled = false;
  private readonly history: Numbered[] = [];
  private readonly streams = new Set<Stream>();
  private readonly listeners = new Set<LiveListener>();
  private readonly maxHistory: number;
  private readonly maxBuffered: number;
  private readonly maxPending: number;
  /** Events dropped: pending overflow, plus batches skipped by slow streams. */
  dropped = 0;

  constructor(options: LiveHubOptions = {}) {
    this.maxHistory = options.history ?? 256;
    this.maxBuffered = options.maxBufferedBytes ?? 64 * 1024;
    this.maxPending = options.maxPending ?? 4096;
  }

  publish(event: LiveEvent): void {
    this.pending.push({ seq: ++this.seq, event });
    if (this.pending.length > this.maxPending) {
      this.pending.shift();
      this.dropped++;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** In-process subscriber, called once per batch; returns an unsubscribe. */
  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get clients(): number {
    return this.streams.size;
  }

  /**
   * Takes over an HTTP response as an event stream. Events after `lastEventId` still in
   * the history are sent first, so a reconnecting page misses nothing recent.
   */
  attach(res: ServerResponse, lastEventId?: number): () => void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // The stream is the connection's last response: ending it (shutdown) closes the
      // socket at once instead of leaving it idle until the keep-alive timeout.
      connection: 'close',
      // A buffering reverse proxy (nginx) would hold events back until its buffer fills.
      'x-accel-buffering': 'no',
    });
    // The retry hint lets EventSource-style clients reconnect fast after a restart.
    res.write(`retry: 2000\n: connected\n\n`);
    if (lastEventId !== undefined && lastEventId < this.seq) {
      const missed = this.history.filter((e) => e.seq > lastEventId);
      if (missed.length > 0) res.write(serialise(missed));
    }
    const stream: Stream = { res, missed: 0 };
    this.streams.add(stream);
    const detach = () => this.streams.delete(stream);
    res.on('close', detach);
    return detach;
  }

  /** A comment line keeps proxies and the browser from closing an idle stream. */
  heartbeat(): void {
    for (const s of this.streams) if (s.res.writableLength <= this.maxBuffered) s.res.write(': ping\n\n');
  }

  /** Ends every stream (the server is closing: an open stream would hold the listener open). */
  closeAll(): void {
    for (const s of this.streams) s.res.end();
    this.streams.clear();
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    for (const e of batch) this.history.push(e);
    if (this.history.length > this.maxHistory) this.history.splice(0, this.history.length - this.maxHistory);

    const events = this.listeners.size > 0 ? batch.map((n) => n.event) : [];
    for (const l of this.listeners) {
      try {
        l(events);
      } catch {
        // A listener's failure is its own; the others and the publisher carry on.
      }
    }
    if (this.streams.size === 0) return;
    const text = serialise(batch);
    for (const s of this.streams) {
      if (s.res.writableLength > this.maxBuffered) {
        s.missed++;
        this.dropped += batch.length;
        continue;
      }
      if (s.missed > 0) {
        s.res.write(`event: gap\ndata: {"missedBatches":${s.missed}}\n\n`);
        s.missed = 0;
      }
      s.res.write(text);
    }
  }
}

function serialise(events: readonly Numbered[]): string {
  let out = '';
  for (const { seq, event } of events) out += `id: ${seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
  return out;
}
