'use client';

import { useEffect, useRef, useState } from 'react';
import { DatasetApiError, prepareDataset, type DatasetSummary, type PrepareOptions } from './dataset-api';
import { formatBytes } from '@/lib/format';
import {
  DEFAULT_OPTIONS,
  limitsLine,
  nameFromFiles,
  optionProblems,
  type UploadLimits,
  uploadProblems,
} from './prepare-options';
import { PrepareOptionsForm } from './prepare-options-form';
import { FileOutcomeList, PrepareProgressBar, PrepareSummary, type FileOutcome } from './prepare-progress';
import { UploadDropzone } from './upload-dropzone';

type Run =
  | { phase: 'idle' }
  | { phase: 'running'; percent: number | null; label: string }
  | { phase: 'done'; dataset: DatasetSummary }
  | { phase: 'failed'; message: string; code: string };

/**
 * Upload images or a zip, choose options, and watch the server prepare the dataset.
 * `onChanged` fires when the stored datasets may have changed, so the list can refresh. `limits`
 * are the server's, checked here first so an upload it would refuse is never sent.
 */
export function DatasetUpload({ onChanged, limits }: { onChanged: () => void; limits: UploadLimits }) {
  const [files, setFiles] = useState<File[]>([]);
  const [options, setOptions] = useState<PrepareOptions>(DEFAULT_OPTIONS);
  const [square, setSquare] = useState(true);
  const [run, setRun] = useState<Run>({ phase: 'idle' });
  const [outcomes, setOutcomes] = useState<FileOutcome[]>([]);
  const abortRef = useRef<AbortController | null>(null);

  // Leaving the page abandons the upload; the cancelled state is then never shown.
  useEffect(() => () => abortRef.current?.abort(), []);

  const running = run.phase === 'running';
  const fileCheck = uploadProblems(files, options, limits);
  const problems = [...optionProblems(options), ...fileCheck.blocking];
  const canPrepare = !running && files.length > 0 && problems.length === 0;

  function chooseFiles(next: File[]) {
    setFiles(next);
    if (!options.name.trim()) setOptions((o) => ({ ...o, name: nameFromFiles(next) }));
  }

  async function prepare() {
    const controller = new AbortController();
    abortRef.current = controller;
    setOutcomes([]);
    setRun({
      phase: 'running',
      percent: null,
      label: `Uploading ${files.length} file${files.length === 1 ? '' : 's'}…`,
    });
    const payload: PrepareOptions = {
      ...options,
      name: options.name.trim(),
      height: square ? options.width : options.height,
    };
    try {
      for await (const event of prepareDataset(payload, files, controller.signal)) {
        switch (event.type) {
          case 'upload':
            // Once every byte is sent the server decodes before its first event: say so, without a number.
            setRun(
              event.loaded < event.total
                ? {
                    phase: 'running',
                    percent: (100 * event.loaded) / event.total,
                    label: `Uploading ${formatBytes(event.loaded)} of ${formatBytes(event.total)}`,
                  }
                : { phase: 'running', percent: null, label: 'Uploaded; the server is reading the files…' },
            );
            break;
          case 'queued':
            setRun({
              phase: 'running',
              percent: null,
              label: `Waiting for other datasets to finish preparing (${event.position === 1 ? 'next' : `number ${event.position}`} in line)…`,
            });
            break;
          case 'unzipping':
            setRun({
              phase: 'running',
              percent: event.total > 0 ? Math.min(100, (100 * event.done) / event.total) : null,
              label: `Unzipping ${event.file} (${event.done}/${event.total} entries)…`,
            });
            break;
          case 'progress':
            setRun({
              phase: 'running',
              percent: event.total > 0 ? (100 * event.done) / event.total : 0,
              // After the last file the server still tokenizes and writes shards: say what it is doing.
              label:
                event.done < event.total
                  ? `Preparing ${event.file} (${event.done}/${event.total})`
                  : `Read all ${event.total} files; tokenizing and saving…`,
            });
            break;
          case 'tokenizing':
            setRun({
              phase: 'running',
              percent: (100 * event.done) / event.total,
              label: `Mapping images to the palette (${event.done}/${event.total})…`,
            });
            break;
          case 'writing':
            setRun({
              phase: 'running',
              percent: event.total > 0 ? (100 * event.done) / event.total : 0,
              label: `Saving images to shards (${event.done}/${event.total})…`,
            });
            break;
          case 'file': {
            const outcome: FileOutcome =
              event.status === 'skipped'
                ? { name: event.name, status: 'skipped', reason: event.reason }
                : { name: event.name, status: 'accepted' };
            setOutcomes((list) => [...list, outcome]);
            break;
          }
          case 'done':
            setRun({ phase: 'done', dataset: event.dataset });
            setFiles([]);
            onChanged();
            return;
          case 'error':
            setRun({ phase: 'failed', code: event.code, message: event.message });
            return;
        }
      }
      setRun({ phase: 'failed', code: 'stream_ended', message: 'The server closed the stream before finishing.' });
    } catch (e) {
      if (controller.signal.aborted) {
        // A cancel that lands after the server stored the dataset cannot undo it: refresh to show the truth.
        setRun({ phase: 'failed', code: 'cancelled', message: 'You cancelled the upload.' });
        onChanged();
        return;
      }
      setRun({
        phase: 'failed',
        code: e instanceof DatasetApiError ? e.code : 'network',
        message: e instanceof Error ? e.message : String(e),
      });
    } finally {
      if (abortRef.current === controller) abortRef.current = null;
    }
  }

  return (
    <section
      aria-labelledby="upload-heading"
      className="space-y-5 rounded-xl border border-neutral-800 bg-neutral-900/40 p-5"
    >
      <div>
        <h2 id="upload-heading" className="text-base font-semibold">
          New dataset
        </h2>
        <p className="mt-1 text-xs text-neutral-500">
          Images are resized on the server, tokenized, and split into train and validation sets.
        </p>
      </div>

      <UploadDropzone files={files} onFilesChange={chooseFiles} disabled={running} hint={limitsLine(limits)} />
      <PrepareOptionsForm
        value={options}
        onChange={setOptions}
        square={square}
        onSquareChange={setSquare}
        disabled={running}
      />

      {files.length > 0 && fileCheck.notes.length > 0 && (
        <ul data-testid="dataset-upload-notes" className="space-y-0.5 text-xs text-neutral-400">
          {fileCheck.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      {files.length > 0 && problems.length > 0 && (
        <ul className="space-y-0.5 text-xs text-amber-300">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}

      <button
        type="button"
        data-testid="dataset-prepare"
        disabled={!canPrepare}
        onClick={prepare}
        className="w-full rounded-md bg-emerald-500 px-4 py-2 text-sm font-semibold text-neutral-950 transition-colors hover:bg-emerald-400 disabled:cursor-not-allowed disabled:bg-neutral-800 disabled:text-neutral-500"
      >
        {running ? 'Preparing…' : 'Prepare dataset'}
      </button>

      {files.length === 0 && run.phase !== 'running' && (
        <p className="-mt-3 text-center text-xs text-neutral-500">Add images or a zip to begin.</p>
      )}

      {run.phase === 'running' && (
        <div className="space-y-2">
          <PrepareProgressBar percent={run.percent} label={run.label} />
          <button
            type="button"
            data-testid="dataset-cancel"
            onClick={() => abortRef.current?.abort()}
            className="text-xs text-neutral-400 underline underline-offset-2 hover:text-neutral-100"
          >
            Cancel
          </button>
        </div>
      )}
      {run.phase === 'done' && <PrepareProgressBar percent={100} label="Done" />}

      {run.phase === 'failed' && (
        <div
          role="alert"
          data-testid="dataset-error"
          className="rounded-lg border border-red-500/40 bg-red-500/10 px-3 py-2 text-sm text-red-300"
        >
          <p className="font-medium">Preparation failed</p>
          <p className="mt-0.5 text-red-200/90">{run.message}</p>
          <p className="mt-1 font-mono text-[11px] text-red-400/70">{run.code}</p>
        </div>
      )}

      <FileOutcomeList outcomes={outcomes} />
      {run.phase === 'done' && <PrepareSummary dataset={run.dataset} />}
    </section>
  );
}
