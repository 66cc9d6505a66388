import { describe, expect, it } from 'vitest';
import { scheduleOf } from '../src/rotation/schedule.js';

/**
 * Schedule expressions are checked when RotateSecret receives them, and the next date is found by skipping
 * whole years: an expression no date matches must not make the server walk a century day by day (it once took
 * 8-13 s and blocked every other request). Work is bounded by construction; no timing assertion here.
 */
describe('schedule expressions', () => {
  const next = (expression: string, from = Date.UTC(2026, 10, 28)) => {
    const schedule = scheduleOf({ ScheduleExpression: expression });
    return typeof schedule === 'string' ? schedule : new Date(schedule(from) ?? Number.NaN).toISOString();
  };

  it('finds the next date in the next allowed year, skipping the others whole', () => {
    expect(next('cron(0 0 1 1 ? 2031)')).toBe('2031-01-01T00:00:00.000Z');
    expect(next('cron(0 0 1 1 ? 2028/4)', Date.UTC(2029, 0, 2))).toBe('2032-01-01T00:00:00.000Z');
    expect(next('cron(0 0 29 2 ? *)')).toBe('2028-02-29T00:00:00.000Z');
    expect(next('cron(0 0 29 2 ? 2027/3)')).toBe('2036-02-29T00:00:00.000Z');
    expect(next('cron(0 0 29 2 ? 2028/4)', Date.UTC(2028, 2, 1))).toBe('2032-02-29T00:00:00.000Z');
    expect(next('cron(0 10 ? * 2 *)')).toBe('2026-11-30T10:00:00.000Z');
  });

  it('refuses, in one line, an expression no future date matches', () => {
    expect(next('cron(0 0 * * ? 1999)')).toMatch(
      /^Invalid ScheduleExpression cron\(0 0 \* \* \? 1999\): no date in the future matches it/,
    );
    expect(next('cron(0 0 29 2 ? 2027)')).toMatch(/no date in the future matches it/);
    // A leap day in years none of which is a leap year: refused by arithmetic, not by searching year after year.
    for (const years of ['2027/2', '2101/4', '2027,2029,2031']) {
      expect(next(`cron(0 0 29 2 ? ${years})`)).toMatch(
        /no date in the future matches it: the 29th of February/,
      );
    }
    expect(next('cron(0 0 30 2 ? *)')).toMatch(/^Invalid ScheduleExpression/);
    expect(next('cron(0 0 1 1 ? 2300)')).toBe(
      'Invalid ScheduleExpression cron(0 0 1 1 ? 2300): year 2300 is not valid.',
    );
  });
});
