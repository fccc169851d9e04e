import type { Metadata } from 'next';
import { BackendCheck } from '@/components/diagnostics/backend-check';

export const metadata: Metadata = { title: 'Diagnostics · Reformer Studio' };

export default function DiagnosticsPage() {
  return (
    <main className="mx-auto max-w-4xl space-y-6 p-8">
      <div>
        <h1 className="text-2xl font-semibold">Diagnostics</h1>
        <p className="mt-2 text-neutral-400">
          Runs one small seeded Reformer (LSH, local and full attention layers) on each backend this browser offers — a
          forward pass and twelve cached decoding steps — and compares every logit with the plain-JavaScript reference.
          If a backend disagrees, choose another one under Backend in the studio, and please report it.
        </p>
      </div>
      <BackendCheck />
    </main>
  );
}
