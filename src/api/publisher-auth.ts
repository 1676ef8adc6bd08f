// Who may publish (AUTH): the middleware in front of the ingest routes (POST /v1/emoji, /v1/emoji/batch and
// the compatibility paths), and the check the handlers make once the body is validated.
//   off    (default) anyone may post as any user_id;
//   jwt    `Authorization: Bearer <JWT>` verified with JWT_SECRET (Hono's jwt middleware, JWT_ALG, `exp` and
//          `nbf` checked when present); the token's `sub` is the publisher: an event without user_id gets it,
//          an event whose user_id differs is refused with 403 (nothing written);
//   apikey `Authorization: Bearer <key>` among API_KEYS (Hono's bearerAuth): a trusted backend posting for
//          its users, so the body's user_id stands.
// Missing, malformed, expired or forged credentials: 401 with WWW-Authenticate, nothing read or written.
import type { Context, MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { HTTPException } from 'hono/http-exception';
import { jwt } from 'hono/jwt';
import type { Config } from '../config.ts';
import { ApiError } from './errors.ts';

declare module 'hono' {
  interface ContextVariableMap {
    /** The verified publisher's subject (AUTH=jwt): the only user_id this request may post as. */
    publisherSubject: string;
  }
}

const REALM = 'emostream';
const unauthorized = (message: string, challenge: string) =>
  new ApiError(401, 'unauthorized', message, 'Authorization', undefined, { 'WWW-Authenticate': challenge });

export function publisherAuth(config: Pick<Config, 'security'>): MiddlewareHandler {
  const { auth, jwtSecret, jwtAlg, apiKeys } = config.security;
  if (auth === 'apikey') {
    const guard = bearerAuth({ token: apiKeys, realm: REALM });
    return async function publisherApiKey(c, next) {
      try {
        await guard(c, async () => {});
      } catch (err) {
        if (err instanceof HTTPException) throw unauthorized('send Authorization: Bearer <API key>', `Bearer realm="${REALM}"`);
        throw err;
      }
      await next();
    };
  }
  if (auth === 'jwt') {
    const verify = jwt({ secret: jwtSecret!, alg: jwtAlg, realm: REALM });
    return async function publisherJwt(c, next) {
      try {
        await verify(c, async () => {});
      } catch (err) {
        if (!(err instanceof HTTPException)) throw err;
        const why = c.req.header('authorization') ? 'the token is malformed, expired or not signed by this service' : 'send Authorization: Bearer <JWT>';
        throw unauthorized(why, `Bearer realm="${REALM}", error="invalid_token"`);
      }
      const sub = (c.get('jwtPayload') as { sub?: unknown } | undefined)?.sub;
      if (typeof sub !== 'string' || sub.length === 0 || sub.length > 128) {
        throw unauthorized('the token has no subject (sub) naming the user', `Bearer realm="${REALM}", error="invalid_token"`);
      }
      c.set('publisherSubject', sub);
      await next();
    };
  }
  return async function publisherOpen(_c, next) {
    await next();
  };
}

/** AUTH=jwt: an event object without user_id takes the token's subject (before validation). */
export function withSubject(c: Context, body: unknown): unknown {
  return subjectOf(c.get('publisherSubject'), body);
}

/** withSubject for a subject already read (undefined: no token, the body as it is). */
export function subjectOf(sub: string | undefined, body: unknown): unknown {
  if (sub === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  return 'user_id' in body ? body : { ...body, user_id: sub };
}

/** AUTH=jwt: every validated event must be the subject's own; else 403 naming the first foreign one. */
export function requireSubject(c: Context, events: { user_id: string }[], field: (i: number) => string): void {
  subjectMust(c.get('publisherSubject'), events, field);
}

/** requireSubject for a subject already read. */
export function subjectMust(sub: string | undefined, events: { user_id: string }[], field: (i: number) => string): void {
  if (sub === undefined) return;
  const i = events.findIndex((e) => e.user_id !== sub);
  if (i >= 0) throw new ApiError(403, 'user_id_mismatch', "user_id differs from the token's subject; nothing was written", field(i));
}
