'use client';
/** The run's settings: images, seed, the sampling controls, and the model's recommended sampling. */
import { randomSeed } from '@/lib/reformer/random';
import { Button, Field, inputClass, Slider } from './controls';
import type { ModelEntry } from './use-engine';
import type { SamplingSettings } from './use-sampling-settings';

/**
 * Floors for the ε control: a higher floor draws fewer stray pixels at the cost of fewer, smaller
 * shapes (measured in the README, "Shipped models").
 */
const EPSILON_CHOICES = [0, 0.0003, 0.001, 0.002, 0.005];

export function SamplingControls({ settings, disabled }: { settings: SamplingSettings; disabled: boolean }) {
  const { batch, setBatch, seed, changeSeed, firstImage, sampling, changeSampling, recommended } = settings;
  const { temperature, topK, topP, epsilon } = sampling;
  return (
    <>
      <div className="grid grid-cols-[88px_minmax(0,1fr)] gap-3">
        <Field label="Images">
          <input
            data-testid="batch-input"
            type="number"
            min={1}
            max={16}
            className={inputClass}
            value={batch}
            disabled={disabled}
            onChange={(e) => setBatch(Math.min(16, Math.max(1, Math.round(Number(e.target.value) || 1))))}
          />
        </Field>
        <Field label="Seed" hint={firstImage > 0 ? `from image #${firstImage + 1}` : undefined}>
          <div className="flex gap-1">
            <input
              data-testid="seed-input"
              type="number"
              min={0}
              max={4294967295}
              className={inputClass}
              value={seed}
              disabled={disabled}
              onChange={(e) => changeSeed(Math.min(4294967295, Math.max(0, Math.floor(Number(e.target.value) || 0))))}
            />
            <Button
              aria-label="Random seed"
              title="Random seed"
              data-testid="seed-random"
              disabled={disabled}
              onClick={() => changeSeed(randomSeed())}
              className="px-2"
            >
              ⚄
            </Button>
          </div>
        </Field>
      </div>
      <Field label="Temperature" hint={temperature === 0 ? 'greedy' : temperature.toFixed(2)}>
        <Slider
          label="Temperature"
          testId="temperature-input"
          value={temperature}
          min={0}
          max={1.5}
          step={0.05}
          onChange={(v) => changeSampling({ temperature: v })}
          disabled={disabled}
        />
      </Field>
      <Field label="Top-k" hint={topK === 0 ? 'off' : String(topK)}>
        <Slider
          label="Top-k"
          testId="topk-input"
          value={topK}
          min={0}
          max={64}
          step={1}
          onChange={(v) => changeSampling({ topK: v })}
          disabled={disabled}
        />
      </Field>
      <Field label="Top-p" hint={topP === 1 ? 'off' : topP.toFixed(2)}>
        <Slider
          label="Top-p"
          testId="topp-input"
          value={topP}
          min={0.05}
          max={1}
          step={0.05}
          onChange={(v) => changeSampling({ topP: v })}
          disabled={disabled}
        />
      </Field>
      <Field label="Probability floor" hint={epsilon === 0 ? 'off' : 'drops shades less likely than this'}>
        <select
          data-testid="epsilon-select"
          aria-label="Probability floor"
          className={inputClass}
          value={epsilon}
          disabled={disabled}
          onChange={(e) => changeSampling({ epsilon: Number(e.target.value) })}
        >
          {[...new Set([...EPSILON_CHOICES, epsilon])]
            .sort((a, b) => a - b)
            .map((v) => (
              <option key={v} value={v}>
                {v === 0 ? 'off' : v}
              </option>
            ))}
        </select>
      </Field>
      {recommended && (
        <RecommendedSampling
          sampling={recommended}
          active={settings.onRecommended}
          disabled={disabled}
          onUse={settings.applyRecommended}
        />
      )}
    </>
  );
}

/** What the card's recommended sampling was measured to draw, and a way back to it. */
function RecommendedSampling({
  sampling,
  active,
  disabled,
  onUse,
}: {
  sampling: NonNullable<ModelEntry['card']['sampling']>;
  active: boolean;
  disabled: boolean;
  onUse: () => void;
}) {
  const pct = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;
  const m = sampling.measured;
  return (
    <div
      data-testid="sampling-recommended"
      data-active={active}
      className="space-y-1.5 text-xs leading-relaxed text-neutral-500"
    >
      <p>
        {active ? 'Recommended for this model' : "This model's recommended sampling"}: T {sampling.temperature}
        {sampling.topK ? `, top-k ${sampling.topK}` : ''}
        {sampling.topP < 1 ? `, top-p ${sampling.topP}` : ''}
        {sampling.epsilon ? `, floor ${sampling.epsilon}` : ''}. Its samples had {pct(m.stray)} stray pixels and ink on{' '}
        {pct(m.ink)} of the canvas ({m.samples} samples, bench:samples), against {pct(m.validationStray)} and{' '}
        {pct(m.validationInk)} in the validation images.
      </p>
      {!active && (
        <Button data-testid="sampling-use-recommended" className="px-2 py-0.5" disabled={disabled} onClick={onUse}>
          Use recommended
        </Button>
      )}
    </div>
  );
}
