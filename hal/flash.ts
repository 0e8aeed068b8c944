/**
 * NOR flash, addressed from 0. Semantics every adapter must keep (and the simulation
 * enforces): erase sets a whole sector to 0xFF; program can only clear bits (1 -> 0);
 * program addresses and lengths are multiples of `writeAlign`. Operations are synchronous
 * and return a status code; they never throw on a bad argument.
 */
export interface FlashGeometry {
  /** Total size in bytes. */
  readonly size: number;
  /** Erase unit in bytes (a power of two). */
  readonly sectorSize: number;
  /** Program unit in bytes (1, 4, 8, ...). */
  readonly writeAlign: number;
}

export const FLASH_OK = 0;
export const FLASH_E_RANGE = 1;   // address/length outside the device
export const FLASH_E_ALIGN = 2;   // program/erase not aligned to writeAlign/sectorSize
export const FLASH_E_SETBIT = 3;  // program would set a bit that is 0 (needs an erase first)
export const FLASH_E_IO = 4;      // device error (worn sector, bus error)
export type FlashStatus = number;

export interface NorFlash {
  readonly geometry: FlashGeometry;
  /** Copy `out.length` bytes starting at `addr` into `out`. */
  read(addr: number, out: Uint8Array): FlashStatus;
  /** Program `data` at `addr`; both aligned to writeAlign. */
  program(addr: number, data: Uint8Array): FlashStatus;
  /** Erase the sector starting at `addr` (sector aligned). */
  erase(addr: number): FlashStatus;
}
