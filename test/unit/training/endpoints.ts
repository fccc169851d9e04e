import type { Endpoint, HelperMessage, HelperReply } from '@/lib/training/gradient-service';

/** Two endpoints wired to each other in this thread, delivering asynchronously like a port. */
export function pair(): [Endpoint, Endpoint] {
  const handlers: [((m: HelperMessage | HelperReply) => void)[], ((m: HelperMessage | HelperReply) => void)[]] = [
    [],
    [],
  ];
  const end = (me: 0 | 1): Endpoint => ({
    post: (m) => void setTimeout(() => handlers[1 - me].forEach((h) => h(structuredClone(m)))),
    listen: (h) => void handlers[me].push(h),
  });
  return [end(0), end(1)];
}
