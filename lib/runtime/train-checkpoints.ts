/**
 * Where the Train page keeps its runs: one checkpoint per run, keyed by run id, so starting a run
 * never touches another's. In the browser that is an IndexedDB database of two stores, written in
 * one transaction: `runs` (the small summaries the page lists) and `checkpoints` (the artifacts,
 * weights and optimizer state, read only to resume). A run saved by an earlier version, in tf.io's
 * one `indexeddb://reformer-studio-train` slot, is moved into its own slot the first time runs are
 * listed (read with tf.io's layout directly: its model manager is not there in every context). Each run also has a Web Lock while a tab (worker) has it open: `runLocks`.
 */
import type * as tf from '@/lib/reformer/tf';
import { CheckpointStorageError } from './errors';
import type { CheckpointSummary } from './train-protocol';

/** Where saved runs live: IndexedDB in the browser, memory in tests. */
export interface CheckpointStore {
  /** Every saved run's summary, newest first. */
  list(): Promise<CheckpointSummary[]>;
  /** The run's checkpoint; null only when there is none. Any other failure throws CheckpointStorageError. */
  load(runId: string): Promise<tf.io.ModelArtifacts | null>;
  /** Replaces the run's checkpoint and summary together. */
  save(summary: CheckpointSummary, artifacts: tf.io.ModelArtifacts): Promise<void>;
  /** True if there was one. */
  remove(runId: string): Promise<boolean>;
}

const DB_NAME = 'reformer-studio-runs';
const RUNS = 'runs';
const CHECKPOINTS = 'checkpoints';
/** Where earlier versions kept their one run: tf.io's `indexeddb://reformer-studio-train`. */
const LEGACY_DB = 'tensorflowjs';
const LEGACY_MODELS = 'models_store';
const LEGACY_INFO = 'model_info_store';
const LEGACY_KEY = 'reformer-studio-train';
/** The id that run gets once moved. */
export const LEGACY_RUN_ID = 'saved-before-run-ids';

const reason = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('the transaction was aborted'));
  });
}

function openDb(): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined')
    return Promise.reject(new Error('this browser offers no IndexedDB (a private window?)'));
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore(RUNS, { keyPath: 'runId' });
      req.result.createObjectStore(CHECKPOINTS);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    req.onblocked = () =>
      reject(new Error('another tab holds an older version of the database open; close it and reload'));
  });
}

/** Runs `body` on the database, closing it after; every failure becomes a CheckpointStorageError saying what failed. */
async function withDb<T>(what: string, body: (db: IDBDatabase) => Promise<T>): Promise<T> {
  let db: IDBDatabase | undefined;
  try {
    db = await openDb();
    return await body(db);
  } catch (e) {
    throw new CheckpointStorageError(
      `Could not ${what} in this browser's storage (${reason(e)}). Free some disk space or leave private browsing, then try again.`,
    );
  } finally {
    db?.close();
  }
}

function summaryIn(artifacts: tf.io.ModelArtifacts): CheckpointSummary | null {
  const meta = artifacts.userDefinedMetadata as { summary?: CheckpointSummary } | undefined;
  return meta?.summary ?? null;
}

/**
 * Opens tf.io's database if it exists (its layout: `models_store` and `model_info_store`, both keyed
 * by `modelPath`); null when it does not, without creating it.
 */
function openLegacyDb(): Promise<IDBDatabase | null> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(LEGACY_DB, 1);
    req.onupgradeneeded = () => req.transaction!.abort(); // it did not exist
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => (req.error?.name === 'AbortError' ? resolve(null) : reject(req.error));
  });
}

/** Moves the one run an earlier version saved into a slot of its own; nothing to do when there is none. */
async function moveLegacyRun(db: IDBDatabase): Promise<void> {
  const legacy = await openLegacyDb();
  if (!legacy) return;
  try {
    if (!legacy.objectStoreNames.contains(LEGACY_MODELS)) return;
    const record = await request(
      legacy.transaction(LEGACY_MODELS).objectStore(LEGACY_MODELS).get(LEGACY_KEY) as IDBRequest<
        { modelArtifacts: tf.io.ModelArtifacts } | undefined
      >,
    );
    const artifacts = record?.modelArtifacts;
    const summary = artifacts && summaryIn(artifacts);
    if (!summary) return; // none, or not a run this studio saved: left alone
    const moved = { ...summary, runId: LEGACY_RUN_ID };
    const tx = db.transaction([RUNS, CHECKPOINTS], 'readwrite');
    tx.objectStore(RUNS).put(moved);
    tx.objectStore(CHECKPOINTS).put(
      { ...artifacts, userDefinedMetadata: { ...artifacts.userDefinedMetadata, summary: moved } },
      LEGACY_RUN_ID,
    );
    await done(tx);
    // Only once its copy is written: a failed move keeps the old slot for the next try.
    const old = legacy.transaction([LEGACY_MODELS, LEGACY_INFO], 'readwrite');
    old.objectStore(LEGACY_MODELS).delete(LEGACY_KEY);
    old.objectStore(LEGACY_INFO).delete(LEGACY_KEY);
    await done(old);
  } finally {
    legacy.close();
  }
}

export const indexedDbCheckpoints: CheckpointStore = {
  list: () =>
    withDb('list the saved runs', async (db) => {
      await moveLegacyRun(db);
      const runs = await request(db.transaction(RUNS).objectStore(RUNS).getAll() as IDBRequest<CheckpointSummary[]>);
      return runs.sort((a, b) => b.savedAt.localeCompare(a.savedAt));
    }),
  load: (runId) =>
    withDb('read the saved run', async (db) => {
      const artifacts = await request(
        db.transaction(CHECKPOINTS).objectStore(CHECKPOINTS).get(runId) as IDBRequest<tf.io.ModelArtifacts | undefined>,
      );
      return artifacts ?? null;
    }),
  save: (summary, artifacts) =>
    withDb(`save the checkpoint at step ${summary.step}`, async (db) => {
      const tx = db.transaction([RUNS, CHECKPOINTS], 'readwrite');
      tx.objectStore(RUNS).put(summary);
      tx.objectStore(CHECKPOINTS).put(artifacts, summary.runId);
      await done(tx);
    }),
  remove: (runId) =>
    withDb('discard the saved run', async (db) => {
      const tx = db.transaction([RUNS, CHECKPOINTS], 'readwrite');
      const existed = tx.objectStore(RUNS).getKey(runId);
      tx.objectStore(RUNS).delete(runId);
      tx.objectStore(CHECKPOINTS).delete(runId);
      await done(tx);
      return existed.result !== undefined;
    }),
};

/** Who may train, resume or discard a run: the tab holding its lock. */
export interface RunLocks {
  /** Takes the run's lock and returns its release (done once the lock is free again), or null when someone else holds it. */
  tryHold(runId: string): Promise<(() => Promise<void>) | null>;
  /** The ids of runs whose lock anyone (this worker included) holds. */
  held(): Promise<Set<string>>;
}

const LOCK_PREFIX = 'reformer-studio-run:';

/**
 * Web Locks, which browsers release when the worker holding one ends (a tab closed or crashed). Where
 * there are none (a page served over plain http to another machine is not a secure context), runs
 * are not guarded: every lock is granted.
 */
export const webRunLocks: RunLocks = {
  tryHold(runId) {
    const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
    if (!locks) return Promise.resolve(async () => {});
    return new Promise((resolve, reject) => {
      // Held until the callback's promise settles; `request` settles once the lock is free, so
      // the same tab may take it again straight after (resuming a run it stopped).
      const freed: Promise<void> = locks
        .request(`${LOCK_PREFIX}${runId}`, { ifAvailable: true }, async (lock) => {
          if (!lock) return resolve(null);
          await new Promise<void>((release) =>
            resolve(() => {
              release();
              return freed;
            }),
          );
        })
        .then(() => undefined, reject);
    });
  },
  async held() {
    const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
    if (!locks) return new Set();
    const { held = [] } = await locks.query();
    return new Set(held.flatMap((l) => (l.name?.startsWith(LOCK_PREFIX) ? [l.name.slice(LOCK_PREFIX.length)] : [])));
  },
};
