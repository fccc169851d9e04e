import 'server-only';
import { MAX_SIDE, MIN_SIDE } from '@/lib/pixels/manifest';

const MiB = 1024 * 1024;

/**
 * Every limit on what an upload may cost the server, in one place. Each is checked before or
 * while the work happens (zip sizes are counted while inflating, since headers can lie).
 */
export const LIMITS = {
  /** Bytes of one image file (or one zip entry once inflated). */
  bytesPerFile: 20 * MiB,
  /** Decoded pixels of one image (sharp `limitInputPixels`): stops decompression bombs. */
  pixelsPerImage: 50_000_000,
  /** Files in one upload, counting zip entries. */
  filesPerUpload: 5_000,
  /** Inflated bytes of all the zips in one upload together, counted while inflating. */
  zipUncompressedBytes: 512 * MiB,
  /**
   * Decoded pixels of one upload: width × height × 3 bytes per image, reserved as each decode starts,
   * all kept until the shards are written. 384 MiB is 2,048 images at 256×256, and every image of a
   * full upload at 128×128 or less; images past it are skipped. Palette tokenization peaks at about
   * 1.7× this (a token per pixel beside the pixels, two bytes each above 256 colours).
   */
  decodedBytesPerUpload: 384 * MiB,
  /**
   * Preparations running at once in this process; later ones wait their turn (and say so). With the
   * budget above, two palette preparations peak at about 1.3 GiB of pixels and tokens together.
   */
  preparationsAtOnce: 2,
  /**
   * Preparations waiting for a turn; an upload past them is refused at once (503, try again later)
   * before its body is read: each in line holds its upload's files (up to `requestBytes`) meanwhile.
   */
  preparationsWaiting: 4,
  /** Whole multipart request body. */
  requestBytes: 512 * MiB,
  /** Target image side, pixels (width and height each); enforced by DatasetOptionsSchema. */
  minSide: MIN_SIDE,
  maxSide: MAX_SIDE,
  /** Images on the preview contact sheet. */
  previewImages: 64,
  /** Images on each class's contact sheet, at most: all classes' tokens stay within the next limit. */
  classPreviewImages: 16,
  /** Tokens kept for the class contact sheets while shards are written, all classes together. */
  classPreviewBytes: 32 * MiB,
  /** Largest shard file; bigger splits are cut into several shards. */
  shardBytes: 16 * MiB,
};

export type Limits = typeof LIMITS;
