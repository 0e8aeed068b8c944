/**
 * The PoE powered-device (PD) front end. At link-up the PSE classifies the PD and grants
 * class power (IEEE 802.3af/at); more than that is negotiated over CDP or LLDP-MED and
 * then applied here. Power figures are in milliwatts.
 */
export interface PoweredDevice {
  /** Physical-layer class the PSE granted at classification (0-4); -1 when not on PoE. */
  poeClass(): number;
  /** Power the PSE granted at classification, in mW (e.g. 15400 for class 0/3). */
  classPowerMw(): number;
  /** Power the board needs to run every feature (backlight, PHY at full speed, ...), in mW. */
  requiredMw(): number;
  /**
   * Apply the power the switch allocated: at or above requiredMw() the board leaves
   * low-power mode. Returns the power budget now in force, in mW.
   */
  applyAllocation(allocatedMw: number): number;
  /** True while the board runs with its features limited to class power. */
  lowPower(): boolean;
}
