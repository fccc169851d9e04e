import 'server-only';
import { headers } from 'next/headers';

/**
 * The site's origin for absolute URLs (og:image must be absolute): `SITE_URL` when set (production:
 * do set it, the Host header is the client's to choose), else the request's forwarded host/proto.
 */
export async function siteOrigin(): Promise<string> {
  if (process.env.SITE_URL) return process.env.SITE_URL.replace(/\/+$/, '');
  const h = await headers();
  const host = h.get('x-forwarded-host') ?? h.get('host') ?? '127.0.0.1:3000';
  const proto = h.get('x-forwarded-proto')?.split(',')[0]?.trim() ?? 'http';
  return `${proto}://${host}`;
}
