import { describe, expect, it } from 'vitest';
import { folderClasses } from '@/lib/server/datasets/classes';

describe('folderClasses', () => {
  it('takes the first folder level where paths differ, looking through folders that wrap everything', () => {
    const bare = folderClasses(['cats/a.png', 'cats/b.png', 'dogs/c.png']);
    expect(bare.classOf).toEqual(['cats', 'cats', 'dogs']);
    const wrapped = folderClasses(['pets/cats/a.png', 'pets/cats/b.png', 'pets/dogs/c.png'], ['pets/', 'pets/cats/']);
    expect(wrapped.classOf).toEqual(['cats', 'cats', 'dogs']);
    expect(wrapped.emptyClasses).toEqual([]);
  });

  it('labels files in subfolders with their top class folder, and leaves files above the classes unlabelled', () => {
    const { classOf } = folderClasses(['set/cats/tabby/a.png', 'set/dogs/b.png', 'set/readme.png']);
    expect(classOf).toEqual(['cats', 'dogs', undefined]);
  });

  it('finds no classes when every file sits in the same folder, or in none', () => {
    expect(folderClasses(['cats/a.png', 'cats/b.png'], ['cats/']).classOf).toEqual([undefined, undefined]);
    expect(folderClasses(['a.png', 'b.png']).classOf).toEqual([undefined, undefined]);
    expect(folderClasses(['a/b/c/x.png']).classOf).toEqual([undefined]);
  });

  it('reports a class folder that holds no file, whatever wraps it, but not an empty subfolder of a class', () => {
    const { classOf, emptyClasses } = folderClasses(
      ['pets/cats/a.png', 'pets/dogs/b.png'],
      ['pets/', 'pets/birds/', 'pets/cats/', 'pets/dogs/old/', 'pets/fish/small/'],
    );
    expect(classOf).toEqual(['cats', 'dogs']);
    expect(emptyClasses).toEqual([
      { name: 'birds', folder: 'pets/birds/' },
      { name: 'fish', folder: 'pets/fish/' },
    ]);
    // One class folder beside an empty one: the empty one is still a class, so the wrapper is not looked through.
    expect(folderClasses(['cats/a.png'], ['dogs/']).emptyClasses).toEqual([{ name: 'dogs', folder: 'dogs/' }]);
  });
});
