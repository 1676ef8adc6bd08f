// The API's id formats, one definition each: the validators (src/domain/event.ts, the routes) and the
// OpenAPI document (src/api/routes/openapi.*) all read them from here.
import { randomUUID } from 'node:crypto';

const ID_CHARS = 'A-Za-z0-9._'; // and `-`, written last in each class so it stays a literal

/** A match id: 1–64 characters of A–Z a–z 0–9 . _ - (also a cluster id's shape). */
export const MATCH_ID_PATTERN = `^[${ID_CHARS}-]{1,64}$`;
export const MATCH_ID_RE = new RegExp(MATCH_ID_PATTERN);
export const CLUSTER_ID_RE = new RegExp(`^[${ID_CHARS}-]{1,64}$`);
export const SUBSCRIPTION_ID_RE = new RegExp(`^[${ID_CHARS}-]{1,128}$`);
/** An event id: as a match id, plus `:`. */
export const EVENT_ID_PATTERN = `^[${ID_CHARS}:-]{1,64}$`;
export const EVENT_ID_RE = new RegExp(EVENT_ID_PATTERN);

/** A new API instance id (EmoStream-Instance, the ticks' `instance`): `i-` or `w<worker>-`, then 8 hex digits. */
export const newInstanceId = (worker: number | null): string => `${worker === null ? 'i' : `w${worker}`}-${randomUUID().slice(0, 8)}`;
