import type { Metadata } from 'next';
import Link from 'next/link';
import { formatDate } from '@/components/share/format';
import type { SampleView } from '@/lib/samples/recipe';
import { AppError } from '@/lib/server/errors';
import { listSamples } from '@/lib/server/samples/catalog';
import { listKnownModels } from '@/lib/server/samples/models';
import { getStorage } from '@/lib/server/storage';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = {
  title: 'Gallery',
  description: 'Images people drew pixel by pixel with a Reformer in their browser, newest first.',
};

type Props = { searchParams: Promise<{ cursor?: string | string[]; model?: string | string[] }> };

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) || undefined;

function galleryHref(model?: string, cursor?: string): string {
  const q = new URLSearchParams();
  if (model) q.set('model', model);
  if (cursor) q.set('cursor', cursor);
  const s = q.toString();
  return s ? `/gallery?${s}` : '/gallery';
}

export default async function GalleryPage({ searchParams }: Props) {
  const query = await searchParams;
  const model = first(query.model);
  const cursor = first(query.cursor);
  const storage = getStorage();
  const [page, models] = await Promise.all([
    // A stale or forged cursor starts over from the newest instead of failing the page.
    listSamples(storage, { model, cursor }).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'bad_cursor') return listSamples(storage, { model });
      throw err;
    }),
    listKnownModels(storage),
  ]);
  const filters = [{ id: undefined, name: 'All models' }, ...models.map((m) => ({ id: m.card.id, name: m.card.name }))];
  if (model && !models.some((m) => m.card.id === model)) filters.push({ id: model, name: model });

  return (
    <main className="mx-auto max-w-6xl px-6 py-10">
      <header className="mb-6 flex flex-col gap-1">
        <h1 className="text-2xl font-semibold tracking-tight">Gallery</h1>
        <p className="max-w-2xl text-sm text-neutral-400">
          Images people drew pixel by pixel with a Reformer in their own browser, newest first. Open one to see its
          recipe and remix it.
        </p>
      </header>

      <nav aria-label="Filter by model" className="mb-8 flex flex-wrap gap-2">
        {filters.map((f) => {
          const active = f.id === model;
          return (
            <Link
              key={f.id ?? 'all'}
              href={galleryHref(f.id)}
              data-testid="gallery-filter"
              aria-current={active ? 'page' : undefined}
              className={`rounded-full border px-3 py-1 text-xs font-medium transition-colors ${
                active
                  ? 'border-emerald-500/60 bg-emerald-500/10 text-emerald-200'
                  : 'border-neutral-800 text-neutral-400 hover:border-neutral-600 hover:text-neutral-100'
              }`}
            >
              {f.name}
            </Link>
          );
        })}
      </nav>

      {page.samples.length === 0 ? (
        <div
          data-testid="gallery-empty"
          className="rounded-2xl border border-dashed border-neutral-800 px-6 py-16 text-center"
        >
          <p className="text-neutral-300">{cursor ? 'No older samples.' : 'Nothing shared here yet.'}</p>
          <p className="mt-1 text-sm text-neutral-500">
            Generate an image in the{' '}
            <Link href="/" className="text-emerald-300 underline-offset-4 hover:underline">
              studio
            </Link>{' '}
            and press Share: it will appear here.
          </p>
        </div>
      ) : (
        <ul className="grid grid-cols-2 gap-4 sm:grid-cols-3 lg:grid-cols-4">
          {page.samples.map((s) => (
            <li key={s.id}>
              <GalleryCard sample={s} />
            </li>
          ))}
        </ul>
      )}

      <div className="mt-10 flex items-center justify-between text-sm">
        {cursor ? (
          <Link href={galleryHref(model)} data-testid="gallery-newest" className="text-neutral-300 hover:text-white">
            ← Newest
          </Link>
        ) : (
          <span />
        )}
        {page.nextCursor && (
          <Link
            href={galleryHref(model, page.nextCursor)}
            data-testid="gallery-older"
            className="rounded-md border border-neutral-700 px-4 py-1.5 font-medium text-neutral-200 hover:bg-neutral-800"
          >
            Older →
          </Link>
        )}
      </div>
    </main>
  );
}

function GalleryCard({ sample }: { sample: SampleView }) {
  return (
    <Link
      href={sample.url}
      data-testid="gallery-item"
      data-sample-id={sample.id}
      className="group block overflow-hidden rounded-xl border border-neutral-800 bg-neutral-900/60 transition-colors hover:border-emerald-500/50"
    >
      <div className="bg-[repeating-conic-gradient(#262626_0%_25%,#1c1c1c_0%_50%)] bg-[length:16px_16px]">
        {/* Explicit size: the grid does not jump as thumbnails arrive; pixelated keeps the upscale crisp. */}
        <img
          src={sample.thumbUrl}
          alt={`${sample.model.name}, seed ${sample.recipe.seed}`}
          width={sample.thumbWidth}
          height={sample.thumbHeight}
          loading="lazy"
          className="pixelated block h-auto w-full transition-transform duration-300 group-hover:scale-[1.02]"
        />
      </div>
      <div className="flex items-baseline justify-between gap-2 px-3 py-2">
        <span className="truncate text-sm font-medium text-neutral-100">{sample.model.name}</span>
        <span className="shrink-0 font-mono text-[11px] text-neutral-500">#{sample.recipe.seed}</span>
      </div>
      <p className="px-3 pb-2 text-[11px] text-neutral-500">
        <time dateTime={sample.createdAt}>{formatDate(sample.createdAt)}</time>
      </p>
    </Link>
  );
}
