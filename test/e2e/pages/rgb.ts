import { type APIRequestContext, expect } from '@playwright/test';
import sharp from 'sharp';
import type { StudioPage } from './studio-page';

/** The pixels specs compare across the studio, the server and Remix, as RGB bytes. */

/** RGB bytes of a PNG the server serves. */
export async function servedRgb(request: APIRequestContext, url: string): Promise<number[]> {
  const res = await request.get(url);
  expect(res.status()).toBe(200);
  return Array.from(
    await sharp(await res.body())
      .removeAlpha()
      .raw()
      .toBuffer(),
  );
}

/** RGB of the studio's first canvas (its RGBA minus alpha), as the server stores it. */
export async function canvasRgb(studio: StudioPage): Promise<number[]> {
  return (await studio.pixels(studio.canvases.first())).filter((_, i) => i % 4 !== 3);
}
