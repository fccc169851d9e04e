import { describe, expect, it } from 'vitest';
import { distanceFromImages, type MeasuredSetting, recommendSampling } from '@/lib/models/recommend';

const setting = (epsilon: number, stray: number, ink: number): MeasuredSetting => ({
  sampling: { temperature: 1, topK: 0, topP: 1, epsilon },
  images: 32,
  stray,
  ink,
});

describe('recommendSampling', () => {
  // The default 32×32 model's measurements at stop 17 (bench/results/samples-emoji-32.json).
  const images = { stray: 0.0087, ink: 0.635 };
  const measured = [
    setting(0, 0.0546, 0.599),
    setting(0.001, 0.0254, 0.525),
    setting(0.002, 0.0117, 0.478),
    setting(0.005, 0.0031, 0.315),
  ];

  it('picks the setting nearest the images in specks and ink at once', () => {
    expect(recommendSampling(images, measured).sampling.epsilon).toBe(0.002);
  });

  it('counts ratios, so 4× the specks is as far off as a quarter of the ink', () => {
    const specks = distanceFromImages({ stray: 0.04, ink: 0.6 }, { stray: 0.01, ink: 0.6 });
    const pale = distanceFromImages({ stray: 0.01, ink: 0.15 }, { stray: 0.01, ink: 0.6 });
    expect(specks).toBeCloseTo(Math.log(4), 12);
    expect(pale).toBeCloseTo(specks, 12);
  });

  it('keeps a setting with no stray pixels finite, and takes the first of equals', () => {
    expect(Number.isFinite(distanceFromImages({ stray: 0, ink: 0.5 }, images))).toBe(true);
    expect(recommendSampling(images, [setting(0.1, 0.0087, 0.635), setting(0.2, 0.0087, 0.635)]).sampling.epsilon).toBe(
      0.1,
    );
  });

  it('refuses to recommend from nothing', () => {
    expect(() => recommendSampling(images, [])).toThrow(/no sampling settings/);
  });
});
