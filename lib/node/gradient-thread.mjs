// The entry of a gradient thread (threads.ts). Worker threads do not inherit the TypeScript loader
// of the `tsx` process that starts them (privatenumber/tsx#354), so the thread registers it itself.
import { register } from 'tsx/esm/api';

register();
await import('./gradient-thread.ts');
