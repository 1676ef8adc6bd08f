// The bench's HTTP load generator process: autocannon 9.0.0 (pinned in package.json) driven through its
// API for closed-loop loads (as fast as the server answers), a node:http client for fixed rates and for servers
// that close every connection (see `nodeClient`), alone in a process of its own so that its CPU is measured apart from the server it loads
// (`runLoad` in loadgen.ts forks this file with plain `node`, no TypeScript loader, once per generator process:
// one autocannon process on this machine tops out below a no-op node:http server, so closed loops run in
// several, each with its share of the connections). Receives one LoadSpec over IPC, runs an optional warm-up,
// says `warm`, waits for `go` (every process starts its measured run together), then answers with the
// measured run and this process's CPU time over it (getrusage of the whole process: autocannon's own threads
// included). An autocannon run answers autocannon's raw result (encoded histograms), which loadgen.ts merges
// over the processes with autocannon.aggregateResult; the node:http client answers a finished LoadResult.
// Bodies are built ahead: a ring of 1,024 bodies (64 for batches; users lg-0…, the emoji palette) refreshed
// every 100 ms so that event timestamps stay current (Spark windows by event time); each request takes the
// next one, so building bodies costs the generator little. `spec.worker` (0…) keeps user ids apart per process.
// A spec may set the node:http client's source address (`localAddress`: another client on loopback), the
// user_id prefix (`userPrefix`), and `ackTimes` (node:http client: the result carries `ack_times`, the epoch ms at
// which each 2xx answer ended, in the order they came).
import http from 'node:http';
import autocannon from 'autocannon';

const PALETTE = ['🔥', '😀', '😡', '😂', '😮', '😢', '👏', '🏏', '🎉', '❤️'];
const RING = 1024;

function bodies(spec) {
  const per = spec.body === 'batch' ? (spec.batchSize ?? 100) : 1;
  const palette = spec.palette ?? PALETTE;
  let n = (spec.worker ?? 0) * 1_000_003;
  const ev = (ts) => {
    n++;
    return { user_id: `${spec.userPrefix ?? 'lg'}-${n % 50_000}`, emoji_type: palette[n % palette.length], timestamp: ts, match_id: spec.matchId };
  };
  const make = () => {
    const ts = Date.now();
    if (spec.body === 'empty') return '{"x":1}';
    return JSON.stringify(spec.body === 'batch' ? Array.from({ length: per }, () => ev(ts)) : ev(ts));
  };
  // batches are large: a smaller ring, a few bodies refreshed per tick (each body at most ~1.6 s old)
  const size = spec.body === 'batch' ? 64 : RING;
  const perTick = spec.body === 'batch' ? 4 : RING;
  const ring = Array.from({ length: size }, make);
  let k = 0;
  const timer = setInterval(() => {
    for (let j = 0; j < perTick; j++) ring[k++ % size] = make();
  }, 100);
  let i = 0;
  return { next: () => ring[i++ % size], stop: () => clearInterval(timer), perRequest: per };
}

function run(spec, durationMs, measured) {
  const src = bodies(spec);
  const opts = {
    url: new URL(spec.path, spec.url).href,
    connections: spec.concurrency,
    duration: durationMs / 1000,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, body: src.next() }) }],
    timeout: 15,
    excludeErrorStats: false,
    skipAggregateResult: true, // merged over the generator processes in loadgen.ts
  };
  return new Promise((resolve, reject) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    autocannon(opts, (err, res) => {
      src.stop();
      if (err) return reject(err);
      const cpu = process.cpuUsage(c0);
      const wall = performance.now() - t0;
      if (!measured) return resolve(null);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      resolve({
        autocannon: res,
        perRequest: src.perRequest,
        generator: { tool: 'autocannon 9.0.0', cpu_ms: Math.round(cpuMs), cpu_pct: +((cpuMs / wall) * 100).toFixed(1), connections: spec.concurrency },
      });
    });
  });
}

// A node:http client (keep-alive agent, at most `concurrency` requests in flight), for what autocannon does
// not do well:
//   - open loop at a fixed rate (`eventsPerSecond` > 0): autocannon's overallRate sends each second's quota
//     in a burst at the start of the second (and one quota too many at the end), which would put queueing
//     of its own into latency rows; here requests go out on a 10 ms schedule, and a request due while all
//     connections are busy is counted as skipped, never queued;
//   - servers that close the connection after every answer (`client: 'node:http'`; Flask's development
//     server and gunicorn's sync workers answer `Connection: close`): autocannon writes its next request on
//     the closing socket and waits for its timeout, so it would measure itself. Closed loop here.
function nodeClient(spec, durationMs, measured) {
  const src = bodies(spec);
  const u = new URL(spec.path, spec.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const lat = [];
  const ackTimes = [];
  const statuses = {};
  let errors = 0;
  let skipped = 0;
  let inFlight = 0;
  let sent = 0;
  const one = () => {
    const buf = Buffer.from(src.next());
    const t = performance.now();
    inFlight++;
    let finished = false;
    const done = (st) => {
      if (finished) return;
      finished = true;
      inFlight--;
      if (!open && performance.now() < end) queueMicrotask(() => inFlight < spec.concurrency && one());
      if (st < 0) errors++;
      else {
        statuses[st] = (statuses[st] ?? 0) + 1;
        lat.push(performance.now() - t);
        if (spec.ackTimes && st >= 200 && st < 300) ackTimes.push(Date.now());
      }
    };
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, localAddress: spec.localAddress, headers: { 'content-type': 'application/json', 'content-length': buf.length } },
      (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
        res.on('error', () => done(-1));
      },
    );
    req.setTimeout(15_000, () => req.destroy());
    req.on('error', () => done(-1));
    req.end(buf);
  };
  const open = spec.eventsPerSecond > 0;
  const reqPerSec = open ? spec.eventsPerSecond / src.perRequest : 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + durationMs;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      if (now < end) {
        if (!open) while (inFlight < spec.concurrency) one();
        const due = Math.floor(((now - t0) / 1000) * reqPerSec);
        while (sent < due) {
          sent++;
          if (inFlight >= spec.concurrency) skipped++;
          else one();
        }
        return;
      }
      if (inFlight > 0 && now < end + 15_000) return;
      clearInterval(timer);
      src.stop();
      agent.destroy();
      if (!measured) return resolve(null);
      const cpu = process.cpuUsage(c0);
      const wall = performance.now() - t0;
      const seconds = durationMs / 1000;
      lat.sort((a, b) => a - b);
      const q = (p) => (lat.length ? +lat[Math.min(lat.length - 1, Math.ceil(p * lat.length) - 1)].toFixed(2) : NaN);
      const ok = Object.entries(statuses).reduce((a, [st, c]) => a + (st.startsWith('2') ? c : 0), 0);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      resolve({
        seconds,
        requests: lat.length + errors,
        statuses,
        ok,
        events_ok: ok * src.perRequest,
        rps: Math.round((lat.length + errors) / seconds),
        eps: Math.round((ok * src.perRequest) / seconds),
        latency_ms: { p50: q(0.5), p99: q(0.99), max: lat.length ? +lat[lat.length - 1].toFixed(2) : NaN },
        errors,
        skipped,
        unanswered: 0, // it waits for every answer (up to 15 s after the end)
        generator: { tool: open ? 'node:http paced' : 'node:http', cpu_ms: Math.round(cpuMs), cpu_pct: +((cpuMs / wall) * 100).toFixed(1), connections: spec.concurrency },
        ...(spec.ackTimes ? { ack_times: ackTimes } : {}),
      });
    }, 10);
  });
}

process.once('message', async (spec) => {
  const drive = spec.eventsPerSecond > 0 || spec.client === 'node:http' ? nodeClient : run;
  try {
    if ((spec.warmupMs ?? 1000) > 0) await drive(spec, spec.warmupMs ?? 1000, false);
    await new Promise((go) => {
      process.once('message', go);
      process.send({ warm: true });
    });
    const result = await drive(spec, spec.durationMs, true);
    process.send({ result }, undefined, {}, () => process.exit(0));
  } catch (err) {
    process.send({ error: String(err?.stack ?? err) }, undefined, {}, () => process.exit(1));
  }
});
