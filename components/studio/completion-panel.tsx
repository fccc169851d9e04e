'use client';
/**
 * Image completion: pick a source (a finished result, a dataset image, or an upload prepared in the
 * browser to the model's size and tokenization), keep its top N rows, and let the model finish it.
 */
import { useEffect, useRef, useState } from 'react';
import { DatasetManifestSchema, readShard, shardUrl } from '@/lib/pixels/manifest';
import { Button, Field, Slider } from './controls';
import { type DatasetInfo, imageFileToTokens, TokenPainter } from './pixels';

export interface CompletionSource {
  label: string;
  tokens: Int32Array;
}

interface Props {
  dataset: DatasetInfo;
  /** Finished results of the last run, offered as sources. */
  results: CompletionSource[];
  disabled: boolean;
  onComplete: (source: CompletionSource, keepRows: number) => void;
}

/** The first images of the model's dataset (validation split), when this server has it. */
function useDatasetSamples(dataset: DatasetInfo): CompletionSource[] {
  const [samples, setSamples] = useState<CompletionSource[]>([]);
  useEffect(() => {
    let live = true;
    setSamples([]);
    (async () => {
      const res = await fetch(`/api/datasets/${dataset.id}`);
      if (!res.ok) return;
      const manifest = DatasetManifestSchema.parse(await res.json());
      if (
        manifest.width !== dataset.width ||
        manifest.height !== dataset.height ||
        manifest.tokenization !== dataset.tokenization
      )
        return;
      const shard = manifest.splits.validation.shards[0] ?? manifest.splits.train.shards[0];
      const split = manifest.splits.validation.shards[0] ? 'validation' : 'train';
      if (!shard) return;
      const bytes = new Uint8Array(await (await fetch(shardUrl(dataset.id, shard))).arrayBuffer());
      const reader = readShard(manifest, bytes);
      const n = Math.min(6, reader.images);
      if (live)
        setSamples(
          Array.from({ length: n }, (_, i) => ({
            label: `${manifest.name} · ${split} #${i + 1}`,
            tokens: Int32Array.from(reader.imageAt(i)),
          })),
        );
    })().catch(() => {}); // no dataset here: results and uploads still work
    return () => {
      live = false;
    };
  }, [dataset.id, dataset.width, dataset.height, dataset.tokenization]);
  return samples;
}

export function CompletionPanel({ dataset, results, disabled, onComplete }: Props) {
  const samples = useDatasetSamples(dataset);
  const [upload, setUpload] = useState<CompletionSource | null>(null);
  const [uploadError, setUploadError] = useState<string | null>(null);
  const sources = [...results, ...samples, ...(upload ? [upload] : [])];
  const [index, setIndex] = useState(0);
  const [keepRows, setKeepRows] = useState(Math.floor(dataset.height / 2));
  const canvas = useRef<HTMLCanvasElement>(null);
  const source = sources[Math.min(index, sources.length - 1)];

  useEffect(() => setKeepRows((k) => Math.min(Math.max(1, k), dataset.height - 1)), [dataset.height]);
  useEffect(() => {
    if (!source) return;
    const painter = new TokenPainter(dataset);
    painter.write(0, source.tokens);
    painter.paint(canvas.current);
  }, [source, dataset]);

  return (
    <div className="space-y-4">
      <div className="flex gap-3">
        <div
          className="relative shrink-0 overflow-hidden rounded-md bg-neutral-900 ring-1 ring-neutral-800"
          style={previewBox(dataset.width, dataset.height)}
        >
          {source ? (
            <>
              <canvas
                ref={canvas}
                data-testid="completion-source"
                width={dataset.width}
                height={dataset.height}
                className="pixelated h-full w-full"
              />
              <span
                className="pointer-events-none absolute inset-x-0 bottom-0 bg-neutral-950/75"
                style={{ top: `${(keepRows / dataset.height) * 100}%` }}
              />
              <span
                className="pointer-events-none absolute inset-x-0 border-t border-dashed border-emerald-300"
                style={{ top: `${(keepRows / dataset.height) * 100}%` }}
              />
            </>
          ) : (
            <span className="flex h-full items-center justify-center p-2 text-center text-[11px] text-neutral-500">
              Generate or upload an image
            </span>
          )}
        </div>
        <div className="min-w-0 flex-1 space-y-2">
          <select
            aria-label="Completion source"
            data-testid="completion-source-select"
            className="w-full rounded-md border border-neutral-800 bg-neutral-900 px-2 py-1.5 text-xs text-neutral-200"
            value={Math.min(index, Math.max(0, sources.length - 1))}
            onChange={(e) => setIndex(Number(e.target.value))}
            disabled={sources.length === 0}
          >
            {sources.length === 0 && <option>No source yet</option>}
            {sources.map((s, i) => (
              <option key={`${s.label}-${i}`} value={i}>
                {s.label}
              </option>
            ))}
          </select>
          <label className="block cursor-pointer rounded-md border border-dashed border-neutral-700 px-2 py-1.5 text-center text-xs text-neutral-400 hover:border-neutral-500 hover:text-neutral-200">
            Upload an image…
            <input
              type="file"
              accept="image/*"
              data-testid="completion-upload"
              className="sr-only"
              onChange={async (e) => {
                const file = e.target.files?.[0];
                if (!file) return;
                try {
                  setUploadError(null);
                  const tokens = await imageFileToTokens(file, dataset);
                  setUpload({ label: `Upload: ${file.name}`, tokens });
                  setIndex(results.length + samples.length);
                } catch {
                  setUploadError(`${file.name} could not be read as an image.`);
                }
              }}
            />
          </label>
          {uploadError && <p className="text-xs text-rose-300">{uploadError}</p>}
        </div>
      </div>
      <Field label="Keep top rows" hint={`${keepRows} of ${dataset.height}`}>
        <Slider
          label="Keep top rows"
          testId="completion-rows"
          value={keepRows}
          min={1}
          max={dataset.height - 1}
          step={1}
          onChange={setKeepRows}
        />
      </Field>
      <Button
        variant="secondary"
        className="w-full"
        data-testid="complete-button"
        disabled={disabled || !source}
        onClick={() => source && onComplete(source, keepRows)}
      >
        Complete the image
      </Button>
    </div>
  );
}

/** The preview's box: 96 px on its longer side, the image's aspect ratio (rows line up with the keep-rows marker). */
function previewBox(width: number, height: number): { width: number; height: number } {
  const side = 96;
  return width >= height
    ? { width: side, height: (side * height) / width }
    : { width: (side * width) / height, height: side };
}
