import type { Metadata } from 'next';
import { DatasetLibrary } from '@/components/datasets/dataset-library';
import { LIMITS } from '@/lib/server/datasets/limits';

export const metadata: Metadata = { title: 'Datasets' };

export default function DatasetsPage() {
  return (
    <main className="mx-auto max-w-6xl px-6 py-10">
      <header className="mb-8">
        <h1 className="text-2xl font-semibold tracking-tight">Datasets</h1>
        <p className="mt-1 max-w-2xl text-sm text-neutral-400">
          Training sets of small images, stored as token sequences. Built-in sets come first; upload your own images or
          a zip to add one.
        </p>
      </header>
      <DatasetLibrary
        limits={{
          filesPerUpload: LIMITS.filesPerUpload,
          bytesPerFile: LIMITS.bytesPerFile,
          requestBytes: LIMITS.requestBytes,
          decodedBytesPerUpload: LIMITS.decodedBytesPerUpload,
        }}
      />
    </main>
  );
}
