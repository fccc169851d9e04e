import 'server-only';
import { AppError } from '../errors';

/**
 * In-memory token buckets per client: `capacity` actions at once, refilled at `capacity` per
 * `windowMs`. One process only; several instances would each allow the full rate (use a shared
 * store such as Redis then).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly capacity: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `key`, or throws a 429 AppError whose `retryAfterSeconds` says when to try again. */
  take(key: string, action: string): void {
    const now = this.now();
    const perMs = this.capacity / this.windowMs;
    const bucket = this.buckets.get(key) ?? { tokens: this.capacity, at: now };
    bucket.tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(key, bucket);
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
      throw new RateLimitedError(
        `Too many ${action} from this address: at most ${this.capacity} per ${Math.round(this.windowMs / 1000)} s. Try again in ${retryAfterSeconds} s.`,
        retryAfterSeconds,
      );
    }
    bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 10_000) this.prune(now);
  }

  /** Forgets clients whose bucket has refilled: they are indistinguishable from new ones. */
  private prune(now: number): void {
    for (const [key, b] of this.buckets)
      if (b.tokens + (now - b.at) * (this.capacity / this.windowMs) >= this.capacity) this.buckets.delete(key);
  }
}

export class RateLimitedError extends AppError {
  constructor(message: string, retryAfterSeconds: number) {
    super('rate_limited', 429, message, retryAfterSeconds);
  }
}

/**
 * The client address for rate limiting: the last `x-forwarded-for` hop, the one a proxy in front
 * of us appended (earlier hops are whatever the client claimed). `next start` fills the header
 * from the socket only when it is absent, so without a proxy a client can send its own and dodge
 * the limit: deploy behind a proxy that sets it.
 */
export function clientKey(request: Request): string {
  const forwarded = request.headers.get('x-forwarded-for');
  const last = forwarded?.split(',').at(-1)?.trim();
  return last || request.headers.get('x-real-ip') || 'unknown';
}

const globalLimits = globalThis as unknown as { __reformerSampleLimits?: { share: RateLimiter; report: RateLimiter } };

/** Process-wide limits: 10 shares and 10 reports per minute per client. */
export function sampleLimits(): { share: RateLimiter; report: RateLimiter } {
  globalLimits.__reformerSampleLimits ??= { share: new RateLimiter(10, 60_000), report: new RateLimiter(10, 60_000) };
  return globalLimits.__reformerSampleLimits;
}

/** Tests: fresh buckets. */
export function resetSampleLimits(): void {
  globalLimits.__reformerSampleLimits = undefined;
}
