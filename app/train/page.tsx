import type { Metadata } from 'next';
import { TrainStudio } from '@/components/train/train-studio';

export const metadata: Metadata = { title: 'Train' };

export default function TrainPage() {
  return (
    <main className="mx-auto max-w-6xl px-6 py-10">
      <header className="mb-8">
        <h1 className="text-2xl font-semibold tracking-tight">Train</h1>
        <p className="mt-1 max-w-2xl text-sm text-neutral-400">
          Train a Reformer on a dataset, right here in your browser. Watch the bits per dimension fall and the samples
          sharpen, pause whenever you like, and publish the model so the studio can generate with it.
        </p>
      </header>
      <TrainStudio />
    </main>
  );
}
