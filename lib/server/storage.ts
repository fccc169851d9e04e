import 'server-only';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';

/**
 * All persistence behind one small interface: JSON records by kind (SQLite here) and immutable
 * blobs by key (files under DATA_DIR here). Nothing else touches the disk, so PostgreSQL + S3
 * could replace this module without changing routes.
 *
 * Writes are atomic: a blob is written to a temp file in its directory, fsynced, then renamed.
 * Callers make a multi-blob object visible by writing its blobs first and its record last.
 */

/** Record kinds, one table each with the same generic shape (id, created_at, data JSON). */
export const RECORD_KINDS = ['datasets', 'models', 'samples', 'sample_reports'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export interface BlobStream {
  stream: ReadableStream<Uint8Array>;
  size: number;
}

export interface Storage {
  /** Inserts a record; fails if the id exists. */
  insertRecord(kind: RecordKind, id: string, createdAt: string, data: unknown): Promise<void>;
  /** Inserts a record, or replaces the one with this id, in one statement. */
  putRecord(kind: RecordKind, id: string, createdAt: string, data: unknown): Promise<void>;
  getRecord<T>(kind: RecordKind, id: string): Promise<T | undefined>;
  /** All records of a kind, newest first. */
  listRecords<T>(kind: RecordKind): Promise<T[]>;
  /** True if a record was deleted. */
  deleteRecord(kind: RecordKind, id: string): Promise<boolean>;

  putBlob(key: string, bytes: Uint8Array): Promise<void>;
  getBlob(key: string): Promise<Uint8Array | undefined>;
  blobStream(key: string): Promise<BlobStream | undefined>;
  /** Removes one blob; nothing if it is absent. */
  deleteBlob(key: string): Promise<void>;
  /** Removes every blob whose key starts with `prefix` (a folder, ending in `/`). */
  deleteBlobs(prefix: string): Promise<void>;
  /** Keys under `prefix`, for tests and clean-up. */
  listBlobs(prefix: string): Promise<string[]>;
  close(): void;
}

export interface StorageOptions {
  /** Root folder: SQLite file and blobs live below it. */
  dataDir: string;
  /** Test hook, called before each blob write with the key and a 1-based write count; throw to inject a failure. */
  beforeBlobWrite?: (key: string, writeNumber: number) => void;
}

const KEY = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/i;

function checkKey(key: string): string {
  if (!KEY.test(key) || key.split('/').some((part) => part === '..' || part === '.')) {
    throw new Error(`invalid blob key ${JSON.stringify(key)}`);
  }
  return key;
}

function checkKind(kind: string): RecordKind {
  if (!(RECORD_KINDS as readonly string[]).includes(kind)) throw new Error(`unknown record kind ${kind}`);
  return kind as RecordKind;
}

export function createStorage(options: StorageOptions): Storage {
  const dataDir = path.resolve(options.dataDir);
  const blobRoot = path.join(dataDir, 'blobs');
  let writes = 0;
  const blobPath = (key: string) => path.join(blobRoot, ...checkKey(key).split('/'));

  let db: Database.Database | undefined;
  // Opened lazily so importing this module never touches the disk.
  const database = async () => {
    if (!db) {
      await mkdir(dataDir, { recursive: true });
      db = new Database(path.join(dataDir, 'studio.sqlite'));
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      for (const kind of RECORD_KINDS) {
        db.exec(
          `CREATE TABLE IF NOT EXISTS ${kind} (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, data TEXT NOT NULL)`,
        );
      }
    }
    return db;
  };

  return {
    async insertRecord(kind, id, createdAt, data) {
      (await database())
        .prepare(`INSERT INTO ${checkKind(kind)} (id, created_at, data) VALUES (?, ?, ?)`)
        .run(id, createdAt, JSON.stringify(data));
    },
    async putRecord(kind, id, createdAt, data) {
      (await database())
        .prepare(
          `INSERT INTO ${checkKind(kind)} (id, created_at, data) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET created_at = excluded.created_at, data = excluded.data`,
        )
        .run(id, createdAt, JSON.stringify(data));
    },
    async getRecord<T>(kind: RecordKind, id: string) {
      const row = (await database()).prepare(`SELECT data FROM ${checkKind(kind)} WHERE id = ?`).get(id) as
        { data: string } | undefined;
      return row ? (JSON.parse(row.data) as T) : undefined;
    },
    async listRecords<T>(kind: RecordKind) {
      const rows = (await database())
        .prepare(`SELECT data FROM ${checkKind(kind)} ORDER BY created_at DESC, id`)
        .all() as { data: string }[];
      return rows.map((row) => JSON.parse(row.data) as T);
    },
    async deleteRecord(kind, id) {
      return (await database()).prepare(`DELETE FROM ${checkKind(kind)} WHERE id = ?`).run(id).changes > 0;
    },

    async putBlob(key, bytes) {
      const file = blobPath(key);
      options.beforeBlobWrite?.(key, ++writes);
      const dir = path.dirname(file);
      await mkdir(dir, { recursive: true });
      const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
      const handle = await open(temp, 'wx');
      try {
        try {
          await handle.writeFile(bytes);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temp, file);
      } catch (err) {
        await unlink(temp).catch(() => {});
        throw err;
      }
      // Make the rename itself durable (best effort: not every filesystem lets a directory be fsynced).
      const dirHandle = await open(dir, 'r').catch(() => undefined);
      await dirHandle?.sync().catch(() => {});
      await dirHandle?.close();
    },
    async getBlob(key) {
      try {
        return new Uint8Array(await readFile(blobPath(key)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async blobStream(key) {
      const file = blobPath(key);
      try {
        const { size } = await stat(file);
        const stream = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
        return { stream, size };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async deleteBlob(key) {
      await rm(blobPath(key), { force: true });
    },
    async deleteBlobs(prefix) {
      if (!prefix.endsWith('/')) throw new Error(`blob prefix ${prefix} must end with /`);
      await rm(blobPath(prefix.slice(0, -1)), { recursive: true, force: true });
    },
    async listBlobs(prefix) {
      if (!prefix.endsWith('/')) throw new Error(`blob prefix ${prefix} must end with /`);
      const root = blobPath(prefix.slice(0, -1));
      try {
        const entries = await readdir(root, { recursive: true, withFileTypes: true });
        return entries
          .filter((e) => e.isFile())
          .map((e) => path.relative(blobRoot, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
          .sort();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    },
    close() {
      db?.close();
      db = undefined;
    },
  };
}

const globalStore = globalThis as unknown as { __reformerStorage?: Storage };

/** The process-wide storage, rooted at `DATA_DIR` (default `.data/`). */
export function getStorage(): Storage {
  globalStore.__reformerStorage ??= createStorage({ dataDir: process.env.DATA_DIR ?? '.data' });
  return globalStore.__reformerStorage;
}

/** Replaces the process-wide storage (tests, scripts). Closes the previous one. */
export function setStorage(storage: Storage | undefined): void {
  globalStore.__reformerStorage?.close();
  globalStore.__reformerStorage = storage;
}
