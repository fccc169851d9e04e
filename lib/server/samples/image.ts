import 'server-only';
import sharp from 'sharp';
import { badRequest } from '../errors';

/** Checking and re-encoding a shared PNG: only pixels pass through, never the uploader's metadata. */

const PNG_MAGIC = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Thumbnails (gallery, og:image) are upscaled by a whole factor to at most this side, so pixels stay crisp squares; 512 clears the 300 px minimum of large link cards. */
export const THUMB_SIDE = 512;

export interface CheckedImage {
  png: Uint8Array;
  thumb: Uint8Array;
  thumbWidth: number;
  thumbHeight: number;
}

const notPng = (why: string) => badRequest('not_png', `The image must be a PNG: ${why}.`);

/** Refuses anything but a decodable PNG of exactly width×height; returns it re-encoded plus a thumbnail. */
export async function checkSampleImage(bytes: Uint8Array, width: number, height: number): Promise<CheckedImage> {
  if (bytes.length < PNG_MAGIC.length || PNG_MAGIC.some((b, i) => bytes[i] !== b))
    throw notPng('its bytes do not start with the PNG signature');
  // The header is trusted only as far as sharp reads it; the pixel limit stops a bomb before decoding.
  const meta = await sharp(bytes)
    .metadata()
    .catch(() => undefined);
  if (meta?.format !== 'png') throw notPng('it could not be read as one');
  if (meta.width !== width || meta.height !== height) {
    throw badRequest(
      'wrong_dimensions',
      `The image is ${meta.width}×${meta.height} but this model draws ${width}×${height} images.`,
    );
  }
  let png: Buffer;
  try {
    png = await sharp(bytes, { limitInputPixels: width * height })
      .png({ compressionLevel: 9 })
      .toBuffer();
  } catch (err) {
    throw notPng(`its pixel data could not be decoded (${(err as Error).message})`);
  }
  const scale = Math.max(1, Math.floor(THUMB_SIDE / Math.max(width, height)));
  const thumbWidth = width * scale;
  const thumbHeight = height * scale;
  const thumb = await sharp(png)
    .resize(thumbWidth, thumbHeight, { kernel: 'nearest' })
    .png({ compressionLevel: 9 })
    .toBuffer();
  return { png: new Uint8Array(png), thumb: new Uint8Array(thumb), thumbWidth, thumbHeight };
}
