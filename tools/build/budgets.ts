/**
 * Size budgets of the target bundles, in one place, each with its reason. `npm run build`
 * fails when a bundle is over its gate (the most a real board can take) and prints each
 * goal beside its figure (what the levers of issue 8 aim at). Engine heap budgets live in
 * hal/target/budgets.ts.
 *
 * Sizes are bytes of the minified bundle as it goes to flash (ASCII, so characters = bytes):
 * on Espruino that text is the code (evaluated from Storage, its functions stay in flash
 * but every function object and scope costs variables in RAM); on XS the image is loaded
 * at run time as a mod, so what evaluating it creates lives in RAM. Size is the first-order
 * proxy for both, measured per engine by `npm run target`.
 */

export interface SizeBudget {
  /** The bundle's short name in tools/build/cli.ts BUNDLES. */
  bundle: string;
  /** What is measured, as printed. */
  label: string;
  /** Over this the build fails. */
  gate: number;
  gateReason: string;
  /** Printed beside the figure; not enforced. */
  goal?: number;
  /** What the goal is, as printed beside it. */
  goalLabel?: string;
  goalReason?: string;
}

const KiB = 1024;

export const SIZE_BUDGETS: readonly SizeBudget[] = [
  {
    bundle: 'firmware',
    label: 'firmware image',
    gate: 192 * KiB,
    gateReason: 'the hard limit of issue 8 for the updatable image, 1.5x the resident goal: stages that run once per boot (trust list, configuration, load) may be modules evaluated when their stage starts and dropped after, so the image may hold more than is resident; past this even that does not fit a board',
    goal: 128 * KiB,
    goalLabel: 'resident at boot, with room for steps 5-9',
    goalReason: 'resident at boot, with room for steps 5-9: XS on the WT32-ETH01 has ~154 KB of JS heap in all and a TLS handshake needs ~22 KB of it',
  },
  {
    bundle: 'bootloader',
    label: "loader's boot path",
    gate: 24 * KiB,
    gateReason: 'the limit of issue 8: the boot path is evaluated at every power-on before any image (on Espruino its functions cost RAM the image then lacks until the jump); serial recovery is its own module (dist/recovery.js) that the loader evaluates only on the recovery row, so it is not counted here',
  },
];

export function budgetFor(bundle: string): SizeBudget | undefined {
  return SIZE_BUDGETS.find((b) => b.bundle === bundle);
}
