// The compatibility rules as a table: each rule, its boundary values, and the shapes that stay refused with
// exactly /v1's errors. Every body goes through fromOriginal and then the /v1 validator, as the route does.
import { describe, expect, it } from 'vitest';
import { DEFAULT_PALETTE } from '../config.ts';
import { EPOCH_SECONDS_BELOW, fromOriginal } from './compat.ts';
import { createEventValidator } from './event.ts';

const NOW = Date.parse('2026-11-28T15:00:01.262Z');
const SECS = Math.floor(NOW / 1000); // 1796050801: Python's int(time.time()) at NOW
const ctx = { now: NOW, newId: () => 'gen-1' };
const v1 = createEventValidator({ palette: DEFAULT_PALETTE, defaultMatchId: 'live', timestampSkewMs: 60_000 });
const compat = (body: unknown, timeZone = 'UTC') => v1(fromOriginal(body, { timeZone }), ctx);
const base = { user_id: 'user_1', emoji_type: '🔥', timestamp: '2026-11-28T15:00:01.250Z' };

describe('fromOriginal: the rewrites', () => {
  // [rule, body fields, COMPAT_TIMEZONE, the fields after the rewrite]
  const REWRITES: [string, Record<string, unknown>, string, Record<string, unknown>][] = [
    ['1. user_id 7 → "7"', { user_id: 7 }, 'UTC', { user_id: '7' }],
    ['1. user_id 0 → "0"', { user_id: 0 }, 'UTC', { user_id: '0' }],
    ['1. user_id -3 → "-3"', { user_id: -3 }, 'UTC', { user_id: '-3' }],
    ['1. user_id 2^53-1 (largest exact integer)', { user_id: Number.MAX_SAFE_INTEGER }, 'UTC', { user_id: '9007199254740991' }],
    ['2. timestamp in epoch seconds → ms', { timestamp: SECS }, 'UTC', { timestamp: SECS * 1000 }],
    ['2. timestamp 0 is seconds', { timestamp: 0 }, 'UTC', { timestamp: 0 }],
    ['2. timestamp 10^11 - 1 is still seconds', { timestamp: EPOCH_SECONDS_BELOW - 1 }, 'UTC', { timestamp: (EPOCH_SECONDS_BELOW - 1) * 1000 }],
    ['3. no zone, COMPAT_TIMEZONE=UTC', { timestamp: '2026-11-28T15:00:01.250' }, 'UTC', { timestamp: '2026-11-28T15:00:01.250Z' }],
    ['3. no zone, Python microseconds', { timestamp: '2026-11-28T15:00:01.250186' }, 'UTC', { timestamp: '2026-11-28T15:00:01.250186Z' }],
    ['3. no zone, no fraction', { timestamp: '2026-11-28T15:00:01' }, 'UTC', { timestamp: '2026-11-28T15:00:01Z' }],
    ['3. no zone, minutes only', { timestamp: '2026-11-28T15:00' }, 'UTC', { timestamp: '2026-11-28T15:00Z' }],
    ['3. no zone, Asia/Kolkata', { timestamp: '2026-11-28T20:30:01.250' }, 'Asia/Kolkata', { timestamp: '2026-11-28T20:30:01.250+05:30' }],
    ['3. no zone, America/New_York (winter)', { timestamp: '2026-11-28T10:00:01.25' }, 'America/New_York', { timestamp: '2026-11-28T10:00:01.25-05:00' }],
    ['3. no zone, America/New_York (summer)', { timestamp: '2026-07-01T10:00:00' }, 'America/New_York', { timestamp: '2026-07-01T10:00:00-04:00' }],
    ['3. skipped hour (Berlin spring): offset before the change', { timestamp: '2026-03-29T02:30:00' }, 'Europe/Berlin', { timestamp: '2026-03-29T02:30:00+01:00' }],
    ['3. repeated hour (Berlin autumn): its first pass', { timestamp: '2026-10-25T02:30:00' }, 'Europe/Berlin', { timestamp: '2026-10-25T02:30:00+02:00' }],
    ['3. the hour after the repeated one', { timestamp: '2026-10-25T03:30:00' }, 'Europe/Berlin', { timestamp: '2026-10-25T03:30:00+01:00' }],
    ['3. the hour after the skipped one', { timestamp: '2026-03-29T03:30:00' }, 'Europe/Berlin', { timestamp: '2026-03-29T03:30:00+02:00' }],
    ['3. a zone at UTC+0 in winter', { timestamp: '2026-11-28T15:00:01' }, 'Europe/London', { timestamp: '2026-11-28T15:00:01Z' }],
    ['all three at once', { user_id: 17, timestamp: SECS }, 'UTC', { user_id: '17', timestamp: SECS * 1000 }],
  ];
  it.each(REWRITES)('%s', (_rule, fields, timeZone, want) => {
    const body = { ...base, ...fields };
    expect(fromOriginal(body, { timeZone })).toEqual({ ...body, ...want });
  });

  // [shape, body fields, COMPAT_TIMEZONE]: no rule applies, the body is passed on as it came
  const UNTOUCHED: [string, Record<string, unknown>, string][] = [
    ['the /v1 contract example', { match_id: 'ind-aus' }, 'Asia/Kolkata'],
    ['user_id 2^53 (not exact in JSON)', { user_id: 2 ** 53 }, 'UTC'],
    ['user_id 1.5', { user_id: 1.5 }, 'UTC'],
    ['user_id true', { user_id: true }, 'UTC'],
    ['user_id null', { user_id: null }, 'UTC'],
    ['timestamp 10^11 (epoch ms, as in /v1)', { timestamp: EPOCH_SECONDS_BELOW }, 'UTC'],
    ['timestamp in epoch ms', { timestamp: NOW }, 'UTC'],
    ['timestamp -1', { timestamp: -1 }, 'UTC'],
    ['timestamp seconds with a fraction (Python time.time())', { timestamp: SECS + 0.5 }, 'UTC'],
    ['timestamp seconds as a string', { timestamp: String(SECS) }, 'UTC'],
    ['timestamp with a zone', { timestamp: '2026-11-28T20:30:01+05:30' }, 'America/New_York'],
    ['timestamp with Z', { timestamp: '2026-11-28T15:00:01.250Z' }, 'Asia/Kolkata'],
    ['timestamp with a space (Python str(datetime))', { timestamp: '2026-11-28 15:00:01.250186' }, 'UTC'],
    ['timestamp a date only', { timestamp: '2026-11-28' }, 'UTC'],
    ['timestamp month 13', { timestamp: '2026-13-01T00:00:00' }, 'UTC'],
    ['timestamp with ten fraction digits', { timestamp: '2026-11-28T15:00:01.1234567890' }, 'UTC'],
  ];
  it.each(UNTOUCHED)('leaves alone: %s', (_shape, fields, timeZone) => {
    const body = { ...base, ...fields };
    expect(fromOriginal(body, { timeZone })).toBe(body);
  });

  it('leaves non-objects alone and never changes its input', () => {
    for (const raw of [null, 'x', 7, [base], true]) expect(fromOriginal(raw, { timeZone: 'UTC' })).toBe(raw);
    const body = { ...base, user_id: 7, timestamp: SECS };
    const copy = structuredClone(body);
    fromOriginal(body, { timeZone: 'UTC' });
    expect(body).toEqual(copy);
  });
});

describe('fromOriginal then the /v1 validator', () => {
  it("accepts the original project's shapes, with match_id defaulted as in /v1", () => {
    const shapes: [Record<string, unknown>, string, string][] = [
      [{ user_id: 'user_1', emoji_type: '🔥', timestamp: '2026-11-28T15:00:01.250186' }, 'UTC', '2026-11-28T15:00:01.250Z'],
      [{ user_id: 1, emoji_type: '🔥', timestamp: SECS }, 'UTC', '2026-11-28T15:00:01.000Z'],
      [{ user_id: 1, emoji_type: '❤', timestamp: '2026-11-28T20:30:01.250' }, 'Asia/Kolkata', '2026-11-28T15:00:01.250Z'],
      [{ user_id: 'u', emoji_type: '👏', timestamp: '2026-11-28T10:00:01' }, 'America/New_York', '2026-11-28T15:00:01.000Z'],
    ];
    for (const [body, timeZone, ts] of shapes) {
      const r = compat(body, timeZone);
      expect(r.ok, JSON.stringify(r)).toBe(true);
      expect(r.ok && r.event).toMatchObject({ user_id: String(body.user_id), timestamp: ts, match_id: 'live', event_id: 'gen-1' });
    }
    const kept = compat({ ...base, match_id: 'ind-aus', event_id: 'k-1' });
    expect(kept).toMatchObject({ ok: true, clientEventId: true, event: { match_id: 'ind-aus', event_id: 'k-1' } });
  });

  it('checks the skew after the seconds rule (boundary: 60 s behind)', () => {
    // SECS is 262 ms before NOW: 59 s earlier is 59.262 s behind, 60 s earlier is 60.262 s behind
    expect(compat({ ...base, timestamp: SECS - 59 }).ok).toBe(true);
    expect(compat({ ...base, timestamp: SECS - 60 })).toMatchObject({ ok: false, errors: [{ field: 'timestamp', code: 'timestamp_skew' }] });
    expect(compat({ ...base, timestamp: SECS + 60 }).ok).toBe(true);
    expect(compat({ ...base, timestamp: SECS + 61 })).toMatchObject({ ok: false, errors: [{ code: 'timestamp_skew' }] });
    // the largest seconds value is far in the future; 10^11 itself is ms in 1973: both refused for skew
    for (const ts of [EPOCH_SECONDS_BELOW - 1, EPOCH_SECONDS_BELOW, 0]) {
      expect(compat({ ...base, timestamp: ts })).toMatchObject({ ok: false, errors: [{ field: 'timestamp', code: 'timestamp_skew' }] });
    }
  });

  it('checks the skew after the zone rule: the same wall time read in the wrong zone is refused', () => {
    expect(compat({ ...base, timestamp: '2026-11-28T20:30:01.250' }, 'Asia/Kolkata').ok).toBe(true);
    expect(compat({ ...base, timestamp: '2026-11-28T20:30:01.250' }, 'UTC')).toMatchObject({ ok: false, errors: [{ code: 'timestamp_skew' }] });
  });

  // [shape, body, code, field]: refused, with exactly the errors /v1 gives the same body
  const REFUSED: [string, unknown, string, string][] = [
    ['unknown emoji', { ...base, emoji_type: '😍' }, 'unknown_emoji', 'emoji_type'],
    ['two emojis', { ...base, emoji_type: '🔥🔥' }, 'not_single_emoji', 'emoji_type'],
    ['emoji as a number', { ...base, emoji_type: 128293 }, 'invalid_type', 'emoji_type'],
    ['missing user_id', { emoji_type: '🔥', timestamp: NOW }, 'required', 'user_id'],
    ['missing emoji_type', { user_id: 'u', timestamp: NOW }, 'required', 'emoji_type'],
    ['missing timestamp', { user_id: 'u', emoji_type: '🔥' }, 'required', 'timestamp'],
    ['user_id 1.5', { ...base, user_id: 1.5 }, 'invalid_type', 'user_id'],
    ['user_id 2^53', { ...base, user_id: 2 ** 53 }, 'invalid_type', 'user_id'],
    ['user_id true', { ...base, user_id: true }, 'invalid_type', 'user_id'],
    ['user_id empty', { ...base, user_id: '' }, 'invalid_format', 'user_id'],
    ['timestamp -1', { ...base, timestamp: -1 }, 'invalid_format', 'timestamp'],
    ['timestamp seconds with a fraction', { ...base, timestamp: SECS + 0.5 }, 'invalid_format', 'timestamp'],
    ['timestamp seconds as a string', { ...base, timestamp: String(SECS) }, 'invalid_format', 'timestamp'],
    ['timestamp with a space instead of T', { ...base, timestamp: '2026-11-28 15:00:01.250186' }, 'invalid_format', 'timestamp'],
    ['timestamp a date only', { ...base, timestamp: '2026-11-28' }, 'invalid_format', 'timestamp'],
    ['timestamp month 13', { ...base, timestamp: '2026-13-01T00:00:00' }, 'invalid_format', 'timestamp'],
    ['timestamp an hour ahead (with a zone)', { ...base, timestamp: '2026-11-28T16:00:01Z' }, 'timestamp_skew', 'timestamp'],
    ['timestamp a boolean', { ...base, timestamp: true }, 'invalid_type', 'timestamp'],
    ['match_id a number', { ...base, match_id: 7 }, 'invalid_type', 'match_id'],
    ['unknown field', { ...base, country: 'IN' }, 'unknown_field', 'country'],
    ['an array of events', [base], 'invalid_type', ''],
    ['null', null, 'invalid_type', ''],
  ];
  it.each(REFUSED)('refuses %s exactly as /v1 does', (_shape, body, code, field) => {
    const r = compat(body, 'Asia/Kolkata');
    expect(r).toMatchObject({ ok: false, errors: [{ code, field }] });
    expect(r).toEqual(v1(body, ctx));
  });

  it('refuses a rewritten body with the errors /v1 gives the rewritten body', () => {
    const r = compat({ user_id: 1, emoji_type: '😍', timestamp: SECS, match_id: 'a b' });
    expect(r).toMatchObject({ ok: false, errors: [{ field: 'emoji_type', code: 'unknown_emoji' }, { field: 'match_id', code: 'invalid_format' }] });
    expect(r).toEqual(v1({ user_id: '1', emoji_type: '😍', timestamp: SECS * 1000, match_id: 'a b' }, ctx));
  });
});
