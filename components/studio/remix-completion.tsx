'use client';
/** A completion link's offer: complete the same top rows of the shared image, read back from the server. */
import { Button } from './controls';
import type { DatasetInfo } from './pixels';
import type { RemixPrefix } from './use-remix-link';

export function RemixCompletion({
  prefix,
  dataset,
  disabled,
  onComplete,
}: {
  prefix: RemixPrefix;
  dataset: DatasetInfo;
  disabled: boolean;
  onComplete: (tokens: Int32Array) => void;
}) {
  const nothingLeft = prefix.keepRows >= dataset.height;
  return (
    <div
      data-testid="remix-completion"
      className="mb-4 space-y-2 rounded-lg border border-emerald-500/30 bg-emerald-500/5 p-3 text-xs text-neutral-300"
    >
      <p>
        This recipe completed the top {prefix.keepRows} rows of an image. To redraw it, complete the same rows, read
        back from the shared sample.
      </p>
      {prefix.error && <p className="text-rose-300">Could not read the shared sample: {prefix.error}.</p>}
      {nothingLeft && (
        <p className="text-rose-300" data-testid="remix-complete-nothing">
          This link keeps all {dataset.height} rows of the image, so there is nothing left to draw. Choose fewer rows
          below.
        </p>
      )}
      <Button
        variant="primary"
        className="w-full"
        data-testid="remix-complete"
        disabled={disabled || !prefix.tokens || nothingLeft}
        onClick={() => prefix.tokens && onComplete(prefix.tokens)}
      >
        Complete the shared image&apos;s top {prefix.keepRows} rows
      </Button>
    </div>
  );
}
