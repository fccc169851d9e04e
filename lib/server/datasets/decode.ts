import 'server-only';
import { availableParallelism } from 'node:os';
import sharp from 'sharp';
import { formatBytes, type Limits } from './limits';

/**
 * One uploaded file → exactly width×height×3 sRGB bytes, or a human reason it was skipped.
 * Formats are recognised by their magic bytes, never by file name, so a text file called
 * `cat.png` is "not an image" and an SVG (which libvips would happily render) is refused.
 */

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif' | 'avif' | 'tiff';

export interface TargetSize {
  width: number;
  height: number;
  fit: 'cover' | 'contain';
  /** `#rrggbb`: transparency is flattened onto it and `contain` pads with it. */
  background: string;
}

/** A file we will not use, with the reason shown to the user. */
export class SkipFile extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'SkipFile';
  }
}

// Tiny images gain nothing from intra-image threads; parallelism comes from running several jobs.
// libvips' operation cache only costs here (every buffer is new), so it is off.
sharp.concurrency(1);
sharp.cache(false);

/** Decodes running at once in this process, across all uploads: enough to keep every core busy. */
export const MAX_DECODES = 2 * Math.max(1, availableParallelism());
let running = 0;
const waiting: (() => void)[] = [];

export function runningDecodes(): number {
  return running;
}

async function withDecodeSlot<T>(job: () => Promise<T>): Promise<T> {
  if (running < MAX_DECODES) running++;
  else await new Promise<void>((resolve) => waiting.push(resolve)); // the releaser hands its slot over
  try {
    return await job();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

const ascii = (bytes: Uint8Array, start: number, end: number) => String.fromCharCode(...bytes.subarray(start, end));

/** Recognises accepted formats by magic bytes; 'svg' and 'heic' are recognised only to be refused. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | 'svg' | 'heic' | undefined {
  const b = bytes;
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 4) === 'PNG') return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 6 && ascii(b, 0, 4) === 'GIF8') return 'gif';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'webp';
  if (
    b.length >= 4 &&
    ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 42 && b[3] === 0) ||
      (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 42))
  )
    return 'tiff';
  if (b.length >= 12 && ascii(b, 4, 8) === 'ftyp') {
    const brand = ascii(b, 8, 12);
    if (brand === 'avif' || brand === 'avis') return 'avif';
    if (/^(heic|heix|hevc|hevx|mif1|msf1)$/.test(brand)) return 'heic';
  }
  const head = new TextDecoder()
    .decode(b.subarray(0, 1024))
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  if (head.startsWith('<') && head.includes('<svg')) return 'svg';
  return undefined;
}

/** Decodes, orients, flattens and resizes one image. Throws SkipFile with a reason for bad input. */
export async function decodeToRgb(bytes: Uint8Array, target: TargetSize, limits: Limits): Promise<Uint8Array> {
  if (bytes.byteLength > limits.bytesPerFile) {
    throw new SkipFile(
      `too large: ${formatBytes(bytes.byteLength)} exceeds the ${formatBytes(limits.bytesPerFile)} limit per file`,
    );
  }
  const format = sniffFormat(bytes);
  if (format === 'svg') throw new SkipFile('unsupported format (SVG): vector images are not accepted, export a PNG');
  if (format === 'heic') throw new SkipFile('unsupported format (HEIC): convert to JPEG or PNG');
  if (format === undefined) throw new SkipFile('not an image: expected PNG, JPEG, WebP, GIF, AVIF or TIFF');

  return withDecodeSlot(() => decodeAndResize(bytes, target, limits));
}

async function decodeAndResize(bytes: Uint8Array, target: TargetSize, limits: Limits): Promise<Uint8Array> {
  const { width, height, fit, background } = target;
  try {
    // Resize with alpha kept (libvips resizes premultiplied), then flatten in JS: the same result as
    // sharp's flatten-then-resize, for about a third less CPU per small image.
    const { data, info } = await sharp(bytes, { limitInputPixels: limits.pixelsPerImage, failOn: 'error' })
      .rotate() // EXIF auto-orient
      .toColourspace('srgb')
      .ensureAlpha()
      .resize(width, height, { fit, background: `${background}00`, position: 'centre' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.width !== width || info.height !== height || info.channels !== 4 || data.length !== width * height * 4) {
      throw new SkipFile(`corrupt image: decoded to ${info.width}×${info.height}×${info.channels}`);
    }
    return flatten(data, background);
  } catch (err) {
    if (err instanceof SkipFile) throw err;
    const message = err instanceof Error ? err.message : String(err);
    if (/pixel limit/i.test(message)) {
      const size = await sharp(bytes, { limitInputPixels: false })
        .metadata()
        .then((m) => ` (${m.width}×${m.height})`)
        .catch(() => '');
      throw new SkipFile(
        `too many pixels${size}: more than ${limits.pixelsPerImage.toLocaleString('en')} pixels per image`,
      );
    }
    throw new SkipFile(`corrupt image: ${message.split('\n')[0].trim()}`);
  }
}

/** RGBA (straight alpha) [N·4] over an opaque `#rrggbb` background → RGB [N·3]. */
export function flatten(rgba: Uint8Array, background: string): Uint8Array {
  const bg = [1, 3, 5].map((i) => parseInt(background.slice(i, i + 2), 16));
  const n = rgba.length / 4;
  const rgb = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const a = rgba[4 * p + 3];
    if (a === 255) {
      rgb[3 * p] = rgba[4 * p];
      rgb[3 * p + 1] = rgba[4 * p + 1];
      rgb[3 * p + 2] = rgba[4 * p + 2];
    } else {
      for (let c = 0; c < 3; c++) rgb[3 * p + c] = Math.round((rgba[4 * p + c] * a + bg[c] * (255 - a)) / 255);
    }
  }
  return rgb;
}
