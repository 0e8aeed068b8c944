/**
 * The phone's display: a few status lines (a 7940 shows a status line, a prompt line and
 * a few softkeys). Text is ASCII; the adapter clips it to the panel.
 */
export const DISPLAY_LINES = 4;

export interface Display {
  /** Replace line `index` (0 = status line at the top). */
  setLine(index: number, text: string): void;
  /** Blank every line. */
  clear(): void;
}
