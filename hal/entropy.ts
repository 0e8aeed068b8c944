/** Random bytes: a hardware RNG on the board, a seeded PRNG in the simulation. */
export interface Entropy {
  /** Fill `out` with random bytes. */
  fill(out: Uint8Array): void;
  /** A random unsigned 32-bit integer. */
  u32(): number;
}
