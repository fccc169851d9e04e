import { describe, expect, it } from 'vitest';
import {
  ANYTHING,
  classThumbnails,
  DEFAULT_GUIDANCE,
  openingConditioning,
  runConditioning,
} from '@/components/studio/conditioning';

const CLASSES = ['Animals', 'Flags', 'Smileys'];

describe('openingConditioning', () => {
  it('takes a Remix link’s class and guidance when the model knows the class', () => {
    expect(openingConditioning(CLASSES, { classId: 2, guidance: 3.5 })).toEqual({ classId: 2, guidance: 3.5 });
    // A recipe without guidance was drawn without it.
    expect(openingConditioning(CLASSES, { classId: 0 })).toEqual({ classId: 0, guidance: 0 });
  });

  it('opens on "Anything" with the default guidance otherwise', () => {
    expect(openingConditioning(CLASSES, null)).toEqual({ guidance: DEFAULT_GUIDANCE });
    expect(openingConditioning(CLASSES, { classId: 3, guidance: 1 })).toEqual(ANYTHING);
    expect(openingConditioning(undefined, { classId: 0, guidance: 1 })).toEqual(ANYTHING);
    expect(openingConditioning(CLASSES, { guidance: 1 })).toEqual(ANYTHING);
  });
});

describe('runConditioning', () => {
  it('records the class by id and name with its guidance, 0 included', () => {
    expect(runConditioning(CLASSES, { classId: 1, guidance: 2 })).toEqual({
      class: { id: 1, name: 'Flags' },
      guidance: 2,
    });
    expect(runConditioning(CLASSES, { classId: 0, guidance: 0 })).toEqual({
      class: { id: 0, name: 'Animals' },
      guidance: 0,
    });
  });

  it('sends nothing for "Anything", a model without classes, or a class it does not know', () => {
    expect(runConditioning(CLASSES, { guidance: 4 })).toEqual({});
    expect(runConditioning(undefined, { classId: 1, guidance: 2 })).toEqual({});
    expect(runConditioning(CLASSES, { classId: 3, guidance: 2 })).toEqual({});
  });
});

describe('classThumbnails', () => {
  const card = { dataset: { id: 'emoji-16-p256' }, classes: CLASSES };
  const counts = (names: string[]) => names.map((name) => ({ name, train: 1, validation: 1 }));
  const dataset = (id: string, names?: string[]) => ({
    id,
    createdAt: '2026-12-01T00:00:00Z',
    ...(names ? { classes: counts(names) } : {}),
  });

  it("points each class at its contact sheet in the model's dataset", () => {
    const urls = classThumbnails(card, [dataset('other', CLASSES), dataset('emoji-16-p256', CLASSES)]);
    expect(urls).toHaveLength(3);
    expect(urls?.[2]).toMatch(/^\/api\/datasets\/emoji-16-p256\/preview\.png\?class=2&v=/);
  });

  it('gives names only when the dataset is not on this server or its classes differ', () => {
    expect(classThumbnails(card, null)).toBeNull();
    expect(classThumbnails(card, [dataset('other', CLASSES)])).toBeNull();
    expect(classThumbnails(card, [dataset('emoji-16-p256')])).toBeNull();
    expect(classThumbnails(card, [dataset('emoji-16-p256', ['Flags', 'Animals', 'Smileys'])])).toBeNull();
    expect(classThumbnails(card, [dataset('emoji-16-p256', CLASSES.slice(0, 2))])).toBeNull();
    expect(classThumbnails({ dataset: card.dataset }, [dataset('emoji-16-p256', CLASSES)])).toBeNull();
  });
});
