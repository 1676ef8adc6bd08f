// Ingest handlers: read and validate the body, hand the events to the ingest service, answer 202 only once
// the broker has acknowledged them. Every refusal is thrown as an ApiError (or the ingest service's
// UnavailableError) and rendered by the app's onError.
import type { Context } from 'hono';
import type { Config } from '../../config.ts';
import { createEventValidator, validateBatch, type BatchValidation, type FieldError, type ValidEvent } from '../../domain/event.ts';
import { eventsAccepted } from '../../metrics/registry.ts';
import { IdempotencyConflictError, type IngestPort } from '../../ports/ingest.ts';
import type { MatchGate } from '../../matches/service.ts';
import { readJson } from '../body.ts';
import { ApiError } from '../errors.ts';
import { requireMatch } from '../match-gate.ts';
import { requireSubject, subjectMust, subjectOf, withSubject } from '../publisher-auth.ts';
import type { ApiLimits } from '../limits.ts';

export interface EmojiHandlerDeps {
  config: Pick<Config, 'ingest'>;
  ingest: IngestPort;
  now?: () => number;
  /** Rewrites a one-event body before the validator sees it (the compatibility routes: src/domain/compat.ts). */
  prepare?: (body: unknown) => unknown;
  /** The match lifecycle (MATCH_POLICY): events of a match it refuses are answered 404/409/503, never written. */
  matches?: Pick<MatchGate, 'admit'> | null;
  /** Rate limits and buffer shares (src/api/limits.ts); absent: none. */
  limits?: ApiLimits | null;
}

/** POST /v1/emoji's 202 body. */
export const oneAccepted = (event: ValidEvent) => ({ event_id: event.event_id });

const at = (e: { index?: number }) => (e.index === undefined ? '' : `[${e.index}].`);

/** One 400 for the field errors of one event (at most one per field, so a few): every reason in the message. */
function refusal(errors: FieldError[]): ApiError {
  const first = errors[0]!;
  const code = errors.length === 1 ? first.code : 'invalid_event';
  return new ApiError(400, code, errors.map((e) => e.message).join('; '), first.field, errors, undefined, errors.length);
}

/**
 * One 400 for a batch: the first MAX_FIELD_ERRORS errors in `details`, the total in `details_total`, and a
 * message naming the first reason only, so the answer stays small however many events and keys are bad.
 */
function batchRefusal(r: Extract<BatchValidation, { ok: false }>, size: number): ApiError {
  const first = r.errors[0]!;
  const code = r.totalErrors === 1 ? first.code : 'invalid_batch';
  const shown = r.errors.length < r.totalErrors ? ` (the first ${r.errors.length} in details)` : '';
  const message = `${r.invalidEvents} of ${size} events are invalid, none was written; ${r.totalErrors} error${r.totalErrors > 1 ? 's' : ''}${shown}, the first: [${first.index}] ${first.message}`;
  return new ApiError(400, code, message, `${at(first)}${first.field}`, r.errors, undefined, r.totalErrors);
}

/**
 * Charge the limits (a refusal throws before anything is submitted), then submit to the write path; a reused
 * (user_id, event_id) with another payload becomes a 409 naming the field. `address`: the client's address
 * key when the limits are on, else null.
 */
async function submit(deps: EmojiHandlerDeps, address: string | null, events: ValidEvent[], clientEventIds: boolean[], batch: boolean): Promise<void> {
  const release = address === null ? undefined : deps.limits!.ingestAt(address, events);
  try {
    await deps.ingest.submit(events, clientEventIds);
  } catch (err) {
    if (!(err instanceof IdempotencyConflictError)) throw err;
    throw new ApiError(409, 'idempotency_conflict', `${err.message}; nothing was written`, batch ? `[${err.index}].event_id` : 'event_id');
  } finally {
    release?.();
  }
}

/**
 * What accepting one event needs of its request, whether it came through Hono (a Context) or straight from
 * node:http (the POST /v1/emoji fast path, src/api/fast-emoji.ts): the one place its steps are written.
 */
export interface OneEventRequest {
  /** The client address key the rate limits charge (asked only when they are on). */
  address(): string;
  /** AUTH=jwt: the token's subject (the only user_id it may post as); else undefined. */
  readonly subject: string | undefined;
  /** The body, parsed (415/413/408/400 thrown as ApiErrors). */
  json(maxBytes: number, timeoutMs: number): Promise<unknown>;
}

const fromContext = (c: Context, limits: ApiLimits | null | undefined): OneEventRequest => ({
  address: () => limits!.addressOf(c),
  subject: c.get('publisherSubject'),
  json: (max, ms) => readJson(c, max, ms),
});

export function emojiHandlers(deps: EmojiHandlerDeps) {
  const { ingest: rules } = deps.config;
  const now = deps.now ?? Date.now;
  const validate = createEventValidator(rules);
  const prepare = deps.prepare ?? ((body: unknown) => body);
  const limits = deps.limits?.enabled ? deps.limits : null;

  /** Read, validate and submit one event; resolves once the broker acknowledged it. */
  async function accept(req: OneEventRequest): Promise<ValidEvent> {
    const t = now();
    const address = limits ? req.address() : null;
    if (address !== null) limits!.ingestEarlyAt(address);
    const body = await req.json(rules.maxBodyBytes, rules.bodyTimeoutMs);
    const r = validate(subjectOf(req.subject, prepare(body)), { now: t });
    if (!r.ok) throw refusal(r.errors);
    subjectMust(req.subject, [r.event], () => 'user_id'); // AUTH=jwt: only as the token's subject
    if (deps.matches) requireMatch(deps.matches.admit([r.event.match_id]), 'match_id', '; nothing was written');
    await submit(deps, address, [r.event], [r.clientEventId], false);
    return r.event;
  }

  const acceptOne = (c: Context) => accept(fromContext(c, limits));

  return {
    acceptOne,
    /** POST /v1/emoji's steps for any request (the fast path's entry); the 202 body is `accepted(event)`. */
    accept,

    async postOne(c: Context) {
      const event = await acceptOne(c);
      eventsAccepted.inc({ endpoint: 'single' });
      return c.json(oneAccepted(event), 202);
    },

    async postBatch(c: Context) {
      const t = now();
      const address = limits ? limits.addressOf(c) : null;
      if (address !== null) limits!.ingestEarlyAt(address);
      const body = await readJson(c, rules.maxBodyBytes, rules.bodyTimeoutMs);
      if (!Array.isArray(body)) {
        throw new ApiError(400, 'invalid_type', `a batch must be a JSON array of events, got ${body === null ? 'null' : typeof body}`, '');
      }
      if (body.length === 0) throw new ApiError(400, 'empty_batch', 'a batch must hold at least one event', '');
      if (body.length > rules.maxBatchEvents) {
        throw new ApiError(413, 'too_many_events', `a batch may hold at most ${rules.maxBatchEvents} events, got ${body.length}`, '');
      }
      const r = validateBatch(validate, body.map((e) => withSubject(c, e)), { now: t });
      if (!r.ok) throw batchRefusal(r, body.length);
      requireSubject(c, r.events, (i) => `[${i}].user_id`); // AUTH=jwt: only as the token's subject
      if (deps.matches) {
        const m = deps.matches.admit(r.events.map((e) => e.match_id));
        if (!m.ok) requireMatch(m, `[${r.events.findIndex((e) => e.match_id === m.matchId)}].match_id`, '; none of the batch was written');
      }
      await submit(deps, address, r.events, r.clientEventIds, true);
      eventsAccepted.inc({ endpoint: 'batch' }, r.events.length);
      return c.json({ accepted: r.events.length, event_ids: r.events.map((e) => e.event_id) }, 202);
    },
  };
}
