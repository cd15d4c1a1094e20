/**
 * NCRONTAB schedules as timer triggers use them: six fields
 * `{second} {minute} {hour} {day} {month} {day-of-week}` (five fields, without seconds, are
 * accepted too), each `*`, a value, a range `a-b`, a step `*\/n` or `a-b/n`, or a list of those.
 * Months and days of the week may be names (`Jan`, `Mon`). Day of month and day of week must
 * both match, as in NCrontab. Times are UTC, the host's default. A TimeSpan (`hh:mm:ss`) means
 * "every interval".
 */

export interface Schedule {
  readonly text: string;
  /** The first occurrence strictly after `after`. */
  next(after: Date): Date;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const fields: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day-of-week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

export function parseSchedule(text: string): Schedule {
  const trimmed = text.trim();
  if (/^(?:\d+\.)?\d{1,2}:\d{1,2}(?::\d{1,2})?$/.test(trimmed)) return intervalSchedule(trimmed);
  const parts = trimmed.split(/\s+/);
  if (parts.length === 5) parts.unshift('0');
  if (parts.length !== 6) {
    throw new Error(
      `Timer schedule "${text}" must have six fields "{second} {minute} {hour} {day} {month} {day-of-week}", e.g. "0 */5 * * * *"`,
    );
  }
  const sets = parts.map((part, index) => parseField(part, fields[index] as FieldSpec, text));
  const [seconds, minutes, hours, days, months, weekdays] = sets as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  // Sunday may be written 7.
  if (weekdays.has(7)) weekdays.add(0);
  const schedule: Schedule = {
    text: trimmed,
    next(after: Date): Date {
      const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
      const limit = after.getTime() + 5 * 366 * 24 * 3600 * 1000;
      while (t.getTime() <= limit) {
        if (!months.has(t.getUTCMonth() + 1)) {
          t.setUTCMonth(t.getUTCMonth() + 1, 1);
          t.setUTCHours(0, 0, 0, 0);
          continue;
        }
        if (!days.has(t.getUTCDate()) || !weekdays.has(t.getUTCDay())) {
          t.setUTCDate(t.getUTCDate() + 1);
          t.setUTCHours(0, 0, 0, 0);
          continue;
        }
        if (!hours.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
          continue;
        }
        if (!minutes.has(t.getUTCMinutes())) {
          t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
          continue;
        }
        if (!seconds.has(t.getUTCSeconds())) {
          t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
          continue;
        }
        return t;
      }
      throw new Error(`Timer schedule "${text}" has no occurrence within five years`);
    },
  };
  schedule.next(new Date());
  return schedule;
}

function intervalSchedule(text: string): Schedule {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$/.exec(text);
  const [, days = '0', hours = '0', minutes = '0', seconds = '0'] = match ?? [];
  const ms = (((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
  if (ms <= 0) throw new Error(`Timer schedule "${text}" must be a positive interval`);
  return { text, next: (after) => new Date(after.getTime() + ms) };
}

function parseField(part: string, spec: FieldSpec, schedule: string): Set<number> {
  const values = new Set<number>();
  const fail = (why: string): never => {
    throw new Error(`Timer schedule "${schedule}": ${spec.name} field "${part}" ${why}`);
  };
  const upper = spec.name === 'day-of-week' ? 7 : spec.max;
  const value = (token: string): number => {
    const named = spec.names?.indexOf(token.toLowerCase()) ?? -1;
    if (named >= 0) return named + spec.min;
    if (!/^\d+$/.test(token)) return fail(`has "${token}", which is not a number${spec.names ? ' or a name' : ''}`);
    const number = Number(token);
    if (number < spec.min || number > upper) return fail(`has ${number}, outside ${spec.min}-${upper}`);
    return number;
  };
  for (const item of part.split(',')) {
    const [range = '', stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) fail(`has an invalid step "/${stepText}"`);
    let from: number;
    let to: number;
    if (range === '*') {
      from = spec.min;
      to = spec.max;
    } else if (range.includes('-')) {
      const [low = '', high = ''] = range.split('-');
      from = value(low);
      to = value(high);
      if (from > to) fail(`has a range ${range} that runs backwards`);
    } else {
      from = value(range);
      to = stepText === undefined ? from : spec.max;
    }
    for (let n = from; n <= to; n += step) values.add(n);
  }
  return values;
}
