/**
 * What a class-conditional run is asked to draw: the class ("Anything" = none) and the guidance
 * toward it (lib/reformer/guidance.ts), as pure functions of the model's card, so the studio's
 * hooks stay thin and these rules are unit-tested.
 */
import { type DatasetSummary, previewUrl } from '@/lib/pixels/manifest';
import type { ResultRecord } from '@/lib/samples/recipe';

/** The picker's state: a class id of the model's card, or undefined for "Anything". */
export interface Conditioning {
  classId?: number;
  /** Kept while "Anything" is picked (the slider is off then), so picking a class again restores it. */
  guidance: number;
}

/**
 * Guidance a model opens with: classes were recognisable far more often with guidance than without
 * in the trial of shared/EXPERIMENTS.md, whose s = 2 (in uncond + s·(cond − uncond)) is s = 1 here
 * (cond + s·(cond − uncond)), the setting bench:fidelity measures; a user can slide it to 0.
 */
export const DEFAULT_GUIDANCE = 1;

export const ANYTHING: Conditioning = { guidance: DEFAULT_GUIDANCE };

/** The class and guidance a Remix link asks for (remix-query.ts). */
export interface LinkConditioning {
  classId?: number;
  guidance?: number;
}

/**
 * The picker's state when a model opens: a link's class if this model knows it, with the link's
 * guidance (absent = none: a recipe without guidance was drawn with none); else "Anything".
 */
export function openingConditioning(classes: string[] | undefined, link: LinkConditioning | null): Conditioning {
  if (link?.classId === undefined || !classes || link.classId >= classes.length) return ANYTHING;
  return { classId: link.classId, guidance: link.guidance ?? 0 };
}

/**
 * What a run records and sends (ResultRecord `class` and `guidance`): nothing for a model without
 * classes or for "Anything"; else the class with its name, and its guidance.
 */
export function runConditioning(
  classes: string[] | undefined,
  c: Conditioning,
): Pick<ResultRecord, 'class' | 'guidance'> {
  const name = c.classId === undefined ? undefined : classes?.[c.classId];
  if (c.classId === undefined || name === undefined) return {};
  return { class: { id: c.classId, name }, guidance: c.guidance };
}

/**
 * A thumbnail per class: the per-class contact sheet of the model's dataset when this server has
 * that dataset with the same classes in the same order (else its pictures would show other
 * classes); null when it has not, and the picker shows names only.
 */
export function classThumbnails(
  card: { dataset: { id: string }; classes?: string[] },
  datasets: Pick<DatasetSummary, 'id' | 'classes' | 'createdAt'>[] | null,
): string[] | null {
  const classes = card.classes;
  const dataset = datasets?.find((d) => d.id === card.dataset.id);
  if (!classes?.length || !dataset?.classes) return null;
  const same = dataset.classes.length === classes.length && dataset.classes.every((c, i) => c.name === classes[i]);
  return same ? classes.map((_, i) => previewUrl(dataset.id, dataset.createdAt, i)) : null;
}
