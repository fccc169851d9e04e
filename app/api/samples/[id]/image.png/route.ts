import { samplePngResponse } from '../png-response';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The sample's PNG at its native size. */
export function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  return samplePngResponse(params, 'image');
}
