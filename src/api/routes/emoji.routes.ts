// POST /v1/emoji (one event) and POST /v1/emoji/batch (an array). Contract in the README ("HTTP API") and GET /openapi.json; behaviour in
// emoji.handlers.ts. Mounted by createApp at /v1/emoji.
import { Hono } from 'hono';
import type { emojiHandlers } from './emoji.handlers.ts';

/** The routes over the app's handlers (createApp makes them once: the fast path shares them). */
export function emojiRoutes(h: ReturnType<typeof emojiHandlers>): Hono {
  return new Hono().post('/', h.postOne).post('/batch', h.postBatch);
}
