// The one Server-Sent Events client of the tools: the tests, the simulator (scripts/simulate.ts) and the
// fan-out bench (bench/lib/sse-viewers.ts) read the stream with it. `SseParser` turns the body into events
// (fields `event`, `id`, `data`, `retry`, and comments), fed chunk by chunk; `openSse` is a client on
// node:http that keeps every event and comment it reads and can wait for more.
import http from 'node:http';
import { waitFor } from './wait.ts';

export interface SseEvent {
  /** `message` when the frame names none */
  event: string;
  id?: string;
  data: string;
}

export interface SseHandlers {
  event?: (e: SseEvent) => void;
  /** the whole comment line, colon included (`:hb`) */
  comment?: (line: string) => void;
  retry?: (ms: number) => void;
}

/**
 * Incremental parser: blocks end at a blank line; `data` lines join with `\n`; a block without data is not
 * an event. Lines end at `\n` (what this API writes). Lines that are no SSE field, such as the chunk sizes a
 * raw socket reader sees between frames, are ignored.
 */
export class SseParser {
  private buf = '';
  constructor(private readonly on: SseHandlers) {}

  push(chunk: string): void {
    let buf = this.buf.length === 0 ? chunk : this.buf + chunk;
    let from = 0;
    let i: number;
    while ((i = buf.indexOf('\n\n', from)) >= 0) {
      this.block(buf, from, i);
      from = i + 2;
    }
    this.buf = from === 0 ? buf : buf.slice(from);
  }

  /** One block: `text` from `start` to `end` (exclusive), read line by line without splitting it. */
  private block(text: string, start: number, end: number): void {
    let event = 'message';
    let id: string | undefined;
    let data: string | null = null;
    for (let at = start; at < end; ) {
      let eol = text.indexOf('\n', at);
      if (eol < 0 || eol > end) eol = end;
      if (text.charCodeAt(at) === 58 /* : */) this.on.comment?.(text.slice(at, eol));
      else {
        let c = text.indexOf(':', at);
        if (c < 0 || c > eol) c = eol;
        const vs = c === eol ? eol : text.charCodeAt(c + 1) === 32 /* space */ ? c + 2 : c + 1;
        const len = c - at;
        if (len === 4 && text.startsWith('data', at)) data = data === null ? text.slice(vs, eol) : `${data}\n${text.slice(vs, eol)}`;
        else if (len === 5 && text.startsWith('event', at)) event = text.slice(vs, eol);
        else if (len === 2 && text.startsWith('id', at)) id = text.slice(vs, eol);
        else if (len === 5 && text.startsWith('retry', at)) {
          const v = text.slice(vs, eol);
          if (/^\d+$/.test(v)) this.on.retry?.(Number(v));
        }
      }
      at = eol + 1;
    }
    if (data !== null) this.on.event?.(id === undefined ? { event, data } : { event, id, data });
  }
}

export interface SseStream {
  /** the response, once its head arrived (any status) */
  opened: Promise<http.IncomingMessage>;
  events: SseEvent[];
  comments: string[];
  readonly retry: number | null;
  readonly ended: boolean;
  /** the `event: window` events */
  windows(): SseEvent[];
  waitForWindows(n: number, timeoutMs?: number): Promise<void>;
  waitForEnd(timeoutMs?: number): Promise<void>;
  close(): void;
}

export interface OpenSseOptions {
  headers?: Record<string, string>;
  agent?: http.Agent;
  /** called per event as it arrives (the stream also keeps it) */
  onEvent?: (e: SseEvent) => void;
  /** called once: `stream ended`, `stream error`, `HTTP <status>` or the request's error */
  onEnd?: (why: string) => void;
  /** keep every event in `events` (default true; a long-running reader with `onEvent` turns it off) */
  keep?: boolean;
}

export function openSse(url: string | URL, o: OpenSseOptions = {}): SseStream {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let retry: number | null = null;
  let ended = false;
  const end = (why: string) => {
    if (ended) return;
    ended = true;
    o.onEnd?.(why);
  };
  const parser = new SseParser({
    event: (e) => {
      if (o.keep !== false) events.push(e);
      o.onEvent?.(e);
    },
    comment: (line) => comments.push(line),
    retry: (ms) => (retry = ms),
  });
  let req!: http.ClientRequest;
  const opened = new Promise<http.IncomingMessage>((resolve, reject) => {
    req = http.get(url, { agent: o.agent, headers: { accept: 'text/event-stream', ...o.headers } }, (res) => {
      resolve(res);
      res.setEncoding('utf8'); // a StringDecoder: multi-byte characters split across chunks stay whole
      if (res.statusCode !== 200) end(`HTTP ${res.statusCode}`);
      res.on('data', (chunk: string) => parser.push(chunk));
      res.on('end', () => end('stream ended'));
      res.on('error', () => end('stream error'));
    });
    req.on('error', (err) => {
      end(err.message);
      reject(err);
    });
  });
  opened.catch(() => {}); // seen through onEnd / ended by callers that do not await it
  const windows = () => events.filter((e) => e.event === 'window');
  const got = () => JSON.stringify(events.map((e) => `${e.event} ${e.id ?? ''}`));
  return {
    opened,
    events,
    comments,
    get retry() {
      return retry;
    },
    get ended() {
      return ended;
    },
    windows,
    waitForWindows: async (n, timeoutMs = 5000) => {
      await waitFor(() => `${n} windows; got ${got()}`, () => windows().length >= n, timeoutMs, 10);
    },
    waitForEnd: async (timeoutMs = 5000) => {
      await waitFor(() => `the end of the stream; got ${got()}`, () => ended, timeoutMs, 10);
    },
    close: () => req.destroy(),
  };
}
