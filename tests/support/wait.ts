// One way to wait, for the tests, the simulator and the bench. (To pause, `setTimeout as sleep` from
// node:timers/promises.) `waitFor` polls a check until it returns something truthy and returns that; a check
// that throws counts as "not yet", and its last error is named if the deadline passes.
import { setTimeout as sleep } from 'node:timers/promises';

type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

export async function waitFor<T>(what: string | (() => string), check: () => T | Promise<T>, timeoutMs = 20_000, everyMs = 50): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as Truthy<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const name = typeof what === 'string' ? what : what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${name}${last ? `: ${String(last)}` : ''}`);
    }
    await sleep(everyMs);
  }
}

/** Poll GET `url` until it answers 200 (e.g. `${base}/status`: every part reports in); returns the body. */
export async function waitForOk(url: string, timeoutMs: number, everyMs = 500): Promise<string> {
  let last = '';
  return waitFor(
    () => `GET ${url} → 200 (last: ${last || 'no answer'})`,
    async () => {
      const r = await fetch(url);
      last = await r.text();
      return r.status === 200 && last;
    },
    timeoutMs,
    everyMs,
  );
}
