import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../../src/local/timer/ncrontab';

const next = (schedule: string, after: string): string => parseSchedule(schedule).next(new Date(after)).toISOString();

describe('NCRONTAB schedules', () => {
  it('finds the next occurrence for steps, lists and ranges (UTC)', () => {
    expect(next('*/15 * * * * *', '2024-03-10T10:00:07Z')).toBe('2024-03-10T10:00:15.000Z');
    expect(next('0 */5 * * * *', '2024-03-10T10:04:59.500Z')).toBe('2024-03-10T10:05:00.000Z');
    expect(next('0 0 9-17 * * *', '2024-03-10T17:30:00Z')).toBe('2024-03-11T09:00:00.000Z');
    expect(next('30 15 10 1,15 * *', '2024-03-02T00:00:00Z')).toBe('2024-03-15T10:15:30.000Z');
    expect(next('0 0 0 1 1 *', '2024-06-01T00:00:00Z')).toBe('2025-01-01T00:00:00.000Z');
    expect(next('0 0 12 29 Feb *', '2024-03-01T00:00:00Z')).toBe('2028-02-29T12:00:00.000Z');
  });

  it('requires both day of month and day of week to match', () => {
    // 13 September 2024 is a Friday.
    expect(next('0 0 0 13 * Fri', '2024-01-01T00:00:00Z')).toBe('2024-09-13T00:00:00.000Z');
    expect(next('0 0 8 * * 1-5', '2024-03-09T09:00:00Z')).toBe('2024-03-11T08:00:00.000Z');
    expect(next('0 0 8 * * 7', '2024-03-09T09:00:00Z')).toBe('2024-03-10T08:00:00.000Z');
  });

  it('is strictly after the given time, and accepts five fields and TimeSpan intervals', () => {
    expect(next('0 * * * * *', '2024-03-10T10:00:00Z')).toBe('2024-03-10T10:01:00.000Z');
    expect(next('*/2 * * * *', '2024-03-10T10:01:00Z')).toBe('2024-03-10T10:02:00.000Z');
    expect(next('00:00:30', '2024-03-10T10:01:00Z')).toBe('2024-03-10T10:01:30.000Z');
  });

  it('rejects malformed schedules with a message naming the field', () => {
    expect(() => parseSchedule('* * *')).toThrow(/six fields/);
    expect(() => parseSchedule('0 61 * * * *')).toThrow(/minute field "61" has 61, outside 0-59/);
    expect(() => parseSchedule('0 0 0 * Foo *')).toThrow(/month field "Foo"/);
    expect(() => parseSchedule('*/0 * * * * *')).toThrow(/invalid step/);
    expect(() => parseSchedule('0 0 0 31 2 *')).toThrow(/no occurrence within five years/);
  });
});
