/**
 * Gradient helpers for data-parallel training (`Trainer.trainStepParallel`): the messages between
 * a trainer and a helper running elsewhere (a Node worker thread, a Web Worker), and both ends.
 * A helper holds a replica of the model; each request carries the current weights and the helper's
 * rows of the batch, and the reply the loss and gradients of those rows.
 */
import type { ReformerConfig } from '../reformer/config';
import { ReformerLM } from '../reformer/model';
import * as tf from '../reformer/tf';
import type { GradientHelper } from './trainer';

export interface GradientRequest {
  type: 'gradients';
  id: number;
  weights: Record<string, Float32Array>;
  tokens: Int32Array;
  rows: number;
  stepSeed: number;
  /** Class-conditional models: the class id of each of the rows. */
  classIds?: Int32Array;
}

type GradientResult = { loss: number; grads: Record<string, Float32Array> };

export type HelperMessage = { type: 'init'; config: Partial<ReformerConfig> } | GradientRequest;
export type HelperReply =
  | { type: 'ready' }
  | { type: 'failed'; error: string }
  | ({ type: 'result'; id: number } & GradientResult)
  | { type: 'error'; id: number; error: string };

/** A message channel to or from a helper, whatever carries it. */
export interface Endpoint {
  post(message: HelperMessage | HelperReply, transfer?: ArrayBuffer[]): void;
  listen(handler: (message: HelperMessage | HelperReply) => void): void;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The helper's end: `prepare` readies its tfjs backend; then it answers requests in order. */
export function serveGradients(endpoint: Endpoint, prepare: () => Promise<void>): void {
  let model: ReformerLM | undefined;
  endpoint.listen(async (m) => {
    if (m.type === 'init') {
      try {
        await prepare();
        model = new ReformerLM(m.config);
        endpoint.post({ type: 'ready' });
      } catch (e) {
        endpoint.post({ type: 'failed', error: message(e) });
      }
      return;
    }
    if (m.type !== 'gradients') return;
    try {
      if (!model) throw new Error('not initialised');
      const reply = gradientsOf(model, m);
      endpoint.post(
        reply,
        Object.values(reply.grads).map((a) => a.buffer as ArrayBuffer),
      );
    } catch (e) {
      endpoint.post({ type: 'error', id: m.id, error: message(e) });
    }
  });
}

function gradientsOf(model: ReformerLM, request: GradientRequest): HelperReply & { type: 'result' } {
  for (const [name, v] of model.variables) {
    const values = request.weights[name];
    if (!values || values.length !== v.size) throw new Error(`weights for "${name}" are missing or of the wrong size`);
    tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
  }
  const tokens = tf.tensor2d(request.tokens, [request.rows, model.config.seqLength], 'int32');
  const { loss, grads } = model.computeGradients(tokens, { stepSeed: request.stepSeed, classIds: request.classIds });
  tokens.dispose();
  const out: Record<string, Float32Array> = {};
  for (const [name, v] of model.variables) {
    out[name] = grads[v.name].dataSync() as Float32Array;
    grads[v.name].dispose();
  }
  return { type: 'result', id: request.id, loss, grads: out };
}

export interface GradientClientOptions {
  /**
   * How long one request may go unanswered before the helper is taken for dead: the request fails
   * and so does every later one. None by default (Node's threads report their exit); a Web Worker
   * can die without an error event, which would otherwise hang the step forever.
   */
  timeoutMs?: number;
}

/** The trainer's end of one helper. */
export class GradientClient implements GradientHelper {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: GradientResult) => void; reject: (e: Error) => void }>();
  /** Why the helper is dead, once it is. */
  private dead: Error | undefined;

  private constructor(
    private readonly endpoint: Endpoint,
    private readonly options: GradientClientOptions,
  ) {
    endpoint.listen((m) => {
      if (m.type !== 'result' && m.type !== 'error') return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.type === 'error') p.reject(new Error(`gradient helper: ${m.error}`));
      else p.resolve({ loss: m.loss, grads: m.grads });
    });
  }

  /** Sends the model config and waits until the helper has its backend and replica ready. */
  static start(
    endpoint: Endpoint,
    config: Partial<ReformerConfig>,
    options: GradientClientOptions = {},
  ): Promise<GradientClient> {
    return new Promise((resolve, reject) => {
      let settled = false;
      endpoint.listen((m) => {
        if (settled || (m.type !== 'ready' && m.type !== 'failed')) return;
        settled = true;
        if (m.type === 'ready') resolve(new GradientClient(endpoint, options));
        else reject(new Error(`gradient helper failed to start: ${m.error}`));
      });
      endpoint.post({ type: 'init', config });
    });
  }

  gradients(
    weights: Record<string, Float32Array>,
    tokens: Int32Array,
    rows: number,
    stepSeed: number,
    classIds?: Int32Array,
  ): Promise<GradientResult> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    const { timeoutMs } = this.options;
    return new Promise<GradientResult>((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              const s = Math.ceil(timeoutMs / 1000);
              this.fail(
                new Error(
                  `a gradient helper did not answer within ${s} s and is taken for dead (its worker may have crashed). The run stopped; resume it from its last checkpoint.`,
                ),
              );
            }, timeoutMs);
      this.pending.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.endpoint.post({ type: 'gradients', id, weights, tokens, rows, stepSeed, ...(classIds && { classIds }) });
    });
  }

  /** Fails every request in flight and every later one (the helper died). */
  fail(error: Error): void {
    this.dead ??= error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}
