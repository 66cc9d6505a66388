import { CronExpressionParser } from 'cron-parser';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** RotationRules as AWS takes and returns them. */
export interface RotationRules {
  AutomaticallyAfterDays?: number;
  ScheduleExpression?: string;
  Duration?: string;
}

/**
 * What the `rotation` column of a secret holds. The capitalised fields go on the wire as they are
 * (dates in epoch seconds); the lower-case ones are the server's own bookkeeping.
 */
export interface RotationState {
  RotationEnabled: boolean;
  RotationLambdaARN?: string;
  RotationRules?: RotationRules;
  /** For a managed external secret: the partner's metadata and the role it rotates with. */
  ExternalSecretRotationMetadata?: { Key: string; Value: string }[];
  ExternalSecretRotationRoleArn?: string;
  /** Epoch seconds. */
  LastRotatedDate?: number;
  /** Epoch seconds. */
  NextRotationDate?: number;
  /** When rotation was last configured (ms): the start of the first interval. */
  configuredAt: number;
  /** When the scheduler last started a rotation that failed (ms), so it does not retry at every check. */
  lastFailedAt?: number;
}

export const rotationState = (raw: Record<string, unknown> | undefined): RotationState | undefined =>
  raw as RotationState | undefined;

/** The fields DescribeSecret and ListSecrets show, as AWS does: dates only while rotation is enabled. */
export function rotationFields(raw: Record<string, unknown> | undefined): Record<string, unknown> {
  const state = rotationState(raw);
  if (state === undefined) return {};
  const out: Record<string, unknown> = { RotationEnabled: state.RotationEnabled };
  if (state.RotationLambdaARN !== undefined) out.RotationLambdaARN = state.RotationLambdaARN;
  if (state.RotationRules !== undefined) out.RotationRules = state.RotationRules;
  if (state.ExternalSecretRotationMetadata !== undefined) {
    out.ExternalSecretRotationMetadata = state.ExternalSecretRotationMetadata;
  }
  if (state.ExternalSecretRotationRoleArn !== undefined) {
    out.ExternalSecretRotationRoleArn = state.ExternalSecretRotationRoleArn;
  }
  if (state.RotationEnabled) {
    if (state.LastRotatedDate !== undefined) out.LastRotatedDate = state.LastRotatedDate;
    if (state.NextRotationDate !== undefined) out.NextRotationDate = state.NextRotationDate;
  }
  return out;
}

/** A parsed schedule: when the next rotation after `from` (ms) is due. */
export type Schedule = (from: number) => number | undefined;

/** The schedule of a rules object, or why it cannot be used. */
export function scheduleOf(rules: RotationRules): Schedule | string {
  const { AutomaticallyAfterDays: days, ScheduleExpression: expression, Duration: duration } = rules;
  if (days !== undefined && expression !== undefined) {
    return 'You cannot specify both AutomaticallyAfterDays and ScheduleExpression in RotationRules.';
  }
  let schedule: Schedule | string | undefined;
  let intervalMs: number | undefined;
  if (days !== undefined) {
    intervalMs = days * DAY_MS;
    schedule = (from) => from + days * DAY_MS;
  } else if (expression !== undefined) {
    const rate = /^rate\(\s*(\d+)\s+(hour|hours|day|days)\s*\)$/.exec(expression.trim());
    if (rate) {
      const n = Number(rate[1]);
      const unit = rate[2]?.startsWith('hour') ? HOUR_MS : DAY_MS;
      if (n < 1 || n * unit < 4 * HOUR_MS || n * unit > 1000 * DAY_MS) {
        return `Invalid ScheduleExpression ${expression}: the rotation interval must be between 4 hours and 1000 days.`;
      }
      intervalMs = n * unit;
      schedule = (from) => from + n * unit;
    } else if (/^cron\(.*\)$/.test(expression.trim())) {
      schedule = cronSchedule(expression.trim().slice(5, -1).trim(), expression);
    } else {
      return `Invalid ScheduleExpression ${expression}: use rate(N hours), rate(N days) or cron(minutes hours day-of-month month day-of-week year).`;
    }
  } else if (duration !== undefined) {
    return 'RotationRules.Duration needs AutomaticallyAfterDays or ScheduleExpression.';
  }
  if (typeof schedule === 'string') return schedule;
  if (duration !== undefined) {
    const match = /^(\d{1,2})h$/.exec(duration);
    const hours = match ? Number(match[1]) : Number.NaN;
    if (!(hours >= 1 && hours <= 24)) {
      return `Invalid Duration ${duration}: the rotation window must be a whole number of hours from 1h to 24h, e.g. 3h.`;
    }
    if (intervalMs !== undefined && hours * HOUR_MS > intervalMs) {
      return `Invalid Duration ${duration}: the rotation window must not be longer than the rotation interval.`;
    }
  }
  return schedule ?? (() => undefined);
}

/**
 * AWS's cron has six fields, `minutes hours day-of-month month day-of-week year`, one of
 * day-of-month and day-of-week being `?`, with day-of-week 1-7 = SUN-SAT. cron-parser has
 * `second minute hour day-of-month month day-of-week` with 0-6 = SUN-SAT and no year: the
 * day-of-week numbers are shifted and the year is checked on each candidate date.
 */
function cronSchedule(body: string, expression: string): Schedule | string {
  const invalid = (why: string) => `Invalid ScheduleExpression ${expression}: ${why}`;
  const fields = body.split(/\s+/);
  if (fields.length !== 6) {
    return invalid('a cron expression has six fields: minutes hours day-of-month month day-of-week year.');
  }
  const [minute, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) {
    return invalid('one of day-of-month and day-of-week must be ?, and only one.');
  }
  const dayOfWeek = dow === '?' ? '*' : shiftDaysOfWeek(dow);
  if (dayOfWeek === undefined) return invalid(`day-of-week ${dow} is not valid (1-7 or SUN-SAT).`);
  const years = yearMatcher(year);
  if (years === undefined) return invalid(`year ${year} is not valid.`);
  const cron = `0 ${minute} ${hour} ${dom === '?' ? '*' : dom} ${month} ${dayOfWeek}`;
  let parsed: ReturnType<typeof CronExpressionParser.parse>;
  try {
    parsed = CronExpressionParser.parse(cron, { tz: 'UTC', strict: false });
  } catch (error) {
    return invalid(error instanceof Error ? error.message : 'it cannot be parsed.');
  }
  const yearOf = (ms: number) => new Date(ms).getUTCFullYear();
  // The 29th of February exists only in leap years: the search below skips the others by arithmetic, where
  // cron-parser would look for a leap day in one disallowed year after another (0.1 s for
  // `cron(0 0 29 2 ? 2027/2)`, odd years only, before giving up).
  const { month: months, dayOfMonth: days, dayOfWeek: weekdays } = parsed.fields;
  const leapDayOnly =
    months.values.every((m) => m === 2) && days.values.every((d) => d === 29) && weekdays.values.length >= 7;
  /**
   * The next date after `from` in an allowed year. Years are skipped whole (a past year, `2030`, `2028/4`), so
   * the search is a handful of steps whatever the expression: it never walks a century day by day.
   */
  const schedule: Schedule = (from) => {
    let start = from;
    for (let step = 0; step < 64; step++) {
      // For a leap day, only leap years can hold the next date: the others are skipped without asking.
      const allowed = leapDayOnly ? nextLeapYear(years, yearOf(start)) : years.next(yearOf(start));
      if (allowed === undefined) return undefined;
      if (allowed > yearOf(start)) start = Date.UTC(allowed, 0, 1) - 1;
      let next: number;
      try {
        next = CronExpressionParser.parse(cron, { tz: 'UTC', currentDate: new Date(start) })
          .next()
          .getTime();
      } catch {
        return undefined; // cron-parser found no date at all (e.g. the 30th of February)
      }
      if (years.matches(yearOf(next))) return next;
      start = next;
    }
    return undefined;
  };
  if (schedule(Date.now()) === undefined) {
    return invalid(
      leapDayOnly
        ? 'no date in the future matches it: the 29th of February, in none of its years is a leap year.'
        : 'no date in the future matches it (check the year, and that the day exists in that month).',
    );
  }
  return schedule;
}

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** AWS day-of-week (1-7 or SUN-SAT, with ranges, lists, steps, `#` and `L`) to cron-parser's 0-6. */
function shiftDaysOfWeek(field: string): string | undefined {
  const day = (token: string): string | undefined => {
    const upper = token.toUpperCase();
    const named = DAY_NAMES.indexOf(upper);
    if (named >= 0) return String(named);
    if (!/^[1-7]$/.test(token)) return undefined;
    return String(Number(token) - 1);
  };
  const parts: string[] = [];
  for (const part of field.split(',')) {
    const [base = '', step] = part.split('/');
    let converted: string | undefined;
    const nth = /^([^#]+)#([1-5])$/.exec(base);
    const last = /^([^L]+)L$/i.exec(base);
    if (base === '*') converted = '*';
    else if (nth) converted = day(nth[1] ?? '') && `${day(nth[1] ?? '')}#${nth[2]}`;
    else if (last) converted = day(last[1] ?? '') && `${day(last[1] ?? '')}L`;
    else if (base.includes('-')) {
      const [from = '', to = ''] = base.split('-');
      const a = day(from);
      const b = day(to);
      converted = a !== undefined && b !== undefined ? `${a}-${b}` : undefined;
    } else converted = day(base);
    if (converted === undefined) return undefined;
    if (step !== undefined && !/^\d+$/.test(step)) return undefined;
    parts.push(step === undefined ? converted : `${converted}/${step}`);
  }
  return parts.join(',');
}

const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/** The first allowed leap year from `from` on: at most one step per allowed year up to 2199. */
function nextLeapYear(years: Years, from: number): number | undefined {
  for (let year = years.next(from); year !== undefined; year = years.next(year + 1)) {
    if (isLeapYear(year)) return year;
  }
  return undefined;
}

/** The years the year field allows, up to 2199 as AWS's cron: `*`, a year, a range, a list, or a step (`2025/2`). */
interface Years {
  matches(year: number): boolean;
  /** The first allowed year from `year` on. */
  next(year: number): number | undefined;
}

function yearMatcher(field: string): Years | undefined {
  const ranges: { from: number; to: number; step: number }[] = [];
  for (const part of field.split(',')) {
    const match = /^(\*|\d{4})(?:-(\d{4}))?(?:\/(\d+))?$/.exec(part);
    if (!match) return undefined;
    const from = match[1] === '*' ? 1970 : Number(match[1]);
    const to = match[2] !== undefined ? Number(match[2]) : match[1] === '*' || match[3] ? 2199 : from;
    const step = match[3] !== undefined ? Number(match[3]) : 1;
    if (step < 1 || to < from || to > 2199) return undefined;
    ranges.push({ from, to, step });
  }
  const matches = (year: number) =>
    ranges.some(({ from, to, step }) => year >= from && year <= to && (year - from) % step === 0);
  const next = (year: number): number | undefined => {
    let best: number | undefined;
    for (const { from, to, step } of ranges) {
      const first = year <= from ? from : from + Math.ceil((year - from) / step) * step;
      if (first <= to && (best === undefined || first < best)) best = first;
    }
    return best;
  };
  return { matches, next };
}

/** The next rotation date (epoch seconds) after the last rotation (or the configuration), if scheduled. */
export function nextRotationDate(state: RotationState): number | undefined {
  if (!state.RotationEnabled || state.RotationRules === undefined) return undefined;
  const schedule = scheduleOf(state.RotationRules);
  if (typeof schedule === 'string') return undefined;
  const from = state.LastRotatedDate !== undefined ? state.LastRotatedDate * 1000 : state.configuredAt;
  const next = schedule(from);
  return next === undefined ? undefined : next / 1000;
}
