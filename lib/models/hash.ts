/**
 * A model's content hash: sha256 of model.json's bytes followed by its weight files' bytes, in
 * manifest order, as lowercase hex. public/models/index.json and published models list it; the
 * studio caches and revalidates by it; the server checks an upload against it. WebCrypto, so the
 * same function runs in Node and the browser.
 */

export async function modelHash(
  modelJson: string | Uint8Array,
  weights: Uint8Array | readonly Uint8Array[],
): Promise<string> {
  const parts = [
    typeof modelJson === 'string' ? new TextEncoder().encode(modelJson) : modelJson,
    ...(weights instanceof Uint8Array ? [weights] : weights),
  ];
  const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.byteLength;
  }
  const digest = await crypto.subtle.digest('SHA-256', all);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
