import { describe, expect, it } from 'vitest';
import { DEFAULT_PALETTE } from '../config.ts';
import { createEventValidator, MAX_FIELD_ERRORS, validateBatch, type EventValidation } from './event.ts';

const NOW = Date.parse('2026-11-28T15:00:01.262Z');
const ctx = { now: NOW, newId: () => 'gen-1' };
const validate = createEventValidator({ palette: DEFAULT_PALETTE, defaultMatchId: 'live', timestampSkewMs: 60_000 });
const good = { user_id: 'u-17', emoji_type: '🔥', timestamp: '2026-11-28T15:00:01.250Z', match_id: 'ind-aus' };

const errorsOf = (r: EventValidation) => (r.ok ? [] : r.errors);

describe('validateEvent', () => {
  it('accepts the contract example and adds event_id (received_at is stamped at admission, not here)', () => {
    expect(validate(good, ctx)).toEqual({
      ok: true,
      clientEventId: false,
      event: { ...good, event_id: 'gen-1' },
    });
  });

  it('generates a UUID when no id generator is injected', () => {
    const r = validate(good, { now: NOW });
    expect(r.ok && r.event.event_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('normalizes epoch ms and offset ISO timestamps to ISO UTC with milliseconds', () => {
    const a = validate({ ...good, timestamp: NOW - 5 }, ctx);
    expect(a.ok && a.event.timestamp).toBe('2026-11-28T15:00:01.257Z');
    const b = validate({ ...good, timestamp: '2026-11-28T20:30:01+05:30' }, ctx);
    expect(b.ok && b.event.timestamp).toBe('2026-11-28T15:00:01.000Z');
  });

  it('defaults match_id and keeps a client event_id', () => {
    const r = validate({ user_id: 'u', emoji_type: '😀', timestamp: NOW, event_id: 'c:1.a_b-2' }, ctx);
    expect(r).toMatchObject({ ok: true, clientEventId: true, event: { match_id: 'live', event_id: 'c:1.a_b-2' } });
  });

  it('treats skin-tone and ZWJ sequences as one palette entry, and VS16 as optional', () => {
    for (const e of ['👍🏽', '🧑‍🤝‍🧑', '❤️']) expect(validate({ ...good, emoji_type: e }, ctx).ok).toBe(true);
    const r = validate({ ...good, emoji_type: '❤' }, ctx);
    expect(r.ok && r.event.emoji_type).toBe('❤️');
    // the bare thumb without the palette's skin tone is a different emoji
    expect(errorsOf(validate({ ...good, emoji_type: '👍' }, ctx))[0]?.code).toBe('unknown_emoji');
  });

  it('names the palette for an unknown emoji and refuses two emojis in one', () => {
    const [u] = errorsOf(validate({ ...good, emoji_type: '🍕' }, ctx));
    expect(u).toMatchObject({ field: 'emoji_type', code: 'unknown_emoji' });
    for (const p of DEFAULT_PALETTE) expect(u!.message).toContain(p);
    expect(errorsOf(validate({ ...good, emoji_type: '🔥🔥' }, ctx))[0]).toMatchObject({ field: 'emoji_type', code: 'not_single_emoji' });
    expect(errorsOf(validate({ ...good, emoji_type: '' }, ctx))[0]).toMatchObject({ field: 'emoji_type', code: 'not_single_emoji' });
  });

  it.each([
    [{ ...good, user_id: '' }, 'user_id', 'invalid_format'],
    [{ ...good, user_id: '   ' }, 'user_id', 'invalid_format'],
    [{ ...good, user_id: 'a\u0000b' }, 'user_id', 'invalid_format'],
    [{ ...good, user_id: 'x'.repeat(129) }, 'user_id', 'too_long'],
    [{ ...good, user_id: 17 }, 'user_id', 'invalid_type'],
    [{ emoji_type: '🔥', timestamp: NOW }, 'user_id', 'required'],
    [{ ...good, emoji_type: 1 }, 'emoji_type', 'invalid_type'],
    [{ user_id: 'u', timestamp: NOW }, 'emoji_type', 'required'],
    [{ ...good, timestamp: NOW + 60_001 }, 'timestamp', 'timestamp_skew'],
    [{ ...good, timestamp: NOW - 60_001 }, 'timestamp', 'timestamp_skew'],
    [{ ...good, timestamp: '2026-11-28' }, 'timestamp', 'invalid_format'],
    [{ ...good, timestamp: '2026-11-28T15:00:01' }, 'timestamp', 'invalid_format'],
    [{ ...good, timestamp: 'yesterday' }, 'timestamp', 'invalid_format'],
    [{ ...good, timestamp: 1.5 }, 'timestamp', 'invalid_format'],
    [{ ...good, timestamp: true }, 'timestamp', 'invalid_type'],
    [{ user_id: 'u', emoji_type: '🔥' }, 'timestamp', 'required'],
    [{ ...good, match_id: 'has space' }, 'match_id', 'invalid_format'],
    [{ ...good, match_id: 'm'.repeat(65) }, 'match_id', 'invalid_format'],
    [{ ...good, match_id: null }, 'match_id', 'invalid_type'],
    [{ ...good, event_id: 'a/b' }, 'event_id', 'invalid_format'],
    [{ ...good, event_id: 5 }, 'event_id', 'invalid_type'],
    [{ ...good, extra: 1 }, 'extra', 'unknown_field'],
  ])('refuses %j: %s %s', (body, field, code) => {
    const errs = errorsOf(validate(body, ctx));
    expect(errs).toContainEqual(expect.objectContaining({ field, code }));
    expect(errs.find((e) => e.field === field)!.message).toContain(field);
  });

  it('accepts the skew boundary and 128 characters of user_id (code points, not UTF-16 units)', () => {
    expect(validate({ ...good, timestamp: NOW + 60_000 }, ctx).ok).toBe(true);
    expect(validate({ ...good, user_id: '😀'.repeat(128) }, ctx).ok).toBe(true);
  });

  it('reports every bad field at once and refuses non-objects', () => {
    const errs = errorsOf(validate({ user_id: 1, emoji_type: '🍕', timestamp: 'x', foo: 1 }, ctx));
    expect(errs.map((e) => e.field).sort()).toEqual(['emoji_type', 'foo', 'timestamp', 'user_id']);
    for (const v of [null, [], 'str', 3]) expect(errorsOf(validate(v, ctx))[0]?.code).toBe('invalid_type');
  });
});

describe('bounded refusals', () => {
  it('reports unknown keys once per object: three named, the rest counted, long names cut', () => {
    const body: Record<string, unknown> = { ...good };
    for (let i = 0; i < 500; i++) body[`k${i}${'x'.repeat(100)}`] = i;
    const errs = errorsOf(validate(body, ctx));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ code: 'unknown_field', field: `k0${'x'.repeat(38)}…` });
    expect(errs[0]!.message).toContain('and 497 more');
    expect(errs[0]!.message.length).toBeLessThan(300);
  });

  it('a batch keeps the first MAX_FIELD_ERRORS errors and counts them all', () => {
    const bad = { ...good, emoji_type: '🍕', extra: 1 };
    const r = validateBatch(validate, Array.from({ length: 50 }, () => bad), ctx);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(MAX_FIELD_ERRORS);
    expect(r.totalErrors).toBe(100);
    expect(r.invalidEvents).toBe(50);
    expect(r.errors.slice(0, 2).map((e) => [e.index, e.code])).toEqual([[0, 'unknown_field'], [0, 'unknown_emoji']]);
  });
});

describe('validateBatch', () => {
  it('returns all events when every one is valid', () => {
    const r = validateBatch(validate, [good, { ...good, user_id: 'u-2' }], ctx);
    expect(r.ok && r.events.map((e) => e.user_id)).toEqual(['u-17', 'u-2']);
  });

  it('lists each bad index and field, and refuses the whole batch', () => {
    const r = validateBatch(validate, [good, { ...good, emoji_type: '🍕' }, good, { ...good, timestamp: 'x', user_id: '' }], ctx);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors.map((e) => [e.index, e.field])).toEqual([[1, 'emoji_type'], [3, 'user_id'], [3, 'timestamp']]);
  });

  it('refuses a client event_id repeated within one batch', () => {
    const r = validateBatch(validate, [{ ...good, event_id: 'a' }, { ...good, event_id: 'a' }], ctx);
    expect(!r.ok && r.errors).toEqual([expect.objectContaining({ index: 1, field: 'event_id', code: 'duplicate' })]);
  });
});
