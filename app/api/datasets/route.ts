import { listDatasets } from '@/lib/server/datasets/catalog';
import { LIMITS } from '@/lib/server/datasets/limits';
import { checkPreparationRoom, prepareDataset } from '@/lib/server/datasets/prepare';
import { badRequest, errorResponse, toAppError } from '@/lib/server/errors';
import { ndjsonStream, readMultipart } from '@/lib/server/http';
import { getStorage } from '@/lib/server/storage';
import type { UploadEvent } from '@/lib/pixels/manifest';
import { parseOptionsField } from './schema';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET() {
  try {
    return Response.json({ datasets: await listDatasets(getStorage()) });
  } catch (err) {
    return errorResponse(err);
  }
}

/** multipart `options` (JSON) + `files` (images and/or zips) → NDJSON stream of UploadEvent. */
export async function POST(request: Request) {
  let events: AsyncGenerator<UploadEvent, unknown>;
  try {
    // A full line refuses the upload before its body is read. prepareDataset checks again, for
    // uploads that filled the line while this one was being read.
    checkPreparationRoom();
    const form = await readMultipart(request, LIMITS.requestBytes);
    const options = parseOptionsField(form.get('options'));
    const files = form.getAll('files').filter((f): f is File => typeof f !== 'string');
    if (files.length === 0) throw badRequest('no_files', 'Add at least one image or zip in the "files" field.');
    const inputs = await Promise.all(
      files.map(async (f) => ({ name: f.name || 'unnamed', bytes: new Uint8Array(await f.arrayBuffer()) })),
    );
    events = prepareDataset(inputs, options, { storage: getStorage() });
  } catch (err) {
    return errorResponse(err);
  }
  const body = ndjsonStream<UploadEvent>(events, (err) => {
    const e = toAppError(err);
    return { type: 'error', code: e.code, message: e.message };
  });
  return new Response(body, {
    headers: {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    },
  });
}
