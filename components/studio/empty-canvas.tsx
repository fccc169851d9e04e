/** The canvas before the first run. */
export function EmptyCanvas() {
  return (
    <div className="flex aspect-[4/3] items-center justify-center rounded-xl border border-dashed border-neutral-800 bg-[radial-gradient(circle_at_center,rgba(16,185,129,0.06),transparent_60%)]">
      <div className="text-center">
        <div className="mx-auto grid w-16 grid-cols-4 gap-1 opacity-60">
          {Array.from({ length: 16 }, (_, i) => (
            <span
              key={i}
              className={`aspect-square rounded-[2px] ${[0, 1, 2, 4, 5, 8].includes(i) ? 'bg-emerald-400/70' : 'bg-neutral-800'}`}
            />
          ))}
        </div>
        <p className="mt-4 text-sm text-neutral-400">Pick a model and press Generate.</p>
        <p className="text-xs text-neutral-600">Each pixel is sampled from everything above and to its left.</p>
      </div>
    </div>
  );
}
