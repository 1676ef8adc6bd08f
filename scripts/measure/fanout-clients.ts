// Load clients for scripts/measure/fanout-bench.ts, in a process of their own (forked with IPC). Each viewer
// POSTs /v1/subscriptions, then opens its stream_url from one of several 127.0.0.x source addresses (one
// address runs out of ephemeral ports near 28k connections). It records when each window id arrives, and
// at the end turns arrivals into latencies against the publish times the parent sends. Loopback only.
import http from 'node:http';
import net from 'node:net';

interface Start {
  type: 'start';
  base: string;
  viewers: number;
  sourceAddresses: number;
  match: string;
  connectConcurrency: number;
}
interface Finish {
  type: 'finish';
  published: Record<string, number>;
}

const now = () => performance.timeOrigin + performance.now();
const arrivals = new Map<string, number[]>();
let connected = 0;
let failed = 0;
let closedEarly = 0;
const sockets: net.Socket[] = [];
const postAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function subscribe(base: string, match: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ match_id: match });
    const req = http.request(`${base}/v1/subscriptions`, { method: 'POST', agent: postAgent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => (res.statusCode === 201 ? resolve(JSON.parse(text).stream_url) : reject(new Error(`POST ${res.statusCode}: ${text}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A stream read on a raw socket: the request is written by hand and the bytes are only scanned for `id: `
 * lines (no HTTP parser per chunk), so that the client process, not the server, is the cheap side.
 */
function open(base: string, path: string, localAddress: string): Promise<void> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: u.hostname, port: Number(u.port), localAddress });
    sockets.push(sock);
    let head = true;
    let rest = '';
    sock.setEncoding('utf8');
    sock.once('connect', () => sock.write(`GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\nAccept: text/event-stream\r\n\r\n`));
    sock.on('error', (err) => (head ? reject(err) : undefined));
    sock.on('close', () => closedEarly++);
    sock.on('data', (chunk: string) => {
      const t = now();
      if (head) {
        const i = chunk.indexOf('\r\n\r\n');
        if (!chunk.startsWith('HTTP/1.1 200')) return reject(new Error(`stream: ${chunk.slice(0, 40)}`));
        head = false;
        resolve();
        chunk = chunk.slice(i + 4);
      }
      // Frames may be split across reads: keep the tail after the last complete line.
      rest += chunk;
      let from = 0;
      for (;;) {
        const i = rest.indexOf('\nid: ', from);
        const j = rest.startsWith('id: ', from) && from === 0 ? 0 : -1;
        const at = j === 0 ? 0 : i < 0 ? -1 : i + 1;
        if (at < 0) break;
        const eol = rest.indexOf('\n', at + 4);
        if (eol < 0) break;
        const id = rest.slice(at + 4, eol);
        let a = arrivals.get(id);
        if (!a) arrivals.set(id, (a = []));
        a.push(t);
        from = eol;
      }
      const keep = rest.lastIndexOf('\n');
      rest = keep >= from ? rest.slice(keep) : rest.slice(from);
    });
  });
}

async function start(m: Start) {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= m.viewers) return;
      try {
        const url = await subscribe(m.base, m.match);
        await open(m.base, url, `127.0.0.${2 + (i % m.sourceAddresses)}`);
        connected++;
      } catch (err) {
        failed++;
        if (failed <= 3) process.stderr.write(`viewer ${i}: ${err instanceof Error ? err.message : String(err)}\n`);
      }
      if ((connected + failed) % 1000 === 0) process.send!({ type: 'progress', connected, failed });
    }
  };
  await Promise.all(Array.from({ length: m.connectConcurrency }, worker));
  process.send!({ type: 'ready', connected, failed });
}

function finish(m: Finish) {
  const lat: number[] = [];
  let delivered = 0;
  for (const [id, t0] of Object.entries(m.published)) {
    for (const t of arrivals.get(id) ?? []) {
      lat.push(t - t0);
      delivered++;
    }
  }
  lat.sort((a, b) => a - b);
  const q = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]! : NaN);
  const cpu = process.cpuUsage();
  process.send!({
    type: 'result',
    connected,
    failed,
    closedEarly,
    delivered,
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    max: lat.at(-1) ?? NaN,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
  });
  for (const s of sockets) s.destroy();
  postAgent.destroy();
  setTimeout(() => process.exit(0), 200).unref();
}

process.on('message', (m: Start | Finish) => {
  if (m.type === 'start') void start(m);
  else if (m.type === 'finish') finish(m);
});
process.on('disconnect', () => process.exit(0));
