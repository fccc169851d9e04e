import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { cache } from 'react';
import { CopyLinkButton } from '@/components/share/copy-link-button';
import { DeleteSampleButton } from '@/components/share/delete-sample-button';
import { formatDate, pixelScale } from '@/components/share/format';
import { formatDuration } from '@/lib/format';
import { ReportSampleButton } from '@/components/share/report-sample-button';
import { remixHref, type SampleView } from '@/lib/samples/recipe';
import { AppError } from '@/lib/server/errors';
import { getSample } from '@/lib/server/samples/catalog';
import { findModel } from '@/lib/server/samples/models';
import { siteOrigin } from '@/lib/server/samples/origin';
import { getStorage } from '@/lib/server/storage';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ id: string }> };

/** The sample, or the 404 page for deleted, hidden, unknown and malformed ids. Shared by metadata and page. */
const loadSample = cache(async (id: string): Promise<SampleView> => {
  try {
    return await getSample(getStorage(), id);
  } catch (err) {
    if (err instanceof AppError && err.status === 404) notFound();
    throw err;
  }
});

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const sample = await loadSample((await params).id);
  const origin = await siteOrigin();
  const title = `${sample.model.name}${sample.class ? ` · ${sample.class.name}` : ''} · seed ${sample.recipe.seed}`;
  const description = `A ${sample.width}×${sample.height} image drawn pixel by pixel by a Reformer trained on ${sample.model.dataset.name}, in the browser. Remix it in Reformer Studio.`;
  // Crawlers get the upscaled thumbnail: a 16×16 og:image would be shown blurred.
  const image = {
    url: `${origin}${sample.thumbUrl}`,
    width: sample.thumbWidth,
    height: sample.thumbHeight,
    alt: `${title}, pixel art`,
  };
  return {
    title,
    description,
    alternates: { canonical: `${origin}${sample.url}` },
    openGraph: {
      type: 'article',
      title,
      description,
      url: `${origin}${sample.url}`,
      siteName: 'Reformer Studio',
      images: [image],
    },
    twitter: { card: 'summary_large_image', title, description, images: [image] },
  };
}

export default async function SamplePage({ params }: Props) {
  const sample = await loadSample((await params).id);
  const { recipe } = sample;
  // Remix redraws the same pixels only with the same weights: say so when they are gone or changed.
  const current = await findModel(getStorage(), sample.model.id);
  const modelNote = !current
    ? 'This model is no longer published, so Remix cannot redraw this sample.'
    : current.sha256 && current.sha256 !== recipe.model.sha256
      ? 'The model has been retrained since this was shared: Remix draws with the new weights, so the pixels will differ.'
      : null;
  const scale = pixelScale(sample.width, sample.height, 512);
  const facts: [string, React.ReactNode][] = [
    ...(sample.class
      ? [
          ['Class', sample.class.name] as [string, React.ReactNode],
          ['Guidance', recipe.guidance ? recipe.guidance : 'off'] as [string, React.ReactNode],
        ]
      : []),
    ['Seed', recipe.seed],
    ['Temperature', recipe.temperature],
    ['Top-k', recipe.topK === 0 ? 'off' : recipe.topK],
    ['Top-p', recipe.topP === 1 ? 'off' : recipe.topP],
    ['Probability floor', recipe.epsilon ? recipe.epsilon : 'off'],
    ['Image of the run', `#${recipe.batchIndex + 1}`],
    ['Backend', recipe.backend],
    ...(recipe.milliseconds === undefined
      ? []
      : [['Time', formatDuration(recipe.milliseconds)] as [string, React.ReactNode]]),
    ['Size', `${sample.width}×${sample.height}`],
  ];
  if (recipe.completion) {
    facts.push([
      'Completed from',
      `${recipe.completion.rowsKept} rows${recipe.completion.datasetId ? ` of ${recipe.completion.datasetId}` : ''}`,
    ]);
  }

  return (
    <main className="mx-auto max-w-6xl px-6 py-10">
      <div className="grid items-start gap-10 lg:grid-cols-[minmax(0,512px)_1fr]">
        <figure className="overflow-hidden rounded-2xl border border-neutral-800 bg-[repeating-conic-gradient(#262626_0%_25%,#1c1c1c_0%_50%)] bg-[length:16px_16px] shadow-2xl shadow-emerald-950/40">
          {/* A plain img at a whole-number scale: the optimizer would resample it, and every pixel must stay square. */}
          <img
            data-testid="sample-image"
            src={sample.imageUrl}
            alt={`${sample.model.name}, seed ${recipe.seed}`}
            width={sample.width * scale}
            height={sample.height * scale}
            className="pixelated block h-auto w-full"
          />
        </figure>

        <section className="flex flex-col gap-6">
          <header>
            <p className="text-xs font-medium uppercase tracking-widest text-emerald-400">Shared sample</p>
            <h1 className="mt-2 text-3xl font-semibold tracking-tight text-white">{sample.model.name}</h1>
            <p className="mt-2 text-sm text-neutral-400">
              Drawn pixel by pixel in a browser by a Reformer trained on{' '}
              <span className="text-neutral-200">{sample.model.dataset.name}</span> (
              {sample.model.dataset.tokenization === 'palette' ? 'palette tokens' : 'RGB tokens'}).
            </p>
            <p className="mt-1 text-xs text-neutral-500">
              <time dateTime={sample.createdAt}>{formatDate(sample.createdAt)}</time>
            </p>
          </header>

          <div className="flex flex-wrap items-center gap-2">
            <Link
              href={remixHref(recipe, sample.id)}
              data-testid="remix-link"
              className="rounded-md bg-emerald-500 px-4 py-1.5 text-sm font-semibold text-neutral-950 hover:bg-emerald-400"
            >
              Remix in the studio
            </Link>
            <CopyLinkButton path={sample.url} />
            <a
              href={sample.imageUrl}
              download={`reformer-${sample.model.id}-${recipe.seed}.png`}
              className="rounded-md border border-neutral-700 px-3 py-1.5 text-sm font-medium text-neutral-200 hover:border-neutral-500 hover:bg-neutral-800"
            >
              Download PNG
            </a>
            <DeleteSampleButton id={sample.id} />
          </div>

          <dl
            data-testid="sample-recipe"
            className="grid grid-cols-1 gap-x-8 rounded-xl border border-neutral-800 bg-neutral-900/60 px-5 py-3 text-sm sm:grid-cols-2"
          >
            {facts.map(([label, value]) => (
              <div
                key={label}
                className="flex justify-between gap-4 border-b border-neutral-800/70 py-2 last:border-0 sm:[&:nth-last-child(2):nth-child(odd)]:border-0"
              >
                <dt className="text-neutral-500">{label}</dt>
                <dd
                  data-testid={`recipe-${label.toLowerCase().replace(/[^a-z]+/g, '-')}`}
                  className="font-mono text-neutral-100 tabular-nums"
                >
                  {value}
                </dd>
              </div>
            ))}
          </dl>

          <p className="text-xs text-neutral-500">
            {recipe.completion
              ? `Same model, seed, settings and top ${recipe.completion.rowsKept} rows draw the same pixels: Remix opens the studio with this recipe filled in and those rows read back from this image. Model `
              : `Same model, seed${sample.class ? ', class, guidance' : ''} and settings draw the same pixels: Remix opens the studio with this recipe filled in. Model `}
            <span className="font-mono">{recipe.model.id}</span>, weights{' '}
            <span className="font-mono">{recipe.model.sha256.slice(0, 12)}</span>.
          </p>
          {modelNote && (
            <p
              data-testid="sample-model-note"
              className="rounded-lg border border-amber-500/30 bg-amber-500/10 px-3 py-2 text-xs text-amber-200"
            >
              {modelNote}
            </p>
          )}

          <div className="flex items-center justify-between gap-4 border-t border-neutral-800 pt-4">
            <div className="flex flex-col gap-1">
              <Link
                href={`/gallery?model=${encodeURIComponent(sample.model.id)}`}
                className="text-sm text-neutral-300 underline-offset-4 hover:text-white hover:underline"
              >
                More from {sample.model.name} →
              </Link>
              {sample.class && (
                <Link
                  href={`/gallery?${new URLSearchParams({ class: sample.class.name })}`}
                  data-testid="sample-class-link"
                  className="text-sm text-neutral-300 underline-offset-4 hover:text-white hover:underline"
                >
                  More {sample.class.name} →
                </Link>
              )}
            </div>
            <ReportSampleButton id={sample.id} />
          </div>
        </section>
      </div>
    </main>
  );
}
