'use client';
/**
 * The studio's engine lifecycle: one generation worker per backend preference (switching backend
 * ends the old worker, which frees everything it held), the backend it chose and why, and the
 * models it can load (the shipped index + the user's IndexedDB models).
 */
import { useEffect, useState } from 'react';
import { type ShippedModel, ShippedIndexSchema } from '@/lib/models/card';
import type { BackendChoice, BackendName } from '@/lib/runtime/backends';
import { WorkerClient } from '@/lib/runtime/client';
import type { ModelSource } from '@/lib/runtime/protocol';

export interface ModelEntry {
  key: string;
  card: ShippedModel['card'];
  source: ModelSource;
  sha256?: string;
  bytes?: number;
  origin: 'shipped' | 'local';
}

export function useEngine(backendPref: BackendName | 'auto') {
  const [client, setClient] = useState<WorkerClient | null>(null);
  const [choice, setChoice] = useState<BackendChoice | null>(null);
  const [error, setError] = useState<Error | null>(null);

  useEffect(() => {
    let live = true;
    const c = new WorkerClient();
    setClient(c);
    setChoice(null);
    setError(null);
    c.init(backendPref).then(
      (choice) => live && setChoice(choice),
      (e: Error) => live && setError(e),
    );
    return () => {
      live = false; // the disposed worker rejects its pending init: not an error of the new one
      c.dispose();
    };
  }, [backendPref]);

  return { client, choice, error };
}

/** `?bench` exposes the worker client to bench/generate.ts, which drives it from page.evaluate. */
export function useBenchHook() {
  useEffect(() => {
    if (!new URLSearchParams(window.location.search).has('bench')) return;
    (window as unknown as { __reformerBench?: unknown }).__reformerBench = { createClient: () => new WorkerClient() };
  }, []);
}

export function useModels(client: WorkerClient | null) {
  const [shipped, setShipped] = useState<ModelEntry[] | null>(null);
  const [local, setLocal] = useState<ModelEntry[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    fetch('/models/index.json', { cache: 'no-cache' })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
      .then((json) => {
        const index = ShippedIndexSchema.parse(json);
        setShipped(
          index.models.map((m) => ({
            key: `shipped:${m.card.id}`,
            card: m.card,
            source: { kind: 'url', id: `${m.card.id}@${m.sha256.slice(0, 12)}`, url: m.url, sha256: m.sha256, bytes: m.bytes },
            sha256: m.sha256,
            bytes: m.bytes,
            origin: 'shipped',
          })),
        );
      })
      .catch((e: Error) => {
        setShipped([]);
        setError(`Could not read the model list (${e.message}).`);
      });
  }, []);

  useEffect(() => {
    if (!client) return;
    client
      .listLocal()
      .then((list) =>
        setLocal(
          list.flatMap((m) =>
            m.card ? [{ key: `local:${m.url}`, card: m.card, source: { kind: 'indexeddb', id: m.url, url: m.url } as ModelSource, bytes: m.bytes, origin: 'local' as const }] : [],
          ),
        ),
      )
      .catch(() => setLocal([])); // listing is best effort: the shipped models still work
  }, [client]);

  return { models: shipped === null ? null : [...shipped, ...local], error };
}
