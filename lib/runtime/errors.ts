/**
 * Errors a person using the studio can hit, each with a message that says what to do next. They
 * cross the worker boundary by `name` (protocol.ts `ErrorPayload`) and are rebuilt by `reviveError`.
 */

export type BackendName = 'webgpu' | 'wasm' | 'webgl' | 'cpu';

/** A backend was asked for by name but cannot run here (or the name is not a backend). */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
  constructor(
    readonly backend: string,
    readonly why: string,
    readonly valid: readonly BackendName[],
  ) {
    super(
      `backend "${backend}" is unavailable: ${why}. Valid options here: ${valid.length ? valid.join(', ') : 'none'} (or "auto").`,
    );
  }
}

export class WebGpuUnavailableError extends Error {
  override name = 'WebGpuUnavailableError';
  constructor(why = 'this browser exposes no WebGPU adapter') {
    super(
      `WebGPU is unavailable: ${why}. Use Chrome or Edge 113+ (or enable chrome://flags/#enable-unsafe-webgpu), or pick "auto" to run on WebAssembly.`,
    );
  }
}

export class DeviceLostError extends Error {
  override name = 'DeviceLostError';
  constructor(detail = 'the GPU device was lost') {
    super(
      `${detail}. This happens when the GPU driver resets or another tab takes the GPU. The studio starts a fresh backend: start the run again once the model has loaded; if it keeps happening, choose the "wasm" backend.`,
    );
  }
}

export class OutOfMemoryError extends Error {
  override name = 'OutOfMemoryError';
  constructor(detail = 'the backend ran out of memory') {
    super(
      `${detail}. Generate fewer images at once (lower "Images"), pick a smaller model, or close other heavy tabs.`,
    );
  }
}

/** The model file could not be downloaded, or did not match its published hash. */
export class ModelDownloadError extends Error {
  override name = 'ModelDownloadError';
}

/** A model load that a later load replaced before it finished: its model was discarded, not an error to show. */
export class LoadSupersededError extends Error {
  override name = 'LoadSupersededError';
  constructor(id = 'the model') {
    super(`loading ${id} was replaced by a later load`);
  }
}

const NAMED: Record<string, (message: string) => Error> = {
  LoadSupersededError: (m) => Object.assign(new LoadSupersededError(), { message: m }),
  WebGpuUnavailableError: (m) => Object.assign(new WebGpuUnavailableError(), { message: m }),
  DeviceLostError: (m) => Object.assign(new DeviceLostError(), { message: m }),
  OutOfMemoryError: (m) => Object.assign(new OutOfMemoryError(), { message: m }),
  ModelDownloadError: (m) => new ModelDownloadError(m),
  CheckpointStorageError: (m) => new CheckpointStorageError(m),
  RunOpenElsewhereError: (m) => Object.assign(new RunOpenElsewhereError('used'), { message: m }),
  RunInProgressError: (m) => new RunInProgressError(m),
  NothingTrainingError: (m) => new NothingTrainingError(m),
  SavedRunMissingError: (m) => new SavedRunMissingError(m),
  DatasetUnavailableError: (m) => Object.assign(new DatasetUnavailableError('', 0), { message: m }),
  StartModelMismatchError: (m) => Object.assign(new StartModelMismatchError('', '', ''), { message: m }),
  TrainWorkerCrashedError: (m) => new TrainWorkerCrashedError(m),
};

/** Rebuilds an error sent as `{ name, message }` so `instanceof` works on the UI side. */
export function reviveError(payload: { name: string; message: string }): Error {
  const make = NAMED[payload.name];
  if (make) return make(payload.message);
  const e = new Error(payload.message);
  e.name = payload.name;
  return e;
}

/** Maps a raw backend failure to the named error a user can act on; anything else passes through. */
export function classifyBackendError(err: unknown): unknown {
  const message = err instanceof Error ? err.message : String(err);
  if (/out of memory|OOM|allocation failed|Cannot enlarge memory|RangeError: Array buffer allocation/i.test(message)) {
    return new OutOfMemoryError(message.slice(0, 200));
  }
  if (/device (was )?lost|GPUDevice.*lost|context lost/i.test(message))
    return new DeviceLostError(message.slice(0, 200));
  return err;
}

/** The browser's storage (IndexedDB) could not read or write a training checkpoint: full, blocked, or unavailable. */
export class CheckpointStorageError extends Error {
  override name = 'CheckpointStorageError';
}

/** A training run is live in another tab (or a page still saving it), which alone may train, resume or discard it. */
export class RunOpenElsewhereError extends Error {
  override name = 'RunOpenElsewhereError';
  constructor(action: string) {
    super(
      `This run is open in another tab (or that page is still saving it), so it cannot be ${action} here. Stop or close it there first, then try again.`,
    );
  }
}

/** A run is training (or paused, or loading) here, and the request needs it stopped first. */
export class RunInProgressError extends Error {
  override name = 'RunInProgressError';
  constructor(message = 'A run is already in progress here; stop it before starting another.') {
    super(message);
  }
}

/** A control (pause, publish…) reached a training session with no run. */
export class NothingTrainingError extends Error {
  override name = 'NothingTrainingError';
  constructor(message = 'Nothing is training: start a run first.') {
    super(message);
  }
}

/** The run asked to resume has no checkpoint in this browser. */
export class SavedRunMissingError extends Error {
  override name = 'SavedRunMissingError';
  constructor(
    message = 'There is no saved run of that id in this browser to resume; it may have been discarded in another tab.',
  ) {
    super(message);
  }
}

/** The server did not give a run its dataset's manifest or a shard (deleted meanwhile, or the server is down). */
export class DatasetUnavailableError extends Error {
  override name = 'DatasetUnavailableError';
  constructor(url: string, status: number) {
    super(`${url} answered ${status}; is the dataset still there?`);
  }
}

/** The model a run was to start from reads other tokens than the dataset's pixels. */
export class StartModelMismatchError extends Error {
  override name = 'StartModelMismatchError';
  constructor(model: string, dataset: string, problem: string) {
    super(`${model} cannot train on ${dataset}: ${problem}.`);
  }
}

/** The training worker crashed or was ended: a new one resumes the run from its last checkpoint. */
export class TrainWorkerCrashedError extends Error {
  override name = 'TrainWorkerCrashedError';
  constructor(message = 'The training worker crashed; resume the run from its last checkpoint.') {
    super(message);
  }
}
