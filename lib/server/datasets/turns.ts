import 'server-only';

/**
 * Turns for dataset preparations in this process: each may hold up to ~1.7 × the upload's
 * decoded-pixel budget, so only a few run at once and the rest wait in line, first come first served.
 * The line is capped too: each in it holds its upload's files while it waits.
 */

export interface Turn {
  /** 0 when it may run at once, else its place in line (1: next). */
  position: number;
  /** Resolves when it may run. */
  ready: Promise<void>;
  /** Ends the turn, handing it to the next in line, or leaves the line if it never ran. Idempotent. */
  release(): void;
}

let running = 0;
const line: (() => void)[] = [];

/** Whether a turn taken now would be granted: one of `atOnce` is free, or fewer than `maxWaiting` wait. */
export function hasRoom(atOnce: number, maxWaiting = Infinity): boolean {
  return running < atOnce || line.length < maxWaiting;
}

/** A turn: at once, or a place in line; null when it would have to wait and `maxWaiting` already do. */
export function takeTurn(atOnce: number, maxWaiting = Infinity): Turn | null {
  if (!hasRoom(atOnce, maxWaiting)) return null;
  let state: 'waiting' | 'running' | 'released' = 'waiting';
  let resolve!: () => void;
  const ready = new Promise<void>((r) => (resolve = r));
  const start = () => {
    state = 'running';
    resolve();
  };
  const now = running < atOnce;
  if (now) {
    running++;
    start();
  } else {
    line.push(start);
  }
  return {
    position: now ? 0 : line.length,
    ready,
    release() {
      if (state === 'waiting') line.splice(line.indexOf(start), 1);
      if (state === 'running') {
        const next = line.shift();
        if (next)
          next(); // the turn passes on: `running` stays the same
        else running--;
      }
      state = 'released';
    },
  };
}
