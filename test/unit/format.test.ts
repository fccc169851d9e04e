import { describe, expect, it } from 'vitest';
import { formatBytes, formatClock, formatDuration } from '@/lib/format';

describe('formatBytes', () => {
  it('uses binary units with one decimal above a KiB', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(1023)).toBe('1023 bytes');
    expect(formatBytes(1024)).toBe('1.0 KiB');
    expect(formatBytes(3.4 * 1024)).toBe('3.4 KiB');
    expect(formatBytes(2 ** 20 - 1)).toBe('1024.0 KiB');
    expect(formatBytes(2 ** 20)).toBe('1.0 MiB');
    expect(formatBytes(512 * 2 ** 20)).toBe('512.0 MiB');
    expect(formatBytes(1.5 * 2 ** 30)).toBe('1.5 GiB');
  });
});

describe('formatDuration', () => {
  it('reads milliseconds, seconds, then minutes', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(340.4)).toBe('340 ms');
    expect(formatDuration(2345)).toBe('2.3 s');
    expect(formatDuration(65_000)).toBe('1 min 5 s');
    expect(formatDuration(119_700)).toBe('2 min 0 s');
  });
});

describe('formatClock', () => {
  it('ticks in whole seconds with the smaller unit padded', () => {
    expect(formatClock(4_600)).toBe('5s');
    expect(formatClock(65_000)).toBe('1m 05s');
    expect(formatClock(3600_000 + 3 * 60_000 + 59_000)).toBe('1h 03m');
  });

  it('shows a dash for a time not known yet', () => {
    expect(formatClock(Number.POSITIVE_INFINITY)).toBe('—');
    expect(formatClock(Number.NaN)).toBe('—');
    expect(formatClock(-1)).toBe('—');
  });
});
