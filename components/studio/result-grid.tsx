'use client';
/**
 * The hero: one canvas per image, filled pixel by pixel as tokens stream in (painted directly
 * from the run's TokenPainters, not through React state), with per-image downloads, the exact
 * recipe, and the sharing slot.
 */
import { type ReactNode, useEffect, useState } from 'react';
import { Button } from './controls';
import { imagePng, type TokenPainter } from './pixels';
import type { ResultRecord } from '@/lib/samples/recipe';
import { pixelScale } from '../share/format';

/** Where the sharing feature plugs in its Share button: given the native PNG and the recipe. */
export type RenderShare = (png: Blob, recipe: ResultRecord) => ReactNode;

export interface ResultGridProps {
  painters: TokenPainter[];
  /** Canvas elements by image index, so the run can paint them per chunk. */
  canvasRefs: React.RefObject<(HTMLCanvasElement | null)[]>;
  complete: boolean;
  keptRows?: number;
  recipeFor: (index: number) => ResultRecord | null;
  renderShare?: RenderShare;
}

function download(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function ResultGrid({ painters, canvasRefs, complete, keptRows, recipeFor, renderShare }: ResultGridProps) {
  const [selected, setSelected] = useState(0);
  const [png, setPng] = useState<Blob | null>(null);
  const n = painters.length;
  const d = painters[0]?.dataset;
  const cols = n <= 1 ? 1 : n <= 4 ? 2 : n <= 9 ? 3 : 4;
  const active = Math.min(selected, Math.max(0, n - 1));
  const recipe = complete ? recipeFor(active) : null;

  useEffect(() => {
    setPng(null);
    if (!complete || !painters[active]) return;
    let live = true;
    const p = painters[active];
    imagePng(p.rgba, p.dataset.width, p.dataset.height).then((b) => live && setPng(b));
    return () => {
      live = false;
    };
  }, [complete, active, painters]);

  if (!d) return null;
  const base = (i: number) => {
    const r = recipeFor(i);
    // Named by the image's place in its seed (a Remix of image 5 is image 5 however it was drawn).
    return r ? `${r.model.id}-seed${r.seed}-${r.imageIndex + 1}` : `image-${i + 1}`;
  };

  return (
    <div className="space-y-6">
      <div className="grid gap-3" style={{ gridTemplateColumns: `repeat(${cols}, minmax(0, 1fr))` }}>
        {painters.map((p, i) => (
          <button
            key={i}
            type="button"
            onClick={() => setSelected(i)}
            className={`group relative overflow-hidden rounded-lg bg-[repeating-conic-gradient(#171717_0%_25%,#0f0f0f_0%_50%)] bg-[length:16px_16px] ring-1 transition ${
              i === active && complete ? 'ring-2 ring-emerald-400/80' : 'ring-neutral-800 hover:ring-neutral-600'
            }`}
            aria-label={`Image ${i + 1}`}
          >
            <canvas
              ref={(el) => {
                canvasRefs.current[i] = el;
                if (el) p.paint(el);
              }}
              data-testid="result-canvas"
              data-done={complete ? 'true' : 'false'}
              width={d.width}
              height={d.height}
              className="pixelated block w-full"
              style={{ aspectRatio: `${d.width} / ${d.height}` }}
            />
            {keptRows !== undefined && keptRows > 0 && (
              <span
                aria-hidden="true"
                className="pointer-events-none absolute inset-x-0 top-0 border-b border-dashed border-emerald-300/70 bg-emerald-400/5"
                style={{ height: `${(keptRows / d.height) * 100}%` }}
              />
            )}
            <span className="absolute bottom-1.5 left-1.5 rounded bg-neutral-950/70 px-1.5 py-0.5 text-[10px] font-medium tabular-nums text-neutral-300 opacity-0 transition group-hover:opacity-100">
              #{i + 1}
            </span>
          </button>
        ))}
      </div>

      {complete && recipe && (
        <section aria-label="Result" className="rounded-xl border border-neutral-800 bg-neutral-900/60 p-4">
          <div className="flex flex-wrap items-center gap-2">
            <h2 className="mr-auto text-sm font-semibold text-neutral-200">Image #{active + 1}</h2>
            <Button
              data-testid="download-png"
              onClick={async () => {
                const p = painters[active];
                download(await imagePng(p.rgba, d.width, d.height), `${base(active)}.png`);
              }}
            >
              PNG {d.width}×{d.height}
            </Button>
            <Button
              data-testid="download-png-upscaled"
              onClick={async () => {
                const p = painters[active];
                const scale = pixelScale(d.width, d.height, 512);
                download(await imagePng(p.rgba, d.width, d.height, scale), `${base(active)}-x${scale}.png`);
              }}
            >
              PNG ×{Math.max(1, Math.floor(512 / d.width))}
            </Button>
            <Button
              data-testid="download-recipe"
              onClick={() =>
                download(
                  new Blob([JSON.stringify(recipe, null, 2)], { type: 'application/json' }),
                  `${base(active)}.json`,
                )
              }
            >
              Recipe JSON
            </Button>
            {/* Sharing slot: the sharing feature renders its Share button here. */}
            {renderShare && png && <div data-testid="share-slot">{renderShare(png, recipe)}</div>}
          </div>
          <pre
            data-testid="recipe"
            className="mt-3 max-h-56 overflow-auto rounded-md bg-neutral-950 p-3 font-mono text-[11px] leading-relaxed text-neutral-400"
          >
            {JSON.stringify(recipe, null, 2)}
          </pre>
        </section>
      )}
    </div>
  );
}
