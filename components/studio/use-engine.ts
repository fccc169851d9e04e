'use client';
/**
 * The studio's engine lifecycle: one generation worker per backend preference (switching backend
 * ends the old worker, which frees everything it held), the backend it chose and why, and the
 * models it can load (the shipped index + the user's IndexedDB models).
 */
import { useEffect, useState } from 'react';
import { type ShippedModel, ShippedIndexSchema } from '@/lib/models/card';
import { backendsToAvoid } from '@/lib/runtime/backend-checks';
import type { BackendChoice, BackendName } from '@/lib/runtime/backends';
import { WorkerClient } from '@/lib/runtime/client';
import type { ModelSource } from '@/lib/runtime/protocol';

export interface ModelEntry {
  key: string;
  card: ShippedModel['card'];
  source: ModelSource;
  sha256?: string;
  bytes?: number;
  /** Shipped with the site, trained and published on this server, or kept in this browser's IndexedDB. */
  origin: 'shipped' | 'trained' | 'local';
}

function toEntry(m: ShippedModel, origin: ModelEntry['origin']): ModelEntry {
  return {
    key: `${origin}:${m.card.id}:${m.sha256.slice(0, 12)}`,
    card: m.card,
    source: { kind: 'url', id: `${m.card.id}@${m.sha256.slice(0, 12)}`, url: m.url, sha256: m.sha256, bytes: m.bytes },
    sha256: m.sha256,
    bytes: m.bytes,
    origin,
  };
}

/** A worker on `backendPref`; a new one whenever that or `restarts` changes. */
export function useEngine(backendPref: BackendName | 'auto', restarts = 0) {
  const [client, setClient] = useState<WorkerClient | null>(null);
  const [choice, setChoice] = useState<BackendChoice | null>(null);
  const [error, setError] = useState<Error | null>(null);

  useEffect(() => {
    let live = true;
    const c = new WorkerClient();
    setClient(c);
    setChoice(null);
    setError(null);
    c.init(backendPref, backendsToAvoid()).then(
      (choice) => live && setChoice(choice),
      (e: Error) => live && setError(e),
    );
    return () => {
      live = false; // the disposed worker rejects its pending init: not an error of the new one
      c.dispose();
    };
  }, [backendPref, restarts]);

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
    const read = (url: string, origin: ModelEntry['origin']) =>
      fetch(url, { cache: 'no-cache' })
        .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`${url}: HTTP ${r.status}`))))
        .then((json) => ShippedIndexSchema.parse(json).models.map((m) => toEntry(m, origin)));
    // Shipped defaults first, then models trained and published on this server (GET /api/models, same shape).
    Promise.allSettled([read('/models/index.json', 'shipped'), read('/api/models', 'trained')]).then(
      ([shippedList, trainedList]) => {
        const seen = new Set<string>();
        const all = [shippedList, trainedList].flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
        setShipped(all.filter((m) => !seen.has(m.sha256!) && seen.add(m.sha256!)));
        if (shippedList.status === 'rejected')
          setError(`Could not read the model list (${(shippedList.reason as Error).message}).`);
      },
    );
  }, []);

  useEffect(() => {
    if (!client) return;
    client
      .listLocal()
      .then((list) =>
        setLocal(
          list.flatMap((m) =>
            m.card
              ? [
                  {
                    key: `local:${m.url}`,
                    card: m.card,
                    source: { kind: 'indexeddb', id: m.url, url: m.url } as ModelSource,
                    bytes: m.bytes,
                    origin: 'local' as const,
                  },
                ]
              : [],
          ),
        ),
      )
      .catch(() => setLocal([])); // listing is best effort: the shipped models still work
  }, [client]);

  return { models: shipped === null ? null : [...shipped, ...local], error };
}
