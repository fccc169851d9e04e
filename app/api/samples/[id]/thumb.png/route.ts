import { samplePngResponse } from '../png-response';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The sample's nearest-neighbour thumbnail (gallery, og:image). */
export function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  return samplePngResponse(params, 'thumb');
}
