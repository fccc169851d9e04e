'use client';
/**
 * The class picker's state for the model in use: "Anything" or one of its card's classes, and the
 * guidance. A Remix link presets them until the user picks a model; each model opens afresh.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ANYTHING, type Conditioning, type LinkConditioning, openingConditioning } from './conditioning';
import type { RemixQuery } from './remix-query';
import type { ModelEntry } from './use-engine';

export function useConditioning(link: RemixQuery | null, model: ModelEntry | undefined) {
  const [conditioning, setConditioning] = useState<Conditioning>(ANYTHING);
  const fromLink = useRef<LinkConditioning | null>(null);

  useEffect(() => {
    if (link) fromLink.current = { classId: link.classId, guidance: link.guidance };
  }, [link]);

  const classes = model?.card.classes;
  const openedModel = model?.key;
  useEffect(() => {
    if (openedModel === undefined) return;
    setConditioning(openingConditioning(classes, fromLink.current));
    // Only a change of model resets the picker (`classes` comes with it).
  }, [openedModel]);

  const chooseClass = useCallback((classId: number | undefined) => setConditioning((c) => ({ ...c, classId })), []);
  const changeGuidance = useCallback((guidance: number) => setConditioning((c) => ({ ...c, guidance })), []);
  const forgetLink = useCallback(() => {
    fromLink.current = null;
  }, []);

  return { classes, conditioning, chooseClass, changeGuidance, forgetLink };
}

export type ConditioningSettings = ReturnType<typeof useConditioning>;
