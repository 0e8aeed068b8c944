/**
 * The boot as an ordered pipeline of stages (DESIGN.md section 1, steps 3-9; step 1 runs
 * inside the first stage, step 2 is the loader's). Each stage owns its data and its
 * sockets: `start(ctx)` begins its work, `stop()` cancels every timer and closes every
 * socket it opened, and it reports through its context:
 *
 *   ctx.done()     its result is ready, or has changed in a way the later stages depend
 *                  on (a new voice VLAN, a new address): the stages after it stop, last
 *                  first, and start again in order, each exactly once
 *   ctx.updated()  its result changed in a way later stages take as it comes (a renewal
 *                  with new options): started later stages get `upstreamUpdated()`
 *   ctx.lost(why)  its result is gone (lease lost): the stages after it stop and the boot
 *                  shows this stage again until it reports done
 *   ctx.fail(why)  it is stuck (no server answers, nothing configured): the boot state is
 *                  'failed' with the reason on the display until the stage recovers
 *   ctx.status(t)  what it is doing now, on the status line
 *
 * Calls from a stage that has been stopped are ignored (each start gets a fresh context),
 * so a stage's last events during stop() cannot restart anything. Stage calls made while
 * the pipeline is already moving (a stage that finishes inside its own start) are queued
 * and run after the current step, never nested. The pipeline is complete when the last
 * stage is done; `onComplete` then runs once per boot (the image confirms itself there).
 *
 * The first stage's precondition is the link: `linkDown()` stops every stage, `linkUp()`
 * starts the first again.
 */
import type { Display } from '../hal/display';
import type { System } from '../hal/system';
import { LOG_INFO, LOG_WARN } from '../hal/system';

export interface StageContext {
  done(): void;
  updated(): void;
  lost(reason: string): void;
  fail(reason: string): void;
  status(text: string): void;
}

export interface Stage {
  /** State name while this stage is the one at work ('ip', 'tftp', ...). */
  readonly name: string;
  /** Status line on entering the stage ("Configuring IP"). */
  readonly title: string;
  start(ctx: StageContext): void;
  stop(): void;
  /** An earlier stage's result changed without invalidating this one. */
  upstreamUpdated?(): void;
}

export const STATE_OFF = 'off';
export const STATE_FAILED = 'failed';
export const STATE_READY = 'ready';

/** Pending stage calls (a handful at most: bounded). */
const MAX_QUEUE = 16;

interface Call {
  index: number;
  gen: number;
  kind: number; // CALL_*
  text: string;
}

const CALL_DONE = 0;
const CALL_UPDATED = 1;
const CALL_LOST = 2;
const CALL_FAIL = 3;

export interface PipelineOptions {
  system: System;
  display: Display;
  statusLine: number;
  /** Status text once every stage is done ('': the last stage's own status stays). */
  completeText: string;
  /** Once per boot, when the last stage first reports done. */
  onComplete?: () => void;
  /** Every state change (after it is logged). */
  onState?: (state: string, reason: string) => void;
}

export class Pipeline {
  readonly stages: Stage[];
  /** Current state: a stage name, 'off', 'failed' or 'ready'. */
  state = STATE_OFF;
  /** Why the state is 'failed' ('' otherwise). */
  reason = '';
  private readonly opts: PipelineOptions;
  /** Index of the last started stage; -1 = none. */
  private active = -1;
  /** Per-stage start generation: a context whose generation is old is ignored. */
  private readonly gens: number[] = [];
  private readonly queue: Call[] = [];
  private moving = false;
  private completed = false;

  constructor(stages: Stage[], options: PipelineOptions) {
    this.stages = stages;
    this.opts = options;
    for (let i = 0; i < stages.length; i++) this.gens.push(0);
  }

  /** The link is up: start the first stage (no-op while running). */
  linkUp(): void {
    if (this.active >= 0) return;
    this.enqueue({ index: -1, gen: 0, kind: CALL_DONE, text: '' });
  }

  /** The link went down: stop every stage. */
  linkDown(reason: string): void {
    this.stopAfter(-1);
    this.setState(STATE_OFF, reason);
    this.opts.display.setLine(this.opts.statusLine, reason);
  }

  /** Stop everything (orderly shutdown). */
  stop(): void {
    this.stopAfter(-1);
    this.setState(STATE_OFF, '');
  }

  /** The stage at work, or null. */
  current(): Stage | null {
    return this.active >= 0 ? this.stages[this.active] : null;
  }

  private context(index: number): StageContext {
    const self = this;
    const gen = this.gens[index];
    const call = function (kind: number, text: string): void {
      self.enqueue({ index: index, gen: gen, kind: kind, text: text });
    };
    return {
      done: function (): void { call(CALL_DONE, ''); },
      updated: function (): void { call(CALL_UPDATED, ''); },
      lost: function (reason: string): void { call(CALL_LOST, reason); },
      fail: function (reason: string): void { call(CALL_FAIL, reason); },
      status: function (text: string): void {
        if (self.gens[index] === gen && self.active === index && self.state !== STATE_FAILED) {
          self.opts.display.setLine(self.opts.statusLine, text);
        }
      },
    };
  }

  private enqueue(c: Call): void {
    if (this.queue.length >= MAX_QUEUE) {
      this.opts.system.log(LOG_WARN, 'boot', 'stage calls queue full: dropped one');
      return;
    }
    this.queue.push(c);
    if (this.moving) return;
    this.moving = true;
    while (this.queue.length > 0) {
      const next = this.queue.shift() as Call;
      this.apply(next);
    }
    this.moving = false;
  }

  private live(c: Call): boolean {
    return c.index === -1 || (c.index <= this.active && this.gens[c.index] === c.gen);
  }

  private apply(c: Call): void {
    if (!this.live(c)) return;
    const i = c.index;
    if (c.kind === CALL_DONE) {
      if (i >= 0 && i < this.active) {
        this.opts.system.log(LOG_INFO, 'boot', this.stages[i].name + ' changed: restarting the stages after it');
      }
      this.stopAfter(i);
      this.startStage(i + 1);
    } else if (c.kind === CALL_UPDATED) {
      for (let k = i + 1; k <= this.active; k++) {
        const s = this.stages[k];
        if (s.upstreamUpdated !== undefined) s.upstreamUpdated();
      }
    } else if (c.kind === CALL_LOST) {
      this.stopAfter(i);
      this.opts.system.log(LOG_WARN, 'boot', this.stages[i].name + ' lost: ' + c.text);
      this.enter(i);
    } else {
      this.opts.system.log(LOG_WARN, 'boot', this.stages[i].name + ' failed: ' + c.text);
      this.stopAfter(i);
      this.setState(STATE_FAILED, c.text);
      this.opts.display.setLine(this.opts.statusLine, c.text);
    }
  }

  /** Stop the started stages after `index`, last first. */
  private stopAfter(index: number): void {
    while (this.active > index) {
      const k = this.active;
      this.gens[k]++;
      this.active = k - 1;
      this.stages[k].stop();
    }
  }

  private startStage(index: number): void {
    if (index >= this.stages.length) {
      this.setState(STATE_READY, '');
      if (this.opts.completeText !== '') this.opts.display.setLine(this.opts.statusLine, this.opts.completeText);
      if (!this.completed) {
        this.completed = true;
        if (this.opts.onComplete !== undefined) this.opts.onComplete();
      }
      return;
    }
    this.gens[index]++;
    this.active = index;
    this.enter(index);
    this.stages[index].start(this.context(index));
  }

  private enter(index: number): void {
    const s = this.stages[index];
    this.setState(s.name, '');
    this.opts.display.setLine(this.opts.statusLine, s.title);
  }

  private setState(next: string, reason: string): void {
    if (next === this.state && reason === this.reason) return;
    this.opts.system.log(next === STATE_FAILED ? LOG_WARN : LOG_INFO, 'boot',
      this.state + ' -> ' + next + (reason !== '' ? ' (' + reason + ')' : ''));
    this.state = next;
    this.reason = reason;
    if (this.opts.onState !== undefined) this.opts.onState(next, reason);
  }
}
