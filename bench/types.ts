/**
 * The contract between `bench/run.ts` and the benchmark modules. A module is a file
 * `bench/<topic>.bench.ts` exporting
 *
 *   export async function bench(): Promise<BenchRow[]>
 *
 * Each row is one figure with our value beside a reference (a real implementation, a
 * line rate, a budget). A figure that cannot be measured here (not root, tool missing)
 * is still returned, with `ours: null` and the reason in `note`, so the table always
 * shows every figure.
 */
export interface BenchRow {
  /** What is measured, e.g. "TCP bulk, 2 stacks via sim switch (virtual time)". */
  figure: string;
  /** Our value; null when skipped. Strings are printed as-is. */
  ours: number | string | null;
  /** The value to compare with (same unit), if any. */
  reference?: number | string | null;
  /** Unit of both values, e.g. "MB/s", "ms", "KiB". */
  unit: string;
  /** What the reference is, or why the row is skipped. */
  note?: string;
}
