'use client';

/**
 * Training and validation bits/dim against steps, as a plain SVG: two series, a few gridlines,
 * no dependency. The x axis spans the whole run so progress reads at a glance.
 */
export interface LossChartProps {
  train: [number, number][];
  validation: [number, number][];
  totalSteps: number;
  /** What the evaluation series measured: validation images, or training images when a dataset has none. */
  evaluationSplit?: 'validation' | 'train';
}

const W = 640;
const H = 240;
const PAD = { left: 44, right: 12, top: 12, bottom: 26 };

/** Exponential moving average, debiased at the start (as TensorBoard smooths), so noisy small batches still read as a trend. */
function smooth(points: [number, number][], weight = 0.9): [number, number][] {
  let ema = 0;
  return points.map(([step, v], i) => {
    ema = weight * ema + (1 - weight) * v;
    return [step, ema / (1 - weight ** (i + 1))];
  });
}

function niceTicks(min: number, max: number, count: number): number[] {
  const span = max - min || 1;
  const step = 10 ** Math.floor(Math.log10(span / count));
  const unit = [1, 2, 2.5, 5, 10].map((m) => m * step).find((s) => span / s <= count) ?? step * 10;
  const out: number[] = [];
  for (let v = Math.ceil(min / unit) * unit; v <= max + 1e-9; v += unit) out.push(Number(v.toFixed(6)));
  return out;
}

export function LossChart({ train, validation, totalSteps, evaluationSplit = 'validation' }: LossChartProps) {
  const all = [...train, ...validation].map((p) => p[1]).filter(Number.isFinite);
  const empty = all.length === 0;
  const lo = empty ? 0 : Math.min(...all);
  const hi = empty ? 8 : Math.max(...all);
  const margin = Math.max((hi - lo) * 0.08, 0.05);
  const yMin = Math.max(0, lo - margin);
  const yMax = hi + margin;
  const xMax = Math.max(totalSteps, 1);
  const x = (step: number) => PAD.left + (step / xMax) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - (v - yMin) / (yMax - yMin)) * (H - PAD.top - PAD.bottom);
  const path = (points: [number, number][]) =>
    points.map(([s, v], i) => `${i ? 'L' : 'M'}${x(s).toFixed(1)},${y(v).toFixed(1)}`).join('');

  return (
    <figure
      data-testid="train-chart"
      data-train-points={train.length}
      data-validation-points={validation.length}
      className="rounded-xl border border-neutral-800 bg-neutral-900/60 p-4"
    >
      <figcaption className="mb-2 flex flex-wrap items-center justify-between gap-2 text-xs text-neutral-400">
        <span className="font-medium text-neutral-200">Bits per dimension</span>
        <span className="flex items-center gap-4">
          <span className="flex items-center gap-1.5">
            <span className="h-0.5 w-4 rounded bg-emerald-400" /> training (smoothed)
          </span>
          <span className="flex items-center gap-1.5">
            <span className="h-2 w-2 rounded-full bg-amber-400" />{' '}
            {evaluationSplit === 'validation' ? 'validation' : 'training images, no validation split'} (averaged
            weights)
          </span>
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        className="h-auto w-full"
        role="img"
        aria-label={`Bits per dimension over ${train.length} training points and ${validation.length} validation points`}
      >
        {niceTicks(yMin, yMax, 4).map((v) => (
          <g key={`y${v}`}>
            <line
              x1={PAD.left}
              x2={W - PAD.right}
              y1={y(v)}
              y2={y(v)}
              className="stroke-neutral-800"
              strokeDasharray="2 4"
            />
            <text x={PAD.left - 6} y={y(v) + 3} textAnchor="end" className="fill-neutral-500 text-[11px] tabular-nums">
              {v.toFixed(v < 10 ? 2 : 1)}
            </text>
          </g>
        ))}
        {niceTicks(0, xMax, 5).map((s) => (
          <text
            key={`x${s}`}
            x={x(s)}
            y={H - 8}
            textAnchor="middle"
            className="fill-neutral-500 text-[11px] tabular-nums"
          >
            {s}
          </text>
        ))}
        <line x1={PAD.left} x2={W - PAD.right} y1={H - PAD.bottom} y2={H - PAD.bottom} className="stroke-neutral-700" />
        {train.length > 0 && (
          <path d={path(train)} fill="none" className="stroke-emerald-400/30" strokeWidth={1} strokeLinejoin="round" />
        )}
        {train.length > 0 && (
          <path
            d={path(smooth(train))}
            fill="none"
            className="stroke-emerald-400"
            strokeWidth={2}
            strokeLinejoin="round"
          />
        )}
        {validation.length > 1 && (
          <path
            d={path(validation)}
            fill="none"
            className="stroke-amber-400/70"
            strokeWidth={1.25}
            strokeDasharray="4 3"
          />
        )}
        {validation.map(([s, v]) => (
          <circle key={s} cx={x(s)} cy={y(v)} r={3} className="fill-amber-400 stroke-neutral-950" strokeWidth={1} />
        ))}
        {empty && (
          <text x={W / 2} y={H / 2} textAnchor="middle" className="fill-neutral-600 text-xs">
            The curve appears with the first step.
          </text>
        )}
      </svg>
    </figure>
  );
}
