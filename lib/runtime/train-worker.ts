/**
 * The Web Worker that trains (cf. generate-worker.ts): it answers train-protocol.ts requests with
 * the in-process engine (training/session.ts), streams a run's events as `progress` replies (sample
 * images and published weights are transferred, not copied), and sends failures by name for the
 * client to revive.
 */
import { InProcessTrainEngine } from './train-engine';
import type { ErrorPayload, TrainEvent, TrainReply, TrainRequest, TrainResults } from './train-protocol';

const engine = new InProcessTrainEngine();

function post(reply: TrainReply, transfer: Transferable[] = []): void {
  (self as unknown as Worker).postMessage(reply, transfer);
}

function toPayload(err: unknown): ErrorPayload {
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

function transferOf(event: TrainEvent): Transferable[] {
  return event.type === 'samples' ? event.images.map((i) => i.rgb.buffer as ArrayBuffer) : [];
}

async function handle(req: TrainRequest): Promise<void> {
  const { id } = req;
  const result = (payload: TrainResults[keyof TrainResults], transfer?: Transferable[]) =>
    post({ kind: 'result', id, payload }, transfer);
  switch (req.kind) {
    case 'list':
      return result(await engine.list());
    case 'start': {
      const { settings, resumeRunId, avoid } = req.payload;
      const onEvent = (event: TrainEvent) => post({ kind: 'progress', id, payload: event }, transferOf(event));
      return result(await engine.start(settings, resumeRunId, onEvent, avoid));
    }
    case 'pause':
      return result(await engine.pause());
    case 'resume':
      return result(await engine.resume());
    case 'stop':
      return result(await engine.stop());
    case 'publish': {
      const artifacts = await engine.publish(req.payload.name);
      return result(artifacts, [artifacts.weightData]);
    }
    case 'discard':
      return result(await engine.discard(req.payload.runId));
    case 'close':
      return result(await engine.close());
  }
}

self.onmessage = (event: MessageEvent<TrainRequest>) => {
  handle(event.data).catch((err) => post({ kind: 'error', id: event.data.id, payload: toPayload(err) }));
};
