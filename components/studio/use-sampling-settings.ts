'use client';
/**
 * The run's settings: how many images, the seed and its first image, and the sampling. A Remix
 * link presets them; each model opens with the sampling its card recommends.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { randomSeed } from '@/lib/reformer/random';
import { linkSampling, PLAIN_SAMPLING, type RemixQuery, type Sampling } from './remix-query';
import type { ModelEntry } from './use-engine';

export function useSamplingSettings(link: RemixQuery | null, model: ModelEntry | undefined) {
  const [batch, setBatch] = useState(4);
  const [seed, setSeed] = useState(1);
  /** The run draws images firstImage, firstImage + 1, … of the seed: a Remix of image i draws it alone. */
  const [firstImage, setFirstImage] = useState(0);
  const [sampling, setSampling] = useState<Sampling>(PLAIN_SAMPLING);
  /** A Remix link's sampling: it holds until the user picks a model, which then opens with its own. */
  const fromLink = useRef<Sampling | null>(null);

  const changeSeed = useCallback((s: number) => {
    setSeed(s);
    setFirstImage(0);
  }, []);
  const changeSampling = useCallback((change: Partial<Sampling>) => setSampling((s) => ({ ...s, ...change })), []);
  const forgetLinkSampling = useCallback(() => {
    fromLink.current = null;
  }, []);

  // A Remix link presets the recipe; otherwise a fresh seed.
  useEffect(() => {
    if (!link) return;
    setSeed(link.seed ?? randomSeed());
    fromLink.current = linkSampling(link);
    // Image i of a seed samples from the seed's stream i: a run of one image starting there redraws it.
    if (link.image !== undefined) {
      setBatch(1);
      setFirstImage(link.image);
    }
  }, [link]);

  // Each model opens with the sampling its card recommends (the setting bench:samples found
  // nearest its images), or plain temperature-1 sampling; a Remix link's own holds until the user
  // picks a model.
  const recommended = model?.card.sampling;
  const openedModel = model?.key;
  useEffect(() => {
    if (openedModel === undefined) return;
    setSampling(pickSampling(fromLink.current ?? recommended ?? PLAIN_SAMPLING));
    // Only a change of model resets the controls (`recommended` comes with it).
  }, [openedModel]);
  const onRecommended =
    recommended !== undefined &&
    sampling.temperature === recommended.temperature &&
    sampling.topK === recommended.topK &&
    sampling.topP === recommended.topP &&
    sampling.epsilon === recommended.epsilon;

  // A high-resolution model starts at one image (unless a Remix link asks for more): each image
  // holds its own decoding cache and takes minutes. The user can raise it.
  const pixelsPerImage = model ? model.card.dataset.width * model.card.dataset.height : 0;
  const batchFromLink = link?.image !== undefined;
  useEffect(() => {
    if (pixelsPerImage > 128 * 128 && !batchFromLink) setBatch(1);
  }, [pixelsPerImage]);

  return {
    batch,
    setBatch,
    seed,
    changeSeed,
    firstImage,
    sampling,
    changeSampling,
    recommended,
    onRecommended,
    applyRecommended: () => recommended && setSampling(pickSampling(recommended)),
    forgetLinkSampling,
  };
}

export type SamplingSettings = ReturnType<typeof useSamplingSettings>;

/** Only the four sampling fields: a card's recommendation also carries what it measured. */
function pickSampling({ temperature, topK, topP, epsilon }: Sampling): Sampling {
  return { temperature, topK, topP, epsilon };
}
