/**
 * Tokens ↔ pixels for the studio's canvases: a painter that turns streamed tokens into RGBA as
 * they arrive (a pixel appears once its last channel is known), PNG export at native size or
 * upscaled nearest-neighbour, and client-side preparation of an uploaded image into tokens.
 */
import type { ModelCard } from '@/lib/models/card';
import { rgbToPaletteTokens } from '@/lib/pixels/palette';
import { rgbToTokens } from '@/lib/pixels/rgb';

export type DatasetInfo = ModelCard['dataset'];

export function tokensPerPixel(d: DatasetInfo): number {
  return d.tokenization === 'rgb' ? 3 : 1;
}

export function tokensPerRow(d: DatasetInfo): number {
  return d.width * tokensPerPixel(d);
}

/** RGBA of one image, filled as tokens stream in; unknown pixels stay transparent. */
export class TokenPainter {
  readonly rgba: Uint8ClampedArray;
  readonly tokens: Int32Array;
  private readonly palette: number[] | undefined;
  private readonly perPixel: number;

  constructor(readonly dataset: DatasetInfo) {
    this.rgba = new Uint8ClampedArray(dataset.width * dataset.height * 4);
    this.tokens = new Int32Array(dataset.width * dataset.height * tokensPerPixel(dataset)).fill(-1);
    this.palette = dataset.palette;
    this.perPixel = tokensPerPixel(dataset);
  }

  /** Writes tokens at positions [start, start + tokens.length). */
  write(start: number, tokens: ArrayLike<number>): void {
    for (let i = 0; i < tokens.length; i++) {
      const p = start + i;
      const t = tokens[i];
      this.tokens[p] = t;
      const pixel = Math.floor(p / this.perPixel);
      if (this.perPixel === 3) {
        const channel = p % 3;
        this.rgba[pixel * 4 + channel] = t;
        if (channel === 2) this.rgba[pixel * 4 + 3] = 255;
      } else {
        const pal = this.palette!;
        this.rgba[pixel * 4] = pal[3 * t];
        this.rgba[pixel * 4 + 1] = pal[3 * t + 1];
        this.rgba[pixel * 4 + 2] = pal[3 * t + 2];
        this.rgba[pixel * 4 + 3] = 255;
      }
    }
  }

  paint(canvas: HTMLCanvasElement | null): void {
    const ctx = canvas?.getContext('2d');
    if (!ctx) return;
    ctx.putImageData(new ImageData(new Uint8ClampedArray(this.rgba), this.dataset.width, this.dataset.height), 0, 0);
  }
}

/** A PNG of the image, `scale`× nearest-neighbour. */
export async function imagePng(rgba: Uint8ClampedArray, width: number, height: number, scale = 1): Promise<Blob> {
  const source = document.createElement('canvas');
  source.width = width;
  source.height = height;
  source.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  let out = source;
  if (scale !== 1) {
    out = document.createElement('canvas');
    out.width = width * scale;
    out.height = height * scale;
    const ctx = out.getContext('2d')!;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(source, 0, 0, out.width, out.height);
  }
  return new Promise((resolve, reject) =>
    out.toBlob((b) => (b ? resolve(b) : reject(new Error('the browser could not encode a PNG'))), 'image/png'),
  );
}

/**
 * A PNG of exactly the model's size (a shared sample) → its tokens, pixel for pixel: no resizing
 * and no colour conversion, so the rows a completion kept come back as the tokens it kept.
 */
export async function exactImageToTokens(png: Blob, d: DatasetInfo): Promise<Int32Array> {
  const bitmap = await createImageBitmap(png, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  if (bitmap.width !== d.width || bitmap.height !== d.height) {
    bitmap.close();
    throw new Error(`the image is ${bitmap.width}×${bitmap.height}, not the model's ${d.width}×${d.height}`);
  }
  const canvas = document.createElement('canvas');
  canvas.width = d.width;
  canvas.height = d.height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return rgbaToTokens(ctx.getImageData(0, 0, d.width, d.height).data, d);
}

/** An uploaded image → the model's tokens: cover-resized on a canvas (white background), then rgb or nearest palette colour. */
export async function imageFileToTokens(file: Blob, d: DatasetInfo): Promise<Int32Array> {
  const bitmap = await createImageBitmap(file);
  const canvas = document.createElement('canvas');
  canvas.width = d.width;
  canvas.height = d.height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, d.width, d.height);
  const scale = Math.max(d.width / bitmap.width, d.height / bitmap.height);
  const w = bitmap.width * scale;
  const h = bitmap.height * scale;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, (d.width - w) / 2, (d.height - h) / 2, w, h);
  bitmap.close();
  return rgbaToTokens(ctx.getImageData(0, 0, d.width, d.height).data, d);
}

function rgbaToTokens(rgba: Uint8ClampedArray, d: DatasetInfo): Int32Array {
  const rgb = new Uint8Array(d.width * d.height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i];
    rgb[j + 1] = rgba[i + 1];
    rgb[j + 2] = rgba[i + 2];
  }
  const tokens =
    d.tokenization === 'rgb' ? rgbToTokens(rgb) : rgbToPaletteTokens(rgb, Uint8Array.from(d.palette ?? []));
  return Int32Array.from(tokens);
}
