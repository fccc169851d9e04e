'use client';

import { Studio } from '@/components/studio/studio';
import { toShareRecipe } from '@/lib/samples/recipe';
import { ShareButton } from './share-button';

/**
 * The studio with its Share slot filled. A client module because the slot is a render function,
 * which a server page cannot pass: app/page.tsx renders this instead of <Studio />.
 */
export function StudioWithSharing() {
  return (
    <Studio
      renderShare={(png, recipe) => (
        <ShareButton
          key={`${recipe.seed}-${recipe.imageIndex}-${recipe.createdAt}`}
          png={png}
          recipe={toShareRecipe(recipe)}
        />
      )}
    />
  );
}
