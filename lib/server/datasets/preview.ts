import 'server-only';
import sharp from 'sharp';

const MIN_TILE = 64;
const GAP = 2;

/**
 * Contact sheet PNG of prepared images (interleaved RGB, each width×height×3), upscaled
 * nearest-neighbour by a whole factor so every tile is at least 64 px, tiled in a square-ish grid
 * on a mid-grey background with 2 px gutters.
 */
export async function contactSheet(images: Uint8Array[], width: number, height: number): Promise<Buffer> {
  const scale = Math.max(1, Math.ceil(MIN_TILE / Math.min(width, height)));
  const tileW = width * scale;
  const tileH = height * scale;
  const cols = Math.max(1, Math.ceil(Math.sqrt(images.length)));
  const rows = Math.max(1, Math.ceil(images.length / cols));
  const sheetW = cols * tileW + (cols + 1) * GAP;
  const sheetH = rows * tileH + (rows + 1) * GAP;
  const sheet = new Uint8Array(sheetW * sheetH * 3).fill(128);
  images.forEach((rgb, n) => {
    const x0 = GAP + (n % cols) * (tileW + GAP);
    const y0 = GAP + Math.floor(n / cols) * (tileH + GAP);
    for (let y = 0; y < tileH; y++) {
      const srcRow = Math.floor(y / scale) * width;
      let o = ((y0 + y) * sheetW + x0) * 3;
      for (let x = 0; x < tileW; x++, o += 3) {
        const s = (srcRow + Math.floor(x / scale)) * 3;
        sheet[o] = rgb[s];
        sheet[o + 1] = rgb[s + 1];
        sheet[o + 2] = rgb[s + 2];
      }
    }
  });
  return sharp(sheet, { raw: { width: sheetW, height: sheetH, channels: 3 } })
    .png({ compressionLevel: 6 })
    .toBuffer();
}
