import { errorResponse } from '@/lib/server/errors';
import { readSampleImage } from '@/lib/server/samples/catalog';
import { getStorage } from '@/lib/server/storage';
import { parseParams } from '../schema';

/**
 * A stored PNG of a sample. Its bytes never change for an id, but the sample can be deleted or
 * hidden after a report, and a shared cache must then stop serving it: kept five minutes, not a year.
 */
export async function samplePngResponse(params: Promise<{ id: string }>, which: 'image' | 'thumb'): Promise<Response> {
  try {
    const { id } = parseParams(await params);
    const png = await readSampleImage(getStorage(), id, which);
    return new Response(png as Uint8Array<ArrayBuffer>, {
      headers: {
        'content-type': 'image/png',
        'content-length': String(png.byteLength),
        'cache-control': 'public, max-age=300',
        'x-content-type-options': 'nosniff',
      },
    });
  } catch (err) {
    return errorResponse(err);
  }
}
