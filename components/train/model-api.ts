// Moved to lib/api/models.ts; kept only for train-studio.tsx, which is being restructured apart.
// The integrator points its import at '@/lib/api/models' and deletes this file.
export { listModels, publishModel, type ShippedModel } from '@/lib/api/models';
