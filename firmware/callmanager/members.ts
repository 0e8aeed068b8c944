/**
 * The CallManager group as the phone works through it (boot step 8), a sans-IO machine in
 * the driver shape (pollAt / dispatch / poll). It decides which member to talk to and when;
 * the CallManager stage does the talking (TCP or TLS, SCCP or SIP) and reports back.
 *
 * Policy, stated:
 * - Members are tried in priority order (lowest `priority` first; ties in file order).
 * - An attempt that is refused, times out (`connectTimeoutMs` without `registered`) or is
 *   rejected moves to the next member; after the last, the round is over: `failedRound`
 *   ("No CallManager available") and a new round from the first after a back-off of
 *   `backoffMs[min(round, len-1)]` (1, 2, 4, 8, 16, then 30 s between rounds; reset by a
 *   registration).
 * - A connection lost after registration (keepalive loss, close) moves to the next member
 *   at once, wrapping to the first.
 * - Fallback: while registered to a member other than the first, every `fallbackProbeMs` the
 *   members above it are probed (a bare connection attempt that is closed at once); when one
 *   answers and the stage says the phone is idle, the phone switches to it (unregister from
 *   the current member, register with that one).
 *
 * Bounds: at most MAX_MEMBERS members (a CallManager group holds up to 5 on CUCM); one
 * attempt and one probe at a time; the event queue holds MAX_EVENTS.
 */
export const MAX_MEMBERS = 5;
const MAX_EVENTS = 8;

export interface Member {
  /** Name for the display ("cm1"). */
  name: string;
  /** Host (address text or name) and port, as the configuration gives them. */
  host: string;
  port: number;
  priority: number;
}

export interface MemberPolicy {
  connectTimeoutMs: number;
  backoffMs: number[];
  fallbackProbeMs: number;
}

export const DEFAULT_MEMBER_POLICY: MemberPolicy = {
  connectTimeoutMs: 15000,
  backoffMs: [1000, 2000, 4000, 8000, 16000, 30000],
  fallbackProbeMs: 30000,
};

export type MemberAction =
  | { kind: 'connect'; index: number }
  | { kind: 'probe'; index: number }
  | { kind: 'switch'; index: number }
  | { kind: 'failed-round'; round: number; retryAt: number };

/** What dispatch asks the stage to do. */
export interface MemberOutput {
  /** Open a session to member `index` (close any other first). */
  connect(index: number): void;
  /** Try a bare connection to member `index` and report with probeResult. */
  probe(index: number): void;
}

type State = 'idle' | 'connecting' | 'registered' | 'waiting';

export class MemberList {
  readonly members: Member[];
  private readonly policy: MemberPolicy;
  private st: State = 'idle';
  /** Member of the current attempt or registration; -1 none. */
  private index = -1;
  /** Attempts left in this round (members not yet tried). */
  private triesLeft = 0;
  private round = 0;
  private deadline = Infinity;
  private nextConnectAt = Infinity;
  private connectPending = false;
  private nextProbeAt = Infinity;
  private probing = -1;
  /** Next member to probe (members above the current one, in order). */
  private probeFrom = 0;
  /** A member above the current one answered a probe: switch when idle. */
  private fallbackTo = -1;
  private readonly events: MemberAction[] = [];

  constructor(members: Member[], policy?: MemberPolicy) {
    const sorted: Member[] = [];
    for (let i = 0; i < members.length && sorted.length < MAX_MEMBERS; i++) {
      let at = sorted.length;
      while (at > 0 && sorted[at - 1].priority > members[i].priority) at--;
      sorted.splice(at, 0, members[i]);
    }
    this.members = sorted;
    this.policy = policy === undefined ? DEFAULT_MEMBER_POLICY : policy;
  }

  state(): string {
    return this.st;
  }

  /** The member in use (attempt or registration), or null. */
  current(): Member | null {
    return this.index >= 0 ? this.members[this.index] : null;
  }

  currentIndex(): number {
    return this.index;
  }

  start(now: number): void {
    this.round = 0;
    this.beginRound(now, 0);
  }

  stop(): void {
    this.st = 'idle';
    this.index = -1;
    this.deadline = Infinity;
    this.nextConnectAt = Infinity;
    this.connectPending = false;
    this.nextProbeAt = Infinity;
    this.probing = -1;
    this.fallbackTo = -1;
  }

  /** The session with the current member registered. */
  registered(now: number): void {
    if (this.st !== 'connecting') return;
    this.st = 'registered';
    this.round = 0;
    this.deadline = Infinity;
    this.probeFrom = 0;
    this.nextProbeAt = this.index > 0 ? now + this.policy.fallbackProbeMs : Infinity;
  }

  /** The attempt failed (refused, timed out, rejected) or the registration was lost. */
  failed(now: number): void {
    if (this.st === 'registered') {
      // Lost after registration: the next member at once, all of them in this round.
      this.nextProbeAt = Infinity;
      this.fallbackTo = -1;
      this.round = 0;
      this.triesLeft = this.members.length;
      this.advance(now, (this.index + 1) % this.members.length);
    } else if (this.st === 'connecting') {
      this.advance(now, this.index + 1);
    }
  }

  /** Result of a probe asked by dispatch. */
  probeResult(index: number, up: boolean, now: number): void {
    if (index !== this.probing) return;
    this.probing = -1;
    if (this.st !== 'registered') return;
    if (up && index < this.index) {
      this.fallbackTo = index;
      return;
    }
    // Down: the next member above at once, or a new pass after the probe interval.
    this.probeFrom = index + 1;
    if (this.probeFrom < this.index) {
      this.nextProbeAt = now;
    } else {
      this.probeFrom = 0;
      this.nextProbeAt = now + this.policy.fallbackProbeMs;
    }
  }

  /** A higher member answered a probe: the stage switches when the phone is idle. */
  fallbackReady(): number {
    return this.fallbackTo;
  }

  /** The stage switches now (it was idle): unregister and connect to the higher member. */
  takeFallback(now: number): void {
    if (this.fallbackTo < 0) return;
    const to = this.fallbackTo;
    this.fallbackTo = -1;
    this.nextProbeAt = Infinity;
    this.push({ kind: 'switch', index: to });
    this.triesLeft = this.members.length;
    this.connectTo(now, to);
  }

  pollAt(): number {
    if (this.connectPending) return 0;
    let at = this.deadline;
    if (this.nextConnectAt < at) at = this.nextConnectAt;
    if (this.probing < 0 && this.nextProbeAt < at) at = this.nextProbeAt;
    return at;
  }

  poll(): MemberAction | null {
    return this.events.length > 0 ? (this.events.shift() as MemberAction) : null;
  }

  dispatch(now: number, out: MemberOutput): void {
    if (this.st === 'connecting' && now >= this.deadline) {
      this.deadline = Infinity;
      this.advance(now, this.index + 1);
    }
    if (this.st === 'waiting' && now >= this.nextConnectAt) {
      this.nextConnectAt = Infinity;
      this.beginRound(now, 0);
    }
    if (this.connectPending && this.st === 'connecting') {
      this.connectPending = false;
      out.connect(this.index);
    }
    if (this.st === 'registered' && this.probing < 0 && now >= this.nextProbeAt) {
      this.nextProbeAt = Infinity;
      this.probing = this.probeFrom < this.index ? this.probeFrom : 0;
      out.probe(this.probing);
    }
  }

  private beginRound(now: number, from: number): void {
    if (this.members.length === 0) {
      this.st = 'waiting';
      this.push({ kind: 'failed-round', round: this.round, retryAt: Infinity });
      return;
    }
    this.triesLeft = this.members.length;
    this.connectTo(now, from);
  }

  /** Next member from `from` (wrapping) while the round has attempts left. */
  private advance(now: number, from: number): void {
    if (this.triesLeft <= 0) {
      const b = this.policy.backoffMs;
      const wait = b[this.round < b.length ? this.round : b.length - 1];
      this.round++;
      this.st = 'waiting';
      this.index = -1;
      this.deadline = Infinity;
      this.nextConnectAt = now + wait;
      this.push({ kind: 'failed-round', round: this.round, retryAt: this.nextConnectAt });
      return;
    }
    this.connectTo(now, from % this.members.length);
  }

  private connectTo(now: number, index: number): void {
    this.triesLeft--;
    this.st = 'connecting';
    this.index = index;
    this.deadline = now + this.policy.connectTimeoutMs;
    this.connectPending = true;
    this.push({ kind: 'connect', index: index });
  }

  private push(e: MemberAction): void {
    if (this.events.length < MAX_EVENTS) this.events.push(e);
  }
}
