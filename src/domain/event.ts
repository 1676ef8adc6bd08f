// The ingest contract for one emoji event (README, "HTTP API"): pure validation and normalization,
// no I/O. The clock (`now`) and the id generator come in as arguments, so tests never sleep. `received_at` is
// not the validator's: the write path stamps it when it admits the event (src/kafka/producer.ts).
// Hand-written rather than zod: every refusal must name the field and the reason, and this runs once per
// event on the hot path.
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.ts';
import { EVENT_ID_RE, MATCH_ID_RE } from './ids.ts';

/** The value written to `emoji-events` (key = user_id). */
export interface EmojiEvent {
  event_id: string;
  user_id: string;
  emoji_type: string;
  /** ISO-8601 UTC with milliseconds, normalized from ISO or epoch ms. */
  timestamp: string;
  match_id: string;
  /**
   * When the API admitted the event to its write path (same for every event of one request), from a
   * monotonic clock anchored to wall time: admission order is time order within an instance.
   */
  received_at: string;
}

/** A validated event, before the write path admits it and stamps `received_at`. */
export type ValidEvent = Omit<EmojiEvent, 'received_at'>;

export type FieldErrorCode =
  | 'invalid_type'
  | 'required'
  | 'too_long'
  | 'invalid_format'
  | 'unknown_emoji'
  | 'not_single_emoji'
  | 'timestamp_skew'
  | 'unknown_field'
  | 'duplicate';

export interface FieldError {
  field: string;
  code: FieldErrorCode;
  message: string;
}

export type EventValidation =
  | { ok: true; event: ValidEvent; /** true when the client sent its own event_id (idempotency key). */ clientEventId: boolean }
  | { ok: false; errors: FieldError[] };

export interface ValidationContext {
  /** Server clock in epoch ms (for the skew check). */
  now: number;
  newId?: () => string;
}

export type IngestRules = Pick<Config['ingest'], 'palette' | 'defaultMatchId' | 'timestampSkewMs'>;

const KNOWN_FIELDS = new Set(['user_id', 'emoji_type', 'timestamp', 'match_id', 'event_id']);
/** Unknown keys named in the one unknown_field error of an object (the rest are counted). */
const UNKNOWN_NAMED = 3;
// Printable: no control, format, surrogate, private-use or unassigned code points (\p{C}); 1–128 code points.
const USER_ID_RE = /^[^\p{C}]{1,128}$/u;
// Date.parse alone accepts "2026" or "Nov 28"; require a full date-time with an explicit zone.
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;
const VS16 = /\uFE0F/g;
const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`);
const quote = (s: string, max = 40): string => JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);

/**
 * Build the validator for one configuration. Palette lookups accept an emoji with or without the
 * variation selector U+FE0F (clients differ), and always store the palette's own spelling.
 */
export function createEventValidator(rules: IngestRules) {
  const palette = new Map<string, string>();
  for (const p of rules.palette) {
    palette.set(p, p);
    palette.set(p.replace(VS16, ''), p);
  }
  const paletteList = rules.palette.join(' ');
  // The last normalized timestamp: the events of one batch (and of one busy millisecond) share it, and
  // toISOString was a few per cent of the ingest path's CPU (bench/components/top-frames.ts).
  let lastMs = NaN;
  let lastIso = '';
  const iso = (ms: number): string => (ms === lastMs ? lastIso : ((lastMs = ms), (lastIso = new Date(ms).toISOString())));
  const skew = rules.timestampSkewMs;

  function emoji(v: unknown, errors: FieldError[]): string | undefined {
    if (v === undefined) {
      errors.push({ field: 'emoji_type', code: 'required', message: `emoji_type is required (one of: ${paletteList})` });
      return undefined;
    }
    if (typeof v !== 'string') {
      errors.push({ field: 'emoji_type', code: 'invalid_type', message: `emoji_type must be a string, got ${describe(v)}` });
      return undefined;
    }
    const hit = palette.get(v) ?? palette.get(v.replace(VS16, ''));
    if (hit !== undefined) return hit;
    let graphemes = 0;
    for (const _ of segmenter.segment(v)) if (++graphemes > 1) break;
    if (graphemes !== 1) {
      errors.push({
        field: 'emoji_type',
        code: 'not_single_emoji',
        message: `emoji_type must be exactly one emoji from the palette, got ${graphemes === 0 ? 'an empty string' : quote(v)}; palette: ${paletteList}`,
      });
    } else {
      errors.push({ field: 'emoji_type', code: 'unknown_emoji', message: `emoji_type ${quote(v)} is not in the palette: ${paletteList}` });
    }
    return undefined;
  }

  function timestamp(v: unknown, now: number, errors: FieldError[]): string | undefined {
    let ms: number;
    if (v === undefined) {
      errors.push({ field: 'timestamp', code: 'required', message: 'timestamp is required (ISO-8601 or epoch milliseconds)' });
      return undefined;
    }
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v) || v < 0) {
        errors.push({ field: 'timestamp', code: 'invalid_format', message: `timestamp as a number must be whole epoch milliseconds, got ${v}` });
        return undefined;
      }
      ms = v;
    } else if (typeof v === 'string') {
      ms = ISO_RE.test(v) ? Date.parse(v) : NaN;
      if (Number.isNaN(ms)) {
        errors.push({ field: 'timestamp', code: 'invalid_format', message: `timestamp ${quote(v)} is not an ISO-8601 date-time with a zone (e.g. 2026-11-28T15:00:01.250Z)` });
        return undefined;
      }
    } else {
      errors.push({ field: 'timestamp', code: 'invalid_type', message: `timestamp must be an ISO-8601 string or epoch milliseconds, got ${describe(v)}` });
      return undefined;
    }
    const off = ms - now;
    if (off > skew || off < -skew) {
      errors.push({
        field: 'timestamp',
        code: 'timestamp_skew',
        message: `timestamp is ${Math.abs(off)} ms ${off > 0 ? 'ahead of' : 'behind'} the server clock; at most ${skew} ms is allowed`,
      });
      return undefined;
    }
    return iso(ms);
  }

  function pattern(field: string, v: unknown, re: RegExp, rule: string, errors: FieldError[]): string | undefined {
    if (typeof v !== 'string') {
      errors.push({ field, code: 'invalid_type', message: `${field} must be a string, got ${describe(v)}` });
      return undefined;
    }
    if (!re.test(v)) {
      errors.push({ field, code: 'invalid_format', message: `${field} ${quote(v)} is invalid: ${rule}` });
      return undefined;
    }
    return v;
  }

  return function validateEvent(raw: unknown, ctx: ValidationContext): EventValidation {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return { ok: false, errors: [{ field: '', code: 'invalid_type', message: `an event must be a JSON object, got ${describe(raw)}` }] };
    }
    const o = raw as Record<string, unknown>;
    const errors: FieldError[] = [];
    // Unknown keys: one error per object, however many there are (a hostile body may carry thousands).
    let unknown = 0;
    const named: string[] = [];
    for (const k in o) {
      if (KNOWN_FIELDS.has(k)) continue;
      if (++unknown <= UNKNOWN_NAMED) named.push(k);
    }
    if (unknown > 0) {
      const list = named.map((k) => quote(k)).join(', ') + (unknown > named.length ? ` and ${unknown - named.length} more` : '');
      errors.push({
        field: named[0]!.length > 40 ? `${named[0]!.slice(0, 40)}…` : named[0]!,
        code: 'unknown_field',
        message: `unknown field${unknown > 1 ? 's' : ''} ${list}; allowed: user_id, emoji_type, timestamp, match_id, event_id`,
      });
    }

    let userId: string | undefined;
    if (o.user_id === undefined) {
      errors.push({ field: 'user_id', code: 'required', message: 'user_id is required' });
    } else if (typeof o.user_id !== 'string') {
      errors.push({ field: 'user_id', code: 'invalid_type', message: `user_id must be a string, got ${describe(o.user_id)}` });
    } else if (USER_ID_RE.test(o.user_id) && o.user_id.trim() !== '') {
      userId = o.user_id;
    } else if ([...o.user_id].length > 128) {
      errors.push({ field: 'user_id', code: 'too_long', message: `user_id must be at most 128 characters, got ${[...o.user_id].length}` });
    } else {
      errors.push({ field: 'user_id', code: 'invalid_format', message: 'user_id must be 1–128 printable characters (no control characters, not blank)' });
    }

    const emojiType = emoji(o.emoji_type, errors);
    const ts = timestamp(o.timestamp, ctx.now, errors);
    const matchId =
      o.match_id === undefined ? rules.defaultMatchId : pattern('match_id', o.match_id, MATCH_ID_RE, '1–64 characters of A-Z a-z 0-9 . _ -', errors);
    const clientEventId = o.event_id !== undefined;
    const eventId = clientEventId
      ? pattern('event_id', o.event_id, EVENT_ID_RE, '1–64 characters of A-Z a-z 0-9 . _ : -', errors)
      : undefined;

    if (errors.length > 0) return { ok: false, errors };
    return {
      ok: true,
      clientEventId,
      event: {
        event_id: eventId ?? (ctx.newId ?? randomUUID)(),
        user_id: userId!,
        emoji_type: emojiType!,
        timestamp: ts!,
        match_id: matchId!,
      },
    };
  };
}

export type EventValidator = ReturnType<typeof createEventValidator>;

/** A refusal for one element of a batch. */
export interface BatchFieldError extends FieldError {
  index: number;
}

/** Field errors kept per request: a refusal stays small however hostile the body (the total is counted). */
export const MAX_FIELD_ERRORS = 20;

export type BatchValidation =
  | { ok: true; events: ValidEvent[]; clientEventIds: boolean[] }
  | {
      ok: false;
      /** The first MAX_FIELD_ERRORS errors, in index order. */
      errors: BatchFieldError[];
      /** Every error found, and the number of events with at least one. */
      totalErrors: number;
      invalidEvents: number;
    };

/** Validate every element; any error refuses the whole batch. Client event_ids must be unique within it. */
export function validateBatch(validate: EventValidator, items: unknown[], ctx: ValidationContext): BatchValidation {
  const events: ValidEvent[] = [];
  const clientEventIds: boolean[] = [];
  const errors: BatchFieldError[] = [];
  let totalErrors = 0;
  let invalidEvents = 0;
  const keep = (e: BatchFieldError) => {
    totalErrors++;
    if (errors.length < MAX_FIELD_ERRORS) errors.push(e);
  };
  const seen = new Map<string, number>();
  for (let i = 0; i < items.length; i++) {
    const r = validate(items[i], ctx);
    if (!r.ok) {
      invalidEvents++;
      for (const e of r.errors) keep({ index: i, ...e });
      continue;
    }
    if (r.clientEventId) {
      const first = seen.get(r.event.event_id);
      if (first !== undefined) {
        invalidEvents++;
        keep({ index: i, field: 'event_id', code: 'duplicate', message: `event_id ${quote(r.event.event_id)} repeats the one at index ${first}` });
        continue;
      }
      seen.set(r.event.event_id, i);
    }
    events.push(r.event);
    clientEventIds.push(r.clientEventId);
  }
  return totalErrors > 0 ? { ok: false, errors, totalErrors, invalidEvents } : { ok: true, events, clientEventIds };
}
