'use client';

import Link from 'next/link';
import { useState } from 'react';
import type { Recipe, ShareResult } from '@/lib/samples/recipe';
import { CopyLinkButton } from './copy-link-button';
import { saveDeleteToken, shareSample } from '@/lib/api/samples';

/**
 * Shares one generated image: uploads the PNG (native size) with its recipe, keeps the delete
 * token in this browser, and shows the permalink. Render it next to a finished result. A null
 * recipe (see toShareRecipe: a model only this browser has) shows a disabled button saying why.
 */
export function ShareButton({ png, recipe }: { png: Blob; recipe: Recipe | null }) {
  const [state, setState] = useState<
    | { kind: 'idle' }
    | { kind: 'sharing' }
    | { kind: 'shared'; result: ShareResult }
    | { kind: 'error'; message: string }
  >({
    kind: 'idle',
  });

  if (!recipe) {
    return (
      <button
        type="button"
        data-testid="share-button"
        disabled
        title="Only shipped or published models can be shared: publish this model first."
        className="rounded-md bg-neutral-800 px-4 py-1.5 text-sm font-semibold text-neutral-500"
      >
        Share
      </button>
    );
  }

  async function share() {
    if (!recipe) return;
    setState({ kind: 'sharing' });
    try {
      const result = await shareSample(png, recipe);
      try {
        saveDeleteToken(result.id, result.deleteToken);
      } catch {
        // Storage full or blocked: the sample is shared all the same, only not deletable from here.
      }
      setState({ kind: 'shared', result });
    } catch (err) {
      setState({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  }

  if (state.kind === 'shared') {
    return (
      <div data-testid="share-result" className="flex flex-wrap items-center gap-2 text-sm">
        <span className="text-xs font-medium text-emerald-400">Shared</span>
        <Link
          href={state.result.url}
          data-testid="share-link"
          className="font-mono text-emerald-300 underline-offset-4 hover:underline"
        >
          {state.result.url}
        </Link>
        <CopyLinkButton path={state.result.url} />
      </div>
    );
  }

  return (
    <div className="flex flex-col items-start gap-1">
      <button
        type="button"
        data-testid="share-button"
        onClick={share}
        disabled={state.kind === 'sharing'}
        className="rounded-md bg-emerald-500 px-4 py-1.5 text-sm font-semibold text-neutral-950 hover:bg-emerald-400 disabled:opacity-60"
      >
        {state.kind === 'sharing' ? 'Sharing…' : 'Share'}
      </button>
      {state.kind === 'error' && (
        <p role="alert" data-testid="share-error" className="max-w-sm text-xs text-red-400">
          {state.message}
        </p>
      )}
    </div>
  );
}
