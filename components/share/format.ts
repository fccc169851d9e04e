/** Display helpers shared by the permalink and gallery pages (server or client). */

export function formatDuration(ms: number): string {
  return ms < 1000
    ? `${Math.round(ms)} ms`
    : ms < 60_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const dateFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'UTC',
});

export function formatDate(iso: string): string {
  return `${dateFormat.format(new Date(iso))} UTC`;
}

/** The largest whole-number upscale that fits `side` px: pixels stay equal squares. */
export function pixelScale(width: number, height: number, side: number): number {
  return Math.max(1, Math.floor(side / Math.max(width, height)));
}
