/**
 * Sizes and times as people read them, the same on the server (error messages) and in the browser
 * (panels, pages). Isomorphic: no imports.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Binary units throughout: 900 bytes, 3.4 KiB, 64.0 MiB, 1.5 GiB. */
export function formatBytes(n: number): string {
  if (n >= GiB) return `${(n / GiB).toFixed(1)} GiB`;
  if (n >= MiB) return `${(n / MiB).toFixed(1)} MiB`;
  if (n >= KiB) return `${(n / KiB).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/** A measured time: 340 ms, 2.3 s, 1 min 5 s. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000); // rounded first, so 119.7 s reads 2 min 0 s, not 1 min 60 s
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/**
 * A live counter or an ETA, in whole seconds with the smaller unit padded so it does not jitter
 * while it ticks: 5s, 1m 05s, 2h 03m. A dash when there is nothing to show yet (not finite, < 0).
 */
export function formatClock(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (v: number) => String(v).padStart(2, '0');
  if (h > 0) return `${h}h ${pad(m)}m`;
  if (m > 0) return `${m}m ${pad(s % 60)}s`;
  return `${s}s`;
}
