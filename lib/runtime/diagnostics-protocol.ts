/**
 * The diagnostics worker's protocol (cf. protocol.ts): one request, `check`, answered by a
 * `progress` reply per backend as it finishes and then one `result` with every row, or an `error`.
 */
import type { ErrorPayload } from './protocol';

/** Every backend the studio can run on, the CPU reference first. */
export const CHECKED_BACKENDS = ['cpu', 'wasm', 'webgl', 'webgpu'] as const;
export type CheckedBackend = (typeof CHECKED_BACKENDS)[number];

/** One backend's outcome, as the page's table shows it. */
export interface BackendCheckRow {
  backend: CheckedBackend;
  status: 'ok' | 'unavailable' | 'failed';
  detail: string;
  /** Max |Δ logit| against the CPU reference, where it ran. */
  diff?: number;
  ms?: number;
}

export type DiagnosticsRequest = { kind: 'check'; id: number; payload: { backends?: CheckedBackend[] } };

export type DiagnosticsReply =
  | { kind: 'progress'; id: number; payload: BackendCheckRow }
  | { kind: 'result'; id: number; payload: BackendCheckRow[] }
  | { kind: 'error'; id: number; payload: ErrorPayload };
