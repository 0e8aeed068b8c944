import { describe, expect, it } from 'vitest';
import { SimPse, SimPoweredDevice, attachPse } from '../../../hal/sim/poe';
import { Scheduler } from '../../../hal/sim/scheduler';
import { SimSwitch } from '../../../hal/sim/switch';
import { SimNic } from '../../../hal/sim/ether';
import { mac } from './frames';

describe('SimPse', () => {
  it('classifies with the class table at the PSE', () => {
    const pse = new SimPse(1_000_000);
    expect([0, 1, 2, 3, 4].map((c, port) => pse.classify(port, c))).toEqual([15400, 4000, 7000, 15400, 30000]);
    expect(pse.classify(9, 7)).toBe(15400); // invalid class: class 0
    expect(pse.available()).toBe(1_000_000 - 15400 - 4000 - 7000 - 15400 - 30000 - 15400);
  });

  it('refuses classification beyond the budget and caps negotiated requests', () => {
    const pse = new SimPse(40000);
    expect(pse.classify(1, 3)).toBe(15400);
    expect(pse.classify(2, 3)).toBe(15400);
    expect(pse.classify(3, 3)).toBe(0); // 9200 left: port 3 is not powered
    expect(pse.allocated(3)).toBe(0);
    expect(pse.available()).toBe(9200);
    // Port 1 asks for 12.9 W: less than its class reservation, so the budget grows back.
    expect(pse.allocate(1, 12900)).toBe(12900);
    expect(pse.available()).toBe(11700);
    // Port 2 asks for 30 W: capped at its own 15.4 W plus what is free.
    expect(pse.allocate(2, 30000)).toBe(15400 + 11700);
    expect(pse.available()).toBe(0);
    expect(pse.allocate(3, 5000)).toBe(0);
    pse.release(2);
    expect(pse.available()).toBe(40000 - 12900);
    expect(pse.allocate(3, 5000)).toBe(5000);
  });
});

describe('SimPoweredDevice', () => {
  it('stays in low power at class power until an allocation covers the need', () => {
    const pd = new SimPoweredDevice({ pdClass: 2, requiredMw: 12000 });
    pd.granted(7000);
    expect([pd.poeClass(), pd.classPowerMw(), pd.requiredMw(), pd.lowPower()]).toEqual([2, 7000, 12000, true]);
    expect(pd.applyAllocation(9000)).toBe(9000);
    expect(pd.lowPower()).toBe(true);
    expect(pd.applyAllocation(12000)).toBe(12000);
    expect(pd.lowPower()).toBe(false);
    expect(pd.applyAllocation(3000)).toBe(7000); // never below class power
    expect(pd.applied).toEqual([9000, 12000, 3000]);
  });

  it('on a local supply there is no PoE and no limit', () => {
    const pd = new SimPoweredDevice({ pdClass: -1, requiredMw: 12000 });
    expect([pd.poeClass(), pd.classPowerMw(), pd.lowPower()]).toEqual([-1, 0, false]);
  });

  it('follows switch links through attachPse; a full budget leaves a PD unpowered', () => {
    const sched = new Scheduler(1);
    const sw = new SimSwitch(sched, { ports: 3 });
    const pse = new SimPse(20000);
    const pds = [new SimPoweredDevice({ pdClass: 3, requiredMw: 12000 }), new SimPoweredDevice({ pdClass: 3, requiredMw: 12000 })];
    attachPse(sw, pse, (p) => pds[p] ?? null);
    sw.connect(0, new SimNic(sched, mac(1)));
    sw.connect(1, new SimNic(sched, mac(2)));
    expect(pds.map((p) => p.classPowerMw())).toEqual([15400, 0]);
    sw.disconnect(0);
    expect(pse.available()).toBe(20000);
    sw.setPortEnabled(1, false);
    sw.setPortEnabled(1, true);
    expect(pds[1].classPowerMw()).toBe(15400);
  });
});
