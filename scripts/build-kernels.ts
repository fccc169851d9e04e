/**
 * Compiles the engine's hand-written WebAssembly kernels (lib/reformer/kernels/*.wat) into TS
 * modules holding their bytes, so the app and Node load them without a bundler rule or a fetch.
 *
 *   npm run build:kernels
 *
 * test/unit/reformer/kernels.test.ts fails when a .wat and its .wasm.ts disagree.
 */
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compileWat, KERNELS_DIR, wasmModuleSource } from '@/lib/node/wasm-kernels';

async function main() {
  for (const file of readdirSync(KERNELS_DIR).filter((f) => f.endsWith('.wat'))) {
    const source = path.join(KERNELS_DIR, file);
    const bytes = await compileWat(file, readFileSync(source, 'utf8'));
    const target = source.replace(/\.wat$/, '.wasm.ts');
    writeFileSync(`${target}.tmp`, wasmModuleSource(file, bytes));
    renameSync(`${target}.tmp`, target);
    console.log(`${path.relative(process.cwd(), target)}: ${bytes.length} bytes`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
