/** Display helpers shared by the permalink and gallery pages (server or client). */

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
