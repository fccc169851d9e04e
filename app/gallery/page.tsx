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

type Props = {
  searchParams: Promise<{ cursor?: string | string[]; model?: string | string[]; class?: string | string[] }>;
};

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) || undefined;

function galleryHref(model?: string, cls?: string, cursor?: string): string {
  const q = new URLSearchParams();
  if (model) q.set('model', model);
  if (cls) q.set('class', cls);
  if (cursor) q.set('cursor', cursor);
  const s = q.toString();
  return s ? `/gallery?${s}` : '/gallery';
}

export default async function GalleryPage({ searchParams }: Props) {
  const query = await searchParams;
  const model = first(query.model);
  const cls = first(query.class)?.slice(0, 64);
  const cursor = first(query.cursor);
  const storage = getStorage();
  const [page, models] = await Promise.all([
    // A stale or forged cursor starts over from the newest instead of failing the page.
    listSamples(storage, { model, class: cls, cursor }).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'bad_cursor') return listSamples(storage, { model, class: cls });
      throw err;
    }),
    listKnownModels(storage),
  ]);
  const filters = [{ id: undefined, name: 'All models' }, ...models.map((m) => ({ id: m.card.id, name: m.card.name }))];
  if (model && !models.some((m) => m.card.id === model)) filters.push({ id: model, name: model });
  // Classes by name: those of the chosen model, else of every class-conditional model.
  const classNames = [
    ...new Set(models.filter((m) => !model || m.card.id === model).flatMap((m) => m.card.classes ?? [])),
  ];
  if (cls && !classNames.includes(cls)) classNames.push(cls);
  const classFilters = classNames.length
    ? [{ id: undefined, name: 'Any class' }, ...classNames.map((n) => ({ id: n, name: n }))]
    : [];

  return (
    <main className="mx-auto max-w-6xl px-6 py-10">
      <header className="mb-6 flex flex-col gap-1">
        <h1 className="text-2xl font-semibold tracking-tight">Gallery</h1>
        <p className="max-w-2xl text-sm text-neutral-400">
          Images people drew pixel by pixel with a Reformer in their own browser, newest first. Open one to see its
          recipe and remix it.
        </p>
      </header>

      <nav aria-label="Filter by model" className={`${classFilters.length ? 'mb-3' : 'mb-8'} flex flex-wrap gap-2`}>
        {filters.map((f) => (
          <FilterLink
            key={f.id ?? 'all'}
            href={galleryHref(f.id)}
            testId="gallery-filter"
            active={f.id === model}
            label={f.name}
          />
        ))}
      </nav>
      {classFilters.length > 0 && (
        <nav aria-label="Filter by class" className="mb-8 flex flex-wrap gap-2">
          {classFilters.map((f) => (
            <FilterLink
              key={f.id ?? 'any'}
              href={galleryHref(model, f.id)}
              testId="gallery-class-filter"
              active={f.id === cls}
              label={f.name}
            />
          ))}
        </nav>
      )}

      {page.samples.length === 0 ? (
        <div
          data-testid="gallery-empty"
          className="rounded-2xl border border-dashed border-neutral-800 px-6 py-16 text-center"
        >
          <p className="text-neutral-300">
            {cursor
              ? 'No older samples.'
              : cls
                ? `Nothing of class ${cls} shared here yet.`
                : 'Nothing shared here yet.'}
          </p>
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
          <Link
            href={galleryHref(model, cls)}
            data-testid="gallery-newest"
            className="text-neutral-300 hover:text-white"
          >
            ← Newest
          </Link>
        ) : (
          <span />
        )}
        {page.nextCursor && (
          <Link
            href={galleryHref(model, cls, page.nextCursor)}
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

function FilterLink({ href, testId, active, label }: { href: string; testId: string; active: boolean; label: string }) {
  return (
    <Link
      href={href}
      data-testid={testId}
      aria-current={active ? 'page' : undefined}
      className={`rounded-full border px-3 py-1 text-xs font-medium transition-colors ${
        active
          ? 'border-emerald-500/60 bg-emerald-500/10 text-emerald-200'
          : 'border-neutral-800 text-neutral-400 hover:border-neutral-600 hover:text-neutral-100'
      }`}
    >
      {label}
    </Link>
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
          alt={`${sample.model.name}${sample.class ? `, ${sample.class.name}` : ''}, seed ${sample.recipe.seed}`}
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
      <p className="flex justify-between gap-2 px-3 pb-2 text-[11px] text-neutral-500">
        <time dateTime={sample.createdAt}>{formatDate(sample.createdAt)}</time>
        {sample.class && (
          <span data-testid="gallery-item-class" className="truncate">
            {sample.class.name}
          </span>
        )}
      </p>
    </Link>
  );
}
