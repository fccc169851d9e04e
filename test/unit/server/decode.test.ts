import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeToRgb, MAX_DECODES, runningDecodes, SkipFile, sniffFormat } from '@/lib/server/datasets/decode';
import { LIMITS } from '@/lib/server/datasets/limits';
import { pixelBombPng, splitImage } from './fixtures';

const target = { width: 8, height: 8, fit: 'cover' as const, background: '#ffffff' };
const pixel = (rgb: Uint8Array, x: number, y: number, w = 8) =>
  Array.from(rgb.subarray((y * w + x) * 3, (y * w + x) * 3 + 3));

async function reason(bytes: Uint8Array, limits = LIMITS): Promise<string> {
  try {
    await decodeToRgb(bytes, target, limits);
    return 'accepted';
  } catch (err) {
    expect(err).toBeInstanceOf(SkipFile);
    return (err as SkipFile).reason;
  }
}

describe('decodeToRgb', () => {
  it('decodes every accepted format to width×height×3', async () => {
    const base = sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 200, g: 100, b: 50 } } });
    for (const format of ['png', 'jpeg', 'webp', 'gif', 'tiff', 'avif'] as const) {
      const bytes = new Uint8Array(await base.clone().toFormat(format).toBuffer());
      expect(sniffFormat(bytes)).toBe(format);
      const rgb = await decodeToRgb(bytes, target, LIMITS);
      expect(rgb.length).toBe(8 * 8 * 3);
      const [r, g, b] = pixel(rgb, 4, 4);
      expect(Math.abs(r - 200) + Math.abs(g - 100) + Math.abs(b - 50)).toBeLessThan(30);
    }
  });

  it('matches sharp flatten-then-resize (the reference) on semi-transparent pixels', async () => {
    const w = 40,
      h = 30;
    const rgba = Buffer.alloc(w * h * 4);
    for (let i = 0; i < w * h; i++) rgba.set([(i * 37) % 256, (i * 11) % 256, (i * 5) % 256, (i * 3) % 256], 4 * i);
    const png = await sharp(rgba, { raw: { width: w, height: h, channels: 4 } })
      .png()
      .toBuffer();
    const options = { width: 16, height: 16, fit: 'contain' as const, background: '#3366cc' };
    const fast = await decodeToRgb(new Uint8Array(png), options, LIMITS);
    const reference = await sharp(png)
      .flatten({ background: '#3366cc' })
      .resize(16, 16, { fit: 'contain', background: '#3366cc' })
      .removeAlpha()
      .raw()
      .toBuffer();
    let worst = 0;
    for (let i = 0; i < fast.length; i++) worst = Math.max(worst, Math.abs(fast[i] - reference[i]));
    expect(worst).toBeLessThanOrEqual(3);
    expect(pixel(fast, 0, 0, 16)).toEqual([0x33, 0x66, 0xcc]); // contain padding is the background
  });

  it('turns greyscale and 16-bit inputs into 8-bit sRGB', async () => {
    const grey = new Uint8Array(
      await sharp({ create: { width: 10, height: 10, channels: 3, background: '#808080' } })
        .greyscale()
        .png()
        .toBuffer(),
    );
    expect(pixel(await decodeToRgb(grey, target, LIMITS), 0, 0)).toEqual([128, 128, 128]);
    const deep = new Uint8Array(
      await sharp({ create: { width: 10, height: 10, channels: 3, background: '#ff0000' } })
        .toColourspace('rgb16')
        .png()
        .toBuffer(),
    );
    expect(pixel(await decodeToRgb(deep, target, LIMITS), 0, 0)).toEqual([255, 0, 0]);
  });

  it('takes the first frame of an animated GIF', async () => {
    const raw = Buffer.alloc(10 * 20 * 3);
    for (let p = 0; p < 200; p++) raw.set(p < 100 ? [0, 0, 255] : [255, 0, 0], 3 * p); // frame 1 blue, frame 2 red
    const gif = await sharp(raw, { raw: { width: 10, height: 20, channels: 3, pageHeight: 10 } })
      .gif()
      .toBuffer();
    expect((await sharp(gif).metadata()).pages).toBe(2);
    const rgb = await decodeToRgb(new Uint8Array(gif), target, LIMITS);
    expect(pixel(rgb, 0, 0)).toEqual([0, 0, 255]);
    expect(pixel(rgb, 7, 7)).toEqual([0, 0, 255]);
  });

  it('applies the EXIF orientation', async () => {
    // Left red, right blue, stored with orientation 6 (rotate 90° clockwise to view): red ends up on top.
    const stored = await sharp(Buffer.from(await splitImage(16, 16)))
      .jpeg({ quality: 100 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const rgb = await decodeToRgb(new Uint8Array(stored), target, LIMITS);
    expect(pixel(rgb, 4, 0)[0]).toBeGreaterThan(200); // top row red
    expect(pixel(rgb, 4, 7)[2]).toBeGreaterThan(200); // bottom row blue
  });

  it('crops with cover and pads with the background with contain', async () => {
    const wide = await splitImage(32, 8); // 4:1
    const covered = await decodeToRgb(wide, { ...target, fit: 'cover' }, LIMITS);
    expect(pixel(covered, 0, 0)).toEqual([255, 0, 0]);
    const contained = await decodeToRgb(wide, { ...target, fit: 'contain', background: '#00ff00' }, LIMITS);
    expect(pixel(contained, 0, 0)).toEqual([0, 255, 0]);
    expect(pixel(contained, 0, 4)).toEqual([255, 0, 0]);
  });

  it('caps decodes running at once across callers', async () => {
    const png = await splitImage(64, 64);
    let peak = 0;
    const jobs = Array.from({ length: 3 * MAX_DECODES }, () =>
      decodeToRgb(png, target, LIMITS).then(() => (peak = Math.max(peak, runningDecodes()))),
    );
    peak = Math.max(peak, runningDecodes());
    expect(runningDecodes()).toBe(MAX_DECODES);
    await Promise.all(jobs);
    expect(peak).toBe(MAX_DECODES);
    expect(runningDecodes()).toBe(0);
  });

  it('gives a human reason for each kind of bad file', async () => {
    expect(await reason(new TextEncoder().encode('hello'))).toMatch(/^not an image/);
    expect(await reason(new TextEncoder().encode('\uFEFF  <svg xmlns="http://www.w3.org/2000/svg"></svg>'))).toMatch(
      /^unsupported format \(SVG\)/,
    );
    expect(await reason(new Uint8Array([0, 0, 0, 24, ...new TextEncoder().encode('ftypheic'), 0, 0, 0, 0]))).toMatch(
      /HEIC/,
    );
    expect(await reason(pixelBombPng(20_000, 20_000))).toMatch(/^too many pixels \(20000×20000\)/);
    const png = await splitImage(64, 64);
    expect(await reason(png.subarray(0, 60))).toMatch(/^corrupt image/);
    expect(await reason(png, { ...LIMITS, bytesPerFile: 100 })).toMatch(/^too large: .* exceeds the 100 bytes limit/);
  });
});
