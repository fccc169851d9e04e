import 'server-only';

/**
 * Turns for dataset preparations in this process: each may hold up to ~1.7 × the upload's
 * decoded-pixel budget, so only a few run at once and the rest wait in line, first come first served.
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

export function takeTurn(atOnce: number): Turn {
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
        if (next) next(); // the turn passes on: `running` stays the same
        else running--;
      }
      state = 'released';
    },
  };
}
