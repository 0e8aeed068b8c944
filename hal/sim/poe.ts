/**
 * PoE on the simulated switch: a power-sourcing equipment (PSE) with one budget shared by
 * its ports, and the powered-device (PD) front end of a simulated board.
 *
 * Model (IEEE 802.3af/at, as a Catalyst applies it): at link-up the PSE classifies the PD
 * and reserves the class power at the PSE side (class 0 and 3: 15.4 W, 1: 4 W, 2: 7 W,
 * 4: 30 W); CDP Power Requested / LLDP-MED then asks for a precise figure, which the PSE
 * grants up to what is left of the budget and answers with Power Available. Powers in mW.
 */
import type { PoweredDevice } from '../poe';

/** Class power reserved at the PSE, in mW, indexed by PD class 0..4. */
export const POE_CLASS_MW = [15400, 4000, 7000, 15400, 30000] as const;

export class SimPse {
  readonly budgetMw: number;
  private readonly alloc = new Map<number, number>();

  constructor(budgetMw: number) {
    if (!(budgetMw >= 0)) throw new RangeError('SimPse: budgetMw must be >= 0');
    this.budgetMw = budgetMw;
  }

  /**
   * Classify the PD on `port` (link-up): reserve its class power, or 0 when the budget
   * cannot cover it (the PSE then does not power the port). Replaces the port's previous
   * allocation. An invalid class is treated as class 0, as a PSE does.
   */
  classify(port: number, pdClass: number): number {
    const c = Number.isInteger(pdClass) && pdClass >= 0 && pdClass <= 4 ? pdClass : 0;
    this.alloc.delete(port);
    const want = POE_CLASS_MW[c];
    if (want > this.available()) return 0;
    this.alloc.set(port, want);
    return want;
  }

  /**
   * A negotiated request (CDP 0x19 / LLDP-MED): the allocation becomes `requestedMw`
   * capped by what the budget has left (the port's own current allocation counts as
   * available to it). Returns the allocation now in force.
   */
  allocate(port: number, requestedMw: number): number {
    const current = this.alloc.get(port) ?? 0;
    const free = this.available() + current;
    const granted = Math.max(0, Math.min(requestedMw, free));
    if (granted > 0) this.alloc.set(port, granted);
    else this.alloc.delete(port);
    return granted;
  }

  /** Link-down / PD removed: return its power to the budget. */
  release(port: number): void {
    this.alloc.delete(port);
  }

  /** Power allocated to a port (0 when none). */
  allocated(port: number): number {
    return this.alloc.get(port) ?? 0;
  }

  /** Budget not yet allocated. */
  available(): number {
    let used = 0;
    for (const v of this.alloc.values()) used += v;
    return this.budgetMw - used;
  }
}

export interface SimPoweredDeviceOptions {
  /** The class the PD signature advertises (0-4); -1 = not on PoE (e.g. a power brick). */
  pdClass: number;
  /** Power to run every feature, in mW. */
  requiredMw: number;
}

/**
 * A board's PD front end. The lab calls `granted(mw)` after classification (or
 * `granted(-1)` for a board on a brick); the firmware applies CDP/LLDP results with
 * applyAllocation.
 */
export class SimPoweredDevice implements PoweredDevice {
  readonly pdClass: number;
  private readonly required: number;
  private classMw = 0;
  private budget = 0;
  private onBrick = false;
  /** Every allocation the firmware applied, in order (tests read it). */
  readonly applied: number[] = [];

  constructor(options: SimPoweredDeviceOptions) {
    this.pdClass = options.pdClass;
    this.required = options.requiredMw;
    if (options.pdClass < 0) this.granted(-1);
  }

  /** Classification result: class power in mW; -1 means a local supply (no PoE, no limit). */
  granted(classMw: number): void {
    this.onBrick = classMw < 0;
    this.classMw = this.onBrick ? 0 : classMw;
    this.budget = this.onBrick ? Infinity : classMw;
  }

  poeClass(): number {
    return this.onBrick ? -1 : this.pdClass;
  }

  classPowerMw(): number {
    return this.classMw;
  }

  requiredMw(): number {
    return this.required;
  }

  applyAllocation(allocatedMw: number): number {
    this.applied.push(allocatedMw);
    if (!this.onBrick) this.budget = Math.max(this.classMw, allocatedMw);
    return this.onBrick ? this.required : this.budget;
  }

  lowPower(): boolean {
    return !this.onBrick && this.budget < this.required;
  }

  /** The budget in force (class power, raised by an applied allocation). */
  budgetMw(): number {
    return this.budget;
  }
}

/**
 * Let a PSE follow a switch's links: classify at link-up (granting class power to the PD
 * that `pdAt(port)` names, if any) and release at link-down. A port with no PD draws nothing.
 */
export function attachPse(sw: { onPortLink(h: (port: number, up: boolean) => void): void }, pse: SimPse,
  pdAt: (port: number) => SimPoweredDevice | null): void {
  sw.onPortLink((port, up) => {
    const pd = pdAt(port);
    if (!up) {
      pse.release(port);
      return;
    }
    if (pd && pd.pdClass >= 0) pd.granted(pse.classify(port, pd.pdClass));
  });
}
