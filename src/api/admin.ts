// The admin guard: the one middleware in front of every operational route (GET /metrics, the detail of
// GET /status, POST /faults/…, the match admin API). One rule:
//   - ADMIN_TOKEN set: the request must carry `Authorization: Bearer <ADMIN_TOKEN>` (Hono's bearerAuth,
//     compared in constant time), on any HOST;
//   - ADMIN_TOKEN unset: open when HOST is a loopback address (a newcomer can `curl` /metrics), refused with
//     403 `admin_disabled` on any other HOST (nothing operational is public by default).
// Refusals use the API's error body; 401 carries the WWW-Authenticate challenge.
import type { Context, MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { HTTPException } from 'hono/http-exception';
import type { Config } from '../config.ts';
import { ApiError } from './errors.ts';

/** 127.0.0.0/8, ::1, ::ffff:127.x and `localhost`: addresses no other machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^(?:::ffff:)?127(?:\.\d{1,3}){3}$/.test(h);
}

const refusal = (code: string, message: string) => (c: Context) => {
  c.set('errorCode', code);
  return { error: { code, message } };
};

export function adminGuard(config: Pick<Config, 'host' | 'security'>): MiddlewareHandler {
  const token = config.security.adminToken;
  if (token === null) {
    const open = isLoopbackHost(config.host);
    return async function adminGuard(_c, next) {
      if (!open) throw new ApiError(403, 'admin_disabled', 'operational routes are off on a non-loopback HOST until ADMIN_TOKEN is set');
      await next();
    };
  }
  const hint = 'send Authorization: Bearer <ADMIN_TOKEN>';
  return bearerAuth({
    token,
    realm: 'emostream-admin',
    noAuthenticationHeader: { message: refusal('unauthorized', `admin route: ${hint}`) },
    invalidAuthenticationHeader: { message: refusal('invalid_authorization', `malformed Authorization header: ${hint}`) },
    invalidToken: { message: refusal('unauthorized', `admin route: wrong token; ${hint}`) },
  });
}

/** Whether this request passes `guard`, without answering it (for routes that show more to admins). */
export async function passes(guard: MiddlewareHandler, c: Context): Promise<boolean> {
  try {
    await guard(c, async () => {});
    return true;
  } catch (err) {
    if (err instanceof ApiError || err instanceof HTTPException) return false;
    throw err;
  }
}
