// POST /v1/emoji (one event) and POST /v1/emoji/batch (an array). Contract in the README ("HTTP API") and GET /openapi.json; behaviour in
// emoji.handlers.ts. Mounted by createApp at /v1/emoji.
import { Hono } from 'hono';
import { emojiHandlers, type EmojiHandlerDeps } from './emoji.handlers.ts';

export function emojiRoutes(deps: EmojiHandlerDeps): Hono {
  const h = emojiHandlers(deps);
  return new Hono().post('/', h.postOne).post('/batch', h.postBatch);
}
