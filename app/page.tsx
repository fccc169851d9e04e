import Link from 'next/link';

export default function Home() {
  return (
    <main className="mx-auto max-w-6xl px-6 py-12">
      <h1 className="text-3xl font-semibold tracking-tight">Reformer Studio</h1>
      <p className="mt-2 max-w-2xl text-neutral-400">
        Images as sequences of pixels, generated in your browser. Start by preparing a training set from your own
        images, or use a built-in one.
      </p>
      <Link
        href="/datasets"
        className="mt-6 inline-flex items-center rounded-md bg-emerald-500 px-4 py-2 text-sm font-medium text-neutral-950 hover:bg-emerald-400"
      >
        Go to datasets
      </Link>
    </main>
  );
}
