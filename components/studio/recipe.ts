// The studio's result record lives in lib/samples/recipe.ts (ResultRecord), beside the share
// Recipe it maps to. This alias keeps studio.tsx and result-grid.tsx compiling until they import
// ResultRecord from there; then this file goes.
export type { ResultRecord as Recipe } from '@/lib/samples/recipe';
