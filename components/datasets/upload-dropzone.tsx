'use client';

import { useId, useState } from 'react';
import { formatBytes } from '@/lib/format';

const ACCEPT = 'image/*,.zip,application/zip';

/** Drag-and-drop zone with a file picker fallback; keeps the chosen files in the parent. */
export function UploadDropzone({
  files,
  onFilesChange,
  disabled,
  hint,
}: {
  files: File[];
  onFilesChange: (files: File[]) => void;
  disabled: boolean;
  /** A line under the prompt: what an upload may hold. */
  hint?: string;
}) {
  const inputId = useId();
  const [dragging, setDragging] = useState(false);

  function add(incoming: FileList | null) {
    if (!incoming?.length) return;
    const seen = new Set(files.map((f) => `${f.name}:${f.size}`));
    const added = Array.from(incoming).filter((f) => !seen.has(`${f.name}:${f.size}`));
    onFilesChange([...files, ...added]);
  }

  const total = files.reduce((sum, f) => sum + f.size, 0);

  return (
    <div className="space-y-3">
      <label
        htmlFor={inputId}
        data-testid="dataset-dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          if (!disabled) setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          if (!disabled) add(e.dataTransfer.files);
        }}
        className={`flex cursor-pointer flex-col focus-within:ring-2 focus-within:ring-emerald-500 items-center justify-center gap-1 rounded-lg border-2 border-dashed px-4 py-8 text-center transition-colors ${
          dragging ? 'border-emerald-400 bg-emerald-500/10' : 'border-neutral-700 hover:border-neutral-500'
        } ${disabled ? 'pointer-events-none opacity-50' : ''}`}
      >
        <span className="text-sm font-medium text-neutral-200">Drop images or a .zip here</span>
        <span className="text-xs text-neutral-500">or click to choose files (PNG, JPEG, WebP, GIF…)</span>
        <span data-testid="dataset-classes-hint" className="text-xs text-neutral-500">
          Folders in a zip become classes (cats/, dogs/, …); loose images stay unlabelled.
        </span>
        {hint && (
          <span data-testid="dataset-limits" className="text-xs text-neutral-500">
            {hint}
          </span>
        )}
        <input
          id={inputId}
          data-testid="dataset-files"
          type="file"
          multiple
          accept={ACCEPT}
          disabled={disabled}
          className="sr-only"
          onChange={(e) => {
            add(e.currentTarget.files);
            e.currentTarget.value = ''; // choosing the same file again should fire change again
          }}
        />
      </label>
      {files.length > 0 && (
        <div className="rounded-lg border border-neutral-800 bg-neutral-950/60">
          <div className="flex items-center justify-between px-3 py-2 text-xs text-neutral-400">
            <span data-testid="dataset-selection">
              {files.length} file{files.length === 1 ? '' : 's'} · {formatBytes(total)}
            </span>
            <button
              type="button"
              disabled={disabled}
              onClick={() => onFilesChange([])}
              className="text-neutral-400 hover:text-neutral-100 disabled:opacity-50"
            >
              Clear
            </button>
          </div>
          <ul className="max-h-32 overflow-y-auto border-t border-neutral-800 px-3 py-1 text-xs">
            {files.map((f) => (
              <li key={`${f.name}:${f.size}`} className="flex justify-between gap-2 py-0.5">
                <span className="truncate text-neutral-300">{f.name}</span>
                <span className="shrink-0 font-mono text-neutral-500">{formatBytes(f.size)}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
