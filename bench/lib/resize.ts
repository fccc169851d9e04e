/**
 * Square RGB images brought to the classifier's input side, so that models of different sizes are
 * judged by one classifier: a smaller image is enlarged by nearest neighbour (each pixel becomes a
 * k×k block: no colour it did not have), a larger one reduced by area (the mean of each k×k block,
 * rounded). Only whole factors: 16 → 32 and 64 → 32, not 24 → 32.
 */

/** Interleaved RGB bytes of a side×side image → `to`×`to`. Returns the input when the sides agree. */
export function resizeSquare(rgb: Uint8Array, side: number, to: number): Uint8Array {
  if (rgb.length !== side * side * 3) throw new Error(`${rgb.length} bytes are not a ${side}×${side} RGB image`);
  if (side === to) return rgb;
  const out = new Uint8Array(to * to * 3);
  if (side < to) {
    if (to % side !== 0) throw new Error(`cannot enlarge ${side} to ${to}: not a whole factor`);
    const k = to / side;
    for (let y = 0; y < to; y++)
      for (let x = 0; x < to; x++) {
        const from = (Math.floor(y / k) * side + Math.floor(x / k)) * 3;
        out.set(rgb.subarray(from, from + 3), (y * to + x) * 3);
      }
    return out;
  }
  if (side % to !== 0) throw new Error(`cannot reduce ${side} to ${to}: not a whole factor`);
  const k = side / to;
  for (let y = 0; y < to; y++)
    for (let x = 0; x < to; x++)
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < k; dy++)
          for (let dx = 0; dx < k; dx++) sum += rgb[((y * k + dy) * side + x * k + dx) * 3 + c];
        out[(y * to + x) * 3 + c] = Math.round(sum / (k * k));
      }
  return out;
}
