// POST /emoji, and every other path in COMPAT_PATHS: clients of the original Python/Flask project, unchanged.
// The body goes through the compatibility rules (src/domain/compat.ts) and then exactly the /v1 path of
// emoji.handlers.ts (validator, refusals, broker acknowledgement); only the success answer is the original
// one: 200 {"status":"ok"}. The original has no batch shape, so there is no compatibility batch route (an
// array is refused as on POST /v1/emoji). Mounted by createApp at '/'; no paths, no routes.
import { Hono } from 'hono';
import type { Config } from '../../config.ts';
import { fromOriginal } from '../../domain/compat.ts';
import { eventsAccepted } from '../../metrics/registry.ts';
import { emojiHandlers, type EmojiHandlerDeps } from './emoji.handlers.ts';

export interface CompatRouteDeps extends Omit<EmojiHandlerDeps, 'config' | 'prepare'> {
  config: Pick<Config, 'ingest' | 'compat'>;
}

export function compatRoutes(deps: CompatRouteDeps): Hono {
  const { paths, timeZone } = deps.config.compat;
  const h = emojiHandlers({ ...deps, prepare: (body) => fromOriginal(body, { timeZone }) });
  const app = new Hono();
  for (const path of paths) {
    app.post(path, async (c) => {
      await h.acceptOne(c);
      eventsAccepted.inc({ endpoint: 'compat' });
      return c.json({ status: 'ok' }, 200);
    });
  }
  return app;
}
