import Link from 'next/link';

/** Deleted, hidden after a report, or never shared: all look the same from outside. */
export default function SampleNotFound() {
  return (
    <main data-testid="sample-not-found" className="mx-auto flex max-w-xl flex-col items-center px-6 py-24 text-center">
      <p className="font-mono text-sm text-emerald-400">404</p>
      <h1 className="mt-3 text-2xl font-semibold tracking-tight text-white">This sample is not here</h1>
      <p className="mt-3 text-sm text-neutral-400">
        It was deleted by the person who shared it, hidden after a report, or the link is mistyped.
      </p>
      <div className="mt-8 flex gap-3">
        <Link
          href="/gallery"
          className="rounded-md border border-neutral-700 px-4 py-1.5 text-sm font-medium text-neutral-200 hover:bg-neutral-800"
        >
          Browse the gallery
        </Link>
        <Link
          href="/"
          className="rounded-md bg-emerald-500 px-4 py-1.5 text-sm font-semibold text-neutral-950 hover:bg-emerald-400"
        >
          Draw your own
        </Link>
      </div>
    </main>
  );
}
