import { deleteDataset, getManifest } from '@/lib/server/datasets/catalog';
import { errorResponse } from '@/lib/server/errors';
import { getStorage } from '@/lib/server/storage';
import { DatasetParamsSchema, parseParams } from '../schema';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ id: string }> };

/** The dataset manifest (lib/pixels/manifest.ts). */
export async function GET(_request: Request, { params }: Context) {
  try {
    const { id } = parseParams(DatasetParamsSchema, await params);
    return Response.json(await getManifest(getStorage(), id));
  } catch (err) {
    return errorResponse(err);
  }
}

export async function DELETE(_request: Request, { params }: Context) {
  try {
    const { id } = parseParams(DatasetParamsSchema, await params);
    await deleteDataset(getStorage(), id);
    return Response.json({ ok: true });
  } catch (err) {
    return errorResponse(err);
  }
}
