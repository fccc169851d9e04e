/**
 * Browser side of the /api/samples HTTP contract: share (multipart PNG + recipe), delete with the
 * token, report. Delete tokens live in localStorage, keyed by sample id.
 */
import { type Recipe, SHARE_TOKENS_KEY, type ShareResult } from '@/lib/samples/recipe';
import { ApiError } from './error';

export async function shareSample(png: Blob, recipe: Recipe): Promise<ShareResult> {
  const form = new FormData();
  form.set('recipe', JSON.stringify(recipe));
  form.set('image', png, 'sample.png');
  const res = await fetch('/api/samples', { method: 'POST', body: form });
  if (!res.ok) throw await ApiError.fromResponse(res);
  return (await res.json()) as ShareResult;
}

export async function deleteSample(id: string, token: string): Promise<void> {
  const res = await fetch(`/api/samples/${encodeURIComponent(id)}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}` },
  });
  if (!res.ok) throw await ApiError.fromResponse(res);
}

export async function reportSample(id: string): Promise<void> {
  const res = await fetch(`/api/samples/${encodeURIComponent(id)}/report`, { method: 'POST' });
  if (!res.ok) throw await ApiError.fromResponse(res);
}

function readTokens(): Record<string, string> {
  try {
    const value = JSON.parse(localStorage.getItem(SHARE_TOKENS_KEY) ?? '{}') as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, string>) : {};
  } catch {
    return {};
  }
}

export function getDeleteToken(id: string): string | undefined {
  const token = readTokens()[id];
  return typeof token === 'string' ? token : undefined;
}

export function saveDeleteToken(id: string, token: string): void {
  localStorage.setItem(SHARE_TOKENS_KEY, JSON.stringify({ ...readTokens(), [id]: token }));
}

export function forgetDeleteToken(id: string): void {
  const { [id]: _gone, ...rest } = readTokens();
  localStorage.setItem(SHARE_TOKENS_KEY, JSON.stringify(rest));
}
