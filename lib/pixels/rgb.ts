/**
 * `rgb` tokenization: one token per channel value (vocab 256), raster order
 * R,G,B of pixel 0, then pixel 1, … so an H×W image is a sequence of 3·H·W tokens.
 * Exactly invertible: tokens and interleaved RGB bytes are the same numbers.
 */

export const RGB_VOCAB_SIZE = 256;

/** Sequence length of one `width`×`height` image under `rgb` tokenization. */
export function rgbSeqLength(width: number, height: number): number {
  return 3 * width * height;
}

/** Interleaved RGB bytes [H·W·3] → tokens [3·H·W]. */
export function rgbToTokens(rgb: Uint8Array): Uint8Array {
  if (rgb.length % 3 !== 0) throw new RangeError(`RGB byte length ${rgb.length} is not a multiple of 3`);
  return Uint8Array.from(rgb);
}

/** Tokens [3·H·W] → interleaved RGB bytes [H·W·3]. Rejects tokens outside 0..255. */
export function tokensToRgb(tokens: ArrayLike<number>): Uint8Array {
  if (tokens.length % 3 !== 0) throw new RangeError(`token count ${tokens.length} is not a multiple of 3`);
  const rgb = new Uint8Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (!(t >= 0 && t < RGB_VOCAB_SIZE)) throw new RangeError(`token ${t} at ${i} is outside the rgb vocab 0..255`);
    rgb[i] = t;
  }
  return rgb;
}
