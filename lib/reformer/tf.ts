/**
 * The one tfjs import of the engine: tfjs-core, with gradients and chained ops (`x.reshape(...)`)
 * registered. `@tensorflow/tfjs` registers both against the same tfjs-core instance the backends
 * use, in Node (CommonJS bundles) and in bundlers (ES modules) alike; importing tfjs-core's
 * `dist/register_all_gradients` directly would load a second tfjs-core in Node.
 */
import '@tensorflow/tfjs';

export * from '@tensorflow/tfjs-core';
