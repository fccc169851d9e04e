import { errorResponse, payloadTooLarge } from '@/lib/server/errors';
import { readMultipart } from '@/lib/server/http';
import { listModels, MODEL_LIMITS, publishModel } from '@/lib/server/models/store';
import { getStorage } from '@/lib/server/storage';
import { fileField, parseManifestField } from './schema';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Published models, newest first, in public/models/index.json's shape: `{ models: ShippedModel[] }`. */
export async function GET() {
  try {
    return Response.json({ models: await listModels(getStorage()) });
  } catch (err) {
    return errorResponse(err);
  }
}

/** multipart `model.json` (file) + `weights.bin` (file) + `manifest` (JSON `{ sha256 }`) → 201 with the list entry. */
export async function POST(request: Request) {
  try {
    const form = await readMultipart(request, MODEL_LIMITS.requestBytes, ['model.json', 'weights.bin', 'manifest']);
    const { sha256 } = parseManifestField(form.get('manifest'));
    const modelJson = fileField(form, 'model.json');
    const weights = fileField(form, 'weights.bin');
    if (modelJson.size > MODEL_LIMITS.modelJsonBytes)
      throw payloadTooLarge('model.json is larger than 1 MiB; weights belong in weights.bin.');
    const record = await publishModel(getStorage(), {
      modelJson: new Uint8Array(await modelJson.arrayBuffer()),
      weights: new Uint8Array(await weights.arrayBuffer()),
      sha256,
    });
    const { card, url, bytes } = record;
    return Response.json({ card, url, sha256: record.sha256, bytes }, { status: 201 });
  } catch (err) {
    return errorResponse(err);
  }
}
