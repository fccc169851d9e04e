'use client';

import { useEffect, useRef } from 'react';
import type { SampleImage } from '@/lib/runtime/train-protocol';

/** One generated image, drawn pixel-exact and scaled up without smoothing. */
export function SampleImageCanvas({ image, label }: { image: SampleImage; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const { width, height, rgb } = image;
    const rgba = new Uint8ClampedArray(width * height * 4);
    for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
      rgba[j] = rgb[i];
      rgba[j + 1] = rgb[i + 1];
      rgba[j + 2] = rgb[i + 2];
      rgba[j + 3] = 255;
    }
    ctx.putImageData(new ImageData(rgba, width, height), 0, 0);
  }, [image]);
  return (
    <canvas
      ref={ref}
      width={image.width}
      height={image.height}
      role="img"
      aria-label={label}
      className="pixelated aspect-square w-28 rounded-md border border-neutral-800 bg-neutral-950"
    />
  );
}
