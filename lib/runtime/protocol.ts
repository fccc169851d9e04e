/**
 * The studio's worker protocol, in one file (cf. web-llm `message.ts`). The UI sends requests
 * `{ kind, id, payload }`; the worker answers each id with any number of `progress` replies and
 * then exactly one `result` or `error`. `cancel` names the id of the run to stop.
 */
import type { ReformerConfig } from '@/lib/reformer/config';
import type { SamplingSettings } from '@/lib/reformer/sampling';
import type { ModelCard } from '@/lib/models/card';
import type { AvoidList } from './backend-checks';
import type { BackendChoice, BackendName } from './backends';

/** Where a model comes from: a shipped/served model.json, the browser's IndexedDB, or random weights (benchmarks). */
export type ModelSource =
  | { kind: 'url'; id: string; url: string; sha256: string; bytes: number }
  | { kind: 'indexeddb'; id: string; url: `indexeddb://${string}` }
  | { kind: 'random'; id: string; config: Partial<ReformerConfig> };

export interface LoadedModel {
  id: string;
  card: ModelCard | null;
  vocabSize: number;
  seqLength: number;
  parameters: number;
  /** Bytes of decoding cache per image in the batch. */
  cacheBytesPerImage: number;
  /** Came from the IndexedDB cache rather than the network. */
  fromCache: boolean;
}

export interface LoadProgress {
  stage: 'download' | 'cache' | 'build' | 'warmup';
  /** Bytes so far / in all (download only). */
  loaded?: number;
  total?: number;
}

export interface SampleRequest {
  batch: number;
  seed: number;
  /** Image b of the run is image `firstImage + b` of the seed (default 0): one image of a seed drawn alone. */
  firstImage?: number;
  /** Epsilon absent = 0. */
  sampling: SamplingSettings;
  /** Class-conditional models: the class to draw (lib/reformer/guidance.ts); absent = "no class". */
  classId?: number;
  /** Classifier-free guidance strength s ≥ 0 (lib/reformer/guidance.ts); absent or 0 = none. */
  guidance?: number;
  /** Forced leading tokens per image (completion). */
  prefix?: number[][];
  /** Stop after this many tokens (default: the whole image). */
  length?: number;
  /** Tokens per streamed chunk (default: one image row); a chunk is also sent every 250 ms. */
  chunkTokens?: number;
}

/** Tokens of positions [start, start + rows[b].length) for each image b, plus running stats. */
export interface SampleChunk {
  start: number;
  rows: Int32Array[];
  /** Positions done so far, and in the whole run. */
  done: number;
  total: number;
  /** Tokens (all images together) per second since the first step. */
  tokensPerSecond: number;
  elapsedMs: number;
}

export interface MemoryStats {
  /** Live tensors and their bytes (tf.memory()). */
  numTensors: number;
  numBytes: number;
  /** Highest numBytes seen during the last sample run. */
  peakTensorBytes: number;
  /** Decoding cache of the last sample run (JS typed arrays, outside tf.memory()). */
  cacheBytes: number;
  /** WASM backend only: size of its linear memory (never shrinks). */
  wasmHeapBytes?: number;
}

export type Request =
  | { kind: 'init'; id: number; payload: { backend: BackendName | 'auto'; avoid?: AvoidList } }
  | { kind: 'load'; id: number; payload: { source: ModelSource } }
  | { kind: 'sample'; id: number; payload: SampleRequest }
  | { kind: 'cancel'; id: number; payload: { target: number } }
  | { kind: 'memory'; id: number; payload: Record<string, never> }
  | { kind: 'listLocal'; id: number; payload: Record<string, never> };

/** What each request kind resolves to. */
export interface Results {
  init: BackendChoice;
  load: LoadedModel;
  sample: { positions: number; elapsedMs: number; tokensPerSecond: number };
  cancel: { cancelled: boolean };
  memory: MemoryStats;
  listLocal: LocalModel[];
}

export interface Progresses {
  init: never;
  load: LoadProgress;
  sample: SampleChunk;
  cancel: never;
  memory: never;
  listLocal: never;
}

/** A model the user trained and kept in IndexedDB (tf.io `indexeddb://` store). */
export interface LocalModel {
  url: `indexeddb://${string}`;
  card: ModelCard | null;
  bytes: number;
}

export interface ErrorPayload {
  name: string;
  message: string;
}

export type Reply =
  | { kind: 'progress'; id: number; payload: Progresses[keyof Progresses] }
  | { kind: 'result'; id: number; payload: Results[keyof Results] }
  | { kind: 'error'; id: number; payload: ErrorPayload };

export type RequestKind = Request['kind'];
export type PayloadOf<K extends RequestKind> = Extract<Request, { kind: K }>['payload'];
