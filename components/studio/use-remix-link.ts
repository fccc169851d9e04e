'use client';
/**
 * A Remix link presets the studio's recipe: this reads its query once the page is in the browser,
 * and reads back the shared image whose top rows a completion link keeps.
 */
import { useEffect, useState } from 'react';
import { exactImageToTokens, type DatasetInfo } from './pixels';
import { readRemixQuery, type RemixQuery } from './remix-query';

/** The page's Remix query, or null until it is read after mount (the server render has none). */
export function useRemixLink(): RemixQuery | null {
  const [link, setLink] = useState<RemixQuery | null>(null);
  useEffect(() => setLink(readRemixQuery(window.location.search)), []);
  return link;
}

/** A Remix of a completion: the shared image whose top rows are the prefix, read back once the model is known. */
export interface RemixPrefix {
  sampleId: string;
  keepRows: number;
  tokens?: Int32Array;
  error?: string;
}

export function useRemixPrefix(link: RemixQuery | null, dataset: DatasetInfo | undefined): RemixPrefix | null {
  const [remixPrefix, setRemixPrefix] = useState<RemixPrefix | null>(null);
  useEffect(() => {
    if (link?.complete && link.keepRows) setRemixPrefix({ sampleId: link.complete, keepRows: link.keepRows });
  }, [link]);

  const remixSample = remixPrefix?.sampleId;
  useEffect(() => {
    if (!remixSample || !dataset) return;
    let live = true;
    (async () => {
      const res = await fetch(`/api/samples/${encodeURIComponent(remixSample)}/image.png`);
      if (!res.ok) throw new Error(`the shared image answered HTTP ${res.status}`);
      const tokens = await exactImageToTokens(await res.blob(), dataset);
      if (live) setRemixPrefix((p) => p && { ...p, tokens, error: undefined });
    })().catch((e: Error) => live && setRemixPrefix((p) => p && { ...p, tokens: undefined, error: e.message }));
    return () => {
      live = false;
    };
  }, [remixSample, dataset]);
  return remixPrefix;
}
