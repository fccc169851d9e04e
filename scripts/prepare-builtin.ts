/**
 * Prepares the built-in Twemoji datasets into DATA_DIR (default .data/), labelled by emoji category.
 * Idempotent: datasets already stored are skipped; a copy stored with other classes (one prepared
 * before labels) is prepared again. Usage: npm run prepare:builtin [-- emoji-32 emoji-32-p256]
 * Runs under `--conditions react-server` so lib/server's `server-only` guard allows it.
 */
import { ensureBuiltinDatasets } from '@/lib/server/datasets/builtin';
import { getStorage } from '@/lib/server/storage';

const only = process.argv.slice(2);
const storage = getStorage();
console.log(`DATA_DIR=${process.env.DATA_DIR ?? '.data'}`);
for await (const e of ensureBuiltinDatasets(storage, only.length ? only : undefined)) {
  if ('status' in e) {
    console.log(
      e.status === 'present'
        ? `${e.id}: already present, skipped`
        : e.status === 'outdated'
          ? `${e.id}: stored without today's classes, preparing it again`
          : `${e.id}: prepared in ${e.seconds!.toFixed(1)} s`,
    );
  } else if (e.event.type === 'progress' && (e.event.done % 500 === 0 || e.event.done === e.event.total)) {
    console.log(`${e.id}: ${e.event.done}/${e.event.total} files`);
  } else if (e.event.type === 'file' && e.event.status === 'skipped' && !e.event.reason.startsWith('duplicate of')) {
    console.log(`${e.id}: skipped ${e.event.name}: ${e.event.reason}`);
  } else if (e.event.type === 'done') {
    const c = e.event.dataset.counts;
    console.log(
      `${e.id}: ${c.train} train + ${c.validation} validation images, ${c.skipped} skipped (identical files count once)`,
    );
    for (const k of e.event.dataset.classes ?? []) console.log(`${e.id}:   ${k.name}: ${k.train} + ${k.validation}`);
  }
}
storage.close();
