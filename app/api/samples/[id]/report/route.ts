import { errorResponse } from '@/lib/server/errors';
import { reportSample } from '@/lib/server/samples/catalog';
import { clientKey, sampleLimits } from '@/lib/server/samples/rate-limit';
import { getStorage } from '@/lib/server/storage';
import { parseParams } from '../../schema';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** One report hides the sample (REPORTS_TO_HIDE in lib/server/samples/catalog.ts). */
export async function POST(request: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const { id } = parseParams(await params);
    sampleLimits().report.take(clientKey(request), 'reports');
    return Response.json(await reportSample(getStorage(), id));
  } catch (err) {
    return errorResponse(err);
  }
}
