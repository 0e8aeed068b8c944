// Byte helpers for the net codec tests (field-commented hex vectors, 0xa5-filled buffers).
export function h(text: string): Uint8Array {
  // Hex with whitespace and // comments (field-commented vectors).
  const clean = text.replace(/\/\/[^\n]*/g, '').replace(/[^0-9a-fA-F]/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function filled(n: number): Uint8Array {
  return new Uint8Array(n).fill(0xa5);
}
