'use client';

import { useState } from 'react';

/** Copies an absolute URL (a site-relative `path` is resolved against the page's origin). */
export function CopyLinkButton({ path, className = '' }: { path: string; className?: string }) {
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');

  async function copy() {
    try {
      await navigator.clipboard.writeText(new URL(path, window.location.origin).href);
      setCopied('copied');
    } catch {
      setCopied('failed');
    }
    setTimeout(() => setCopied('idle'), 2000);
  }

  return (
    <button
      type="button"
      data-testid="copy-link"
      onClick={copy}
      className={`rounded-md border border-neutral-700 px-3 py-1.5 text-sm font-medium text-neutral-200 hover:border-neutral-500 hover:bg-neutral-800 ${className}`}
    >
      {copied === 'copied' ? 'Copied' : copied === 'failed' ? 'Copy failed' : 'Copy link'}
    </button>
  );
}
