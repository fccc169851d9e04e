import { expect, test } from 'vitest';
import * as tf from '@/lib/reformer/tf';
import { backendsToAvoid } from '@/lib/runtime/backend-checks';
import { runBackendCheck } from '@/lib/runtime/diagnostics-check';
import { backendCheckRecord } from '@/lib/runtime/diagnostics-client';
import type { BackendCheckRow } from '@/lib/runtime/diagnostics-protocol';

test('the check runs without a worker: each backend gets a row, compared with the first one that ran', async () => {
  const heard: BackendCheckRow[] = [];
  const rows = await runBackendCheck({
    backends: ['cpu', 'wasm'],
    // The "WASM" run is the CPU backend again, so its logits must agree exactly.
    activateWasm: async () => {
      await tf.setBackend('cpu');
      return { reason: 'WebAssembly (stub)' };
    },
    onRow: (row) => heard.push(row),
  });
  expect(rows.map((r) => [r.backend, r.status, r.diff])).toEqual([
    ['cpu', 'ok', 0],
    ['wasm', 'ok', 0],
  ]);
  expect(rows[0].detail).toBe('reference (plain JavaScript)');
  expect(rows[1].detail).toBe('WebAssembly (stub)');
  expect(heard).toEqual(rows);
  expect(tf.getBackend()).toBe('cpu');
});

test('a backend that throws is a failed row with its message, and the record avoids it', async () => {
  const rows = await runBackendCheck({
    backends: ['cpu', 'wasm'],
    activateWasm: async () => {
      throw new Error('no wasm binaries here');
    },
  });
  expect(rows[1]).toEqual({ backend: 'wasm', status: 'failed', detail: 'no wasm binaries here' });
  const record = backendCheckRecord(rows, new Date('2026-12-01T10:00:00Z'));
  expect(record.checkedAt).toBe('2026-12-01T10:00:00.000Z');
  expect(Object.keys(backendsToAvoid(record))).toEqual(['wasm']);
});
