// The fault suite's load client: sends events with unique client event_ids at a steady rate and records
// every answer (202, 4xx, 503, reset/timeout) per id in a ledger (Jepsen's way: every operation and its
// outcome is kept, then the final state is checked against it, see check.ts). Optionally it retries every
// non-202 with the same event_id, as a careful client would.
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export type Answer = number | 'reset' | 'timeout';

export interface LedgerEntry {
  id: string;
  emoji: string;
  answers: Answer[];
  /** The exact body sent (a retry sends the same bytes: same event_id, same payload). */
  body?: object;
}

export interface LoadOptions {
  /** API base URL (a function: the API may come back elsewhere... or at the same address after a restart). */
  url: () => string;
  match: string;
  ratePerS: number;
  emojis: string[];
  /** Retry every answer but 202 and definite refusals (4xx other than 408/429) with the same event_id. */
  retry?: boolean;
  /** Give up retrying an id this long after the load stopped (ms). */
  retryGraceMs?: number;
  requestTimeoutMs?: number;
  idPrefix: string;
}

/** A 202 was seen: the event is in Kafka and must be counted exactly once. */
export const accepted = (e: LedgerEntry) => e.answers.includes(202);
/** A definite refusal (4xx): nothing was written. */
export const isRefusal = (a: Answer) => typeof a === 'number' && a >= 400 && a < 500 && a !== 408 && a !== 429;
/** Never a 202, and some answer left the outcome open (503, 5xx, 408, 429, reset, timeout): counted at most once. */
export const unknown = (e: LedgerEntry) => !accepted(e) && e.answers.some((a) => !isRefusal(a));

/** POST one event; never throws: network failures are answers too. */
export function postEvent(base: string, body: object, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    const data = Buffer.from(JSON.stringify(body));
    const u = new URL('/v1/emoji', base);
    const req = request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': data.length }, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve('reset'));
      },
    );
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve('timeout');
    });
    req.on('error', () => resolve('reset'));
    req.end(data);
  });
}

export interface LoadClient {
  readonly ledger: Map<string, LedgerEntry>;
  /** Stop sending new ids; resolves when every request (and retry) has its final answer. */
  stop(): Promise<void>;
  /** Record an answer for an id sent by someone else (e.g. a slow upload). */
  record(id: string, emoji: string, a: Answer): void;
  /** Send one more copy of an id (same event_id and payload) and record its answer. */
  resend(id: string): Promise<Answer>;
}


export function startLoad(o: LoadOptions): LoadClient {
  const ledger = new Map<string, LedgerEntry>();
  const inFlight = new Set<Promise<void>>();
  const timeoutMs = o.requestTimeoutMs ?? 15_000;
  let stopping = false;
  let stoppedAt = 0;
  let n = 0;
  const bodyOf = (e: LedgerEntry) =>
    (e.body ??= { event_id: e.id, user_id: `u-${ledger.size % 50}`, emoji_type: e.emoji, timestamp: Date.now(), match_id: o.match });

  const send = async (e: LedgerEntry) => {
    for (let attempt = 0; ; attempt++) {
      const a = await postEvent(o.url(), bodyOf(e), timeoutMs);
      e.answers.push(a);
      if (a === 202 || !o.retry || isRefusal(a)) return;
      if (stopping && Date.now() - stoppedAt > (o.retryGraceMs ?? 60_000)) return;
      await sleep(Math.min(2000, 200 * 2 ** Math.min(attempt, 4)));
    }
  };
  const track = (p: Promise<void>) => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  const t0 = Date.now();
  const timer = setInterval(() => {
    // keep the long-run rate: send as many as are due since t0
    const due = Math.floor(((Date.now() - t0) / 1000) * o.ratePerS);
    while (n < due && !stopping) {
      const e: LedgerEntry = { id: `${o.idPrefix}-${n}`, emoji: o.emojis[n % o.emojis.length]!, answers: [] };
      n++;
      ledger.set(e.id, e);
      track(send(e));
    }
  }, 20);

  return {
    ledger,
    async stop() {
      stopping = true;
      stoppedAt = Date.now();
      clearInterval(timer);
      while (inFlight.size) await Promise.all([...inFlight]);
    },
    record(id, emoji, a) {
      const e = ledger.get(id) ?? { id, emoji, answers: [] };
      e.answers.push(a);
      ledger.set(id, e);
    },
    async resend(id) {
      const e = ledger.get(id);
      if (!e) throw new Error(`unknown id ${id}`);
      const a = await postEvent(o.url(), bodyOf(e), timeoutMs);
      e.answers.push(a);
      return a;
    },
  };
}
