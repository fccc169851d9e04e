import { errorResponse } from '@/lib/server/errors';
import { deleteModel } from '@/lib/server/models/store';
import { getStorage } from '@/lib/server/storage';
import { ModelParamsSchema, parseParams } from '../schema';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function DELETE(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const { id } = parseParams(ModelParamsSchema, await params);
    await deleteModel(getStorage(), id);
    return Response.json({ ok: true });
  } catch (err) {
    return errorResponse(err);
  }
}
