// Reading a JSON request body on the hot path: content type checked first (415), the size limit enforced
// while reading, before anything is parsed (413), a deadline on receiving it (408, and the connection is
// closed: a slow or stalled upload holds no socket and no memory past it), chunks collected as Buffers and
// decoded once (decoding chunk by chunk would split multi-byte emojis), invalid UTF-8 and malformed JSON
// refused (400).
// A body that arrived with its headers (one small event) is read at once, without listeners or a timer per
// request: the middlewares and the handler run synchronously inside Node's headers callback, before the
// parser has pushed the body, so readJson yields one microtask, by which time Node has buffered what came in
// the same read; a body still on its way is read from the stream as before.
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { ApiError } from './errors.ts';

const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json\s*(?:;|$)/i;

// `connection: close`: the server does not read (drain) the rest of an oversized body to keep the connection;
// it answers and closes it (Node ends the socket once the 413 is written).
const tooLarge = (max: number) =>
  new ApiError(413, 'body_too_large', `the request body is larger than ${max} bytes`, undefined, undefined, { connection: 'close' });
const tooSlow = (ms: number) =>
  new ApiError(408, 'body_timeout', `the request body was not received within ${ms} ms; send it faster or in smaller batches`, undefined, undefined, {
    connection: 'close',
  });

/**
 * The body when it has all arrived (the request is complete, or its Content-Length bytes are buffered) and
 * nothing has read it yet (413 past `max`), else null.
 */
export function readArrived(req: IncomingMessage, max: number): Buffer | null {
  if (req.readableFlowing !== null || req.readableEnded) return null;
  if (!req.complete && req.readableLength !== Number(req.headers['content-length'])) return null;
  if (req.readableLength > max) {
    req.resume(); // discard it; the 413 is written and the connection closed
    throw tooLarge(max);
  }
  const buf = (req.read() as Buffer | null) ?? Buffer.alloc(0);
  // flowing from here, so the stream ends (readableEnded) once Node has parsed the end of the request;
  // @hono/node-server arms timers to drain a request that has not ended when its response closes
  req.resume();
  return buf;
}

function readIncoming(req: IncomingMessage, max: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const timer = setTimeout(() => {
      cleanup();
      reject(tooSlow(timeoutMs));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > max) {
        cleanup();
        req.resume(); // discard what arrives until the 413 is written and the connection closed
        reject(tooLarge(max));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new ApiError(400, 'body_unreadable', `the request body could not be read: ${err.message}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

async function readWeb(body: ReadableStream<Uint8Array> | null, max: number, timeoutMs: number): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(tooSlow(timeoutMs)), timeoutMs);
  });
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), expired]);
      if (done) break;
      total += value.byteLength;
      if (total > max) throw tooLarge(max);
      chunks.push(value);
    }
  } catch (err) {
    void reader.cancel().catch(() => {});
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Parse the body as JSON within `maxBytes`, received within `timeoutMs` of this call, or throw the ApiError
 * that says why not.
 */
export async function readJson(c: Context, maxBytes: number, timeoutMs = 10_000): Promise<unknown> {
  requireJsonHead(c.req.header('content-type'), c.req.header('content-length'), maxBytes);
  // On @hono/node-server read the Node stream itself (no web-stream wrapping); elsewhere (app.request in
  // tests) the standard Request body.
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming || typeof incoming.on !== 'function') return parseJsonBody(await readWeb(c.req.raw.body, maxBytes, timeoutMs));
  return readNodeJson(incoming, maxBytes, timeoutMs);
}

/** The checks made before a body is read: its Content-Type (415) and declared Content-Length (413). */
export function requireJsonHead(type: string | undefined | null, declared: string | undefined | null, maxBytes: number): void {
  if (!type || !JSON_TYPE.test(type)) {
    throw new ApiError(415, 'unsupported_media_type', `Content-Type must be application/json, got ${type ? JSON.stringify(type) : 'none'}`, 'content-type');
  }
  if (declared != null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
}

/** A node:http request's body parsed as JSON (after requireJsonHead). */
export async function readNodeJson(incoming: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<unknown> {
  await null; // see the top of this file
  return parseJsonBody(readArrived(incoming, maxBytes) ?? (await readIncoming(incoming, maxBytes, timeoutMs)));
}

const DRAIN_TIMEOUT_MS = 500;
const DRAIN_MAX_BYTES = 64 * 1024 * 1024;

/**
 * A request body nobody read, once its answer is written: read and dropped for at most 500 ms and 64 MiB,
 * then the connection is closed (what @hono/node-server does for the routes it serves; the POST /v1/emoji
 * fast path does the same for the requests it refuses before reading them).
 */
export function drainUnread(req: IncomingMessage): void {
  if (req.destroyed || req.readableEnded) return;
  let bytes = 0;
  const cleanup = () => {
    clearTimeout(timer);
    req.off('data', onData);
    req.off('end', cleanup);
    req.off('error', cleanup);
  };
  const close = () => {
    cleanup();
    if (req.socket && !req.socket.destroyed) req.socket.destroySoon();
  };
  const timer = setTimeout(close, DRAIN_TIMEOUT_MS);
  timer.unref();
  const onData = (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > DRAIN_MAX_BYTES) close();
  };
  req.on('data', onData);
  req.on('end', cleanup);
  req.on('error', cleanup);
  req.resume();
}

/** UTF-8 (a leading byte-order mark dropped, as TextDecoder does) parsed as JSON, or the 400 that says why not. */
export function parseJsonBody(buf: Buffer): unknown {
  if (!isUtf8(buf)) throw new ApiError(400, 'invalid_encoding', 'the request body is not valid UTF-8');
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new ApiError(400, 'malformed_json', 'the request body is empty; expected JSON');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'malformed_json', `the request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}
