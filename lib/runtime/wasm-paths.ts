/**
 * Where the tfjs WASM binaries come from in the browser. `new URL(…, import.meta.url)` makes the
 * bundler (Turbopack, webpack) emit each file as a hashed static asset and gives its URL, so
 * `next build` + `next start` serve them with no copy step. The path is relative because bundlers
 * resolve asset URLs as files, not package names.
 */
export function tfjsWasmFiles(): Record<string, string> {
  return {
    'tfjs-backend-wasm.wasm': new URL(
      '../../node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
      import.meta.url,
    ).href,
    'tfjs-backend-wasm-simd.wasm': new URL(
      '../../node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
      import.meta.url,
    ).href,
    'tfjs-backend-wasm-threaded-simd.wasm': new URL(
      '../../node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm',
      import.meta.url,
    ).href,
  };
}

/** In Node the backend finds its binaries next to itself; only browsers need the asset URLs. */
export const isBrowser =
  (typeof self !== 'undefined' && typeof (self as { importScripts?: unknown }).importScripts === 'function') ||
  typeof window !== 'undefined';
