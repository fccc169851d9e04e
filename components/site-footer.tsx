export function SiteFooter() {
  return (
    <footer className="border-t border-neutral-800">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-2 px-6 py-5 text-xs text-neutral-500">
        <p>Reformer Studio: images as sequences of pixels, trained and sampled in your browser.</p>
        <p>
          Emoji graphics: Twemoji by Twitter,{' '}
          <a
            href="https://creativecommons.org/licenses/by/4.0/"
            className="underline decoration-neutral-600 underline-offset-2 hover:text-neutral-300"
            rel="license noopener noreferrer"
            target="_blank"
          >
            CC-BY 4.0
          </a>
        </p>
      </div>
    </footer>
  );
}
