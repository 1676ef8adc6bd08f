// Fault injection for `npm run faults` only: mounted when FAULT_INJECTION=true, never by default.
// POST /faults/kafka-streams {"records": n}: the next n records Kafka Streams processes fail, each stopping
//   the client (as a bug in a stream thread would); the supervisor then replaces it.
// POST /faults/crash: an error nobody catches, thrown outside any request (the last-resort handler's case).
import { Hono } from 'hono';
import { ApiError } from '../errors.ts';

export interface FaultTargets {
  failStreamRecords(n: number): void;
}

const crash = () =>
  setTimeout(() => {
    throw new Error('injected crash (POST /faults/crash)');
  }, 50);

export function faultRoutes(targets: FaultTargets | null): Hono {
  return new Hono().post('/kafka-streams', async (c) => {
    const body = (await c.req.json().catch(() => null)) as { records?: unknown } | null;
    const n = body?.records;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1000) {
      throw new ApiError(400, 'invalid_value', 'records must be an integer from 1 to 1000', 'records');
    }
    if (!targets) throw new ApiError(404, 'not_found', 'Kafka Streams does not run in this instance');
    targets.failStreamRecords(n);
    return c.json({ injected: { 'kafka-streams': n } }, 202);
  }).post('/crash', (c) => {
    crash();
    return c.json({ injected: 'crash' }, 202);
  });
}
