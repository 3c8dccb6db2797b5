/**
 * Operator controls that must survive a restart and reach a running service from another
 * process: today the kill switch (`hedgehook halt|resume`, `POST /api/halt|resume`).
 *
 * A halt stops NEW ORDERS only: webhooks are still verified, journaled and decided, and
 * every decision taken while halted is recorded as skipped with HH_RISK_HALTED. The
 * decision stage reads the state once per signal, so a halt written by the CLI into the
 * data dir of a running service applies to the next signal it decides.
 */

export interface KillSwitchState {
  halted: boolean;
  /** Why it was engaged (absent after a resume). */
  reason?: string;
  /** Who engaged or released it last (a user name, `api`). */
  by?: string;
  /** When it was engaged or released last, epoch ms; absent if never touched. */
  at?: number;
}

/** One halt or resume, for the audit trail. */
export interface KillSwitchEvent {
  action: 'halt' | 'resume';
  by: string;
  at: number;
  reason?: string;
}

export interface ControlStore {
  /** The current kill-switch state; `{halted: false}` when never engaged. */
  killSwitch(): Promise<KillSwitchState>;
  /** Engages the kill switch (again: the reason, who and when are updated). */
  halt(input: { by: string; at: number; reason?: string }): Promise<KillSwitchState>;
  /** Releases it; a no-op state change when not halted, still recorded in the history. */
  resume(input: { by: string; at: number }): Promise<KillSwitchState>;
  /** Every halt and resume, oldest first. */
  history(): Promise<KillSwitchEvent[]>;
}

/** The reference behaviour, in memory: for tests, backtests and a store-less wiring. */
export class InMemoryControlStore implements ControlStore {
  private state: KillSwitchState = { halted: false };
  private readonly events: KillSwitchEvent[] = [];

  async killSwitch(): Promise<KillSwitchState> {
    return { ...this.state };
  }

  async halt(input: { by: string; at: number; reason?: string }): Promise<KillSwitchState> {
    this.state = { halted: true, by: input.by, at: input.at };
    if (input.reason !== undefined) this.state.reason = input.reason;
    const event: KillSwitchEvent = { action: 'halt', by: input.by, at: input.at };
    if (input.reason !== undefined) event.reason = input.reason;
    this.events.push(event);
    return { ...this.state };
  }

  async resume(input: { by: string; at: number }): Promise<KillSwitchState> {
    this.state = { halted: false, by: input.by, at: input.at };
    this.events.push({ action: 'resume', by: input.by, at: input.at });
    return { ...this.state };
  }

  async history(): Promise<KillSwitchEvent[]> {
    return this.events.map((e) => ({ ...e }));
  }
}
