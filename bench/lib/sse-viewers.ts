// SSE viewers for the fan-out benchmark, in a CHILD PROCESS of their own (`startViewers` forks this file).
// Each viewer optionally registers (POST /v1/subscriptions → stream_url) and then reads its stream on a raw
// socket from one of several 127.0.0.x source addresses (one address runs out of ephemeral ports near 28k
// connections), parsed with the tools' one SSE parser (tests/support/sse-client.ts; ~1 µs per frame). At the
// end, arrival times per window id go back to the parent. Loopback only; bounded by the parent.
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { SseParser } from '../../tests/support/sse-client.ts';

export interface ViewerSpec {
  base: string;
  viewers: number;
  /** 'subscribe': POST /v1/subscriptions first; 'plain': GET `path` directly */
  mode: 'subscribe' | 'plain';
  path?: string;
  match: string;
  /** source addresses 127.0.0.<first>..<first+count-1> */
  firstAddress: number;
  addresses: number;
  connectConcurrency: number;
}

export interface ViewerReport {
  connected: number;
  failed: number;
  /** connects that failed and were tried again (each viewer tries at most CONNECT_ATTEMPTS times) */
  retried: number;
  closedEarly: number;
  /** window id → arrival times (epoch ms, fractional) at this process's viewers */
  arrivals: Record<string, number[]>;
  cpuMs: number;
}

/**
 * The clock of arrival times and of the publish times they are compared with, in whichever process: the wall
 * clock read at that moment. Not `performance.timeOrigin + performance.now()`: timeOrigin is fixed when a
 * process starts, and this machine's wall clock is slewed against the monotonic one (0.5% measured), so
 * processes started minutes apart disagreed by seconds (a fan-out run read 44 s for deliveries of ~50 ms).
 */
export const wallClock = (): number => Date.now();
const now = wallClock;
const CONNECT_ATTEMPTS = 3;

async function runViewers(spec: ViewerSpec, onReady: (c: number, f: number) => void, waitFinish: Promise<void>): Promise<ViewerReport> {
  const arrivals = new Map<string, number[]>();
  const sockets: net.Socket[] = [];
  let connected = 0;
  let failed = 0;
  let closedEarly = 0;
  let retried = 0;
  let finishing = false;
  const u = new URL(spec.base);
  const postAgent = new http.Agent({ keepAlive: true, maxSockets: 32 });

  const subscribe = () =>
    new Promise<string>((resolve, reject) => {
      const body = JSON.stringify({ match_id: spec.match });
      const req = http.request(`${spec.base}/v1/subscriptions`, { method: 'POST', agent: postAgent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => (res.statusCode === 201 ? resolve(JSON.parse(text).stream_url) : reject(new Error(`POST /v1/subscriptions ${res.statusCode}: ${text.slice(0, 120)}`))));
      });
      req.on('error', reject);
      req.end(body);
    });

  const open = (path: string, localAddress: string) =>
    new Promise<void>((resolve, reject) => {
      const sock = net.connect({ host: u.hostname, port: Number(u.port), localAddress });
      sockets.push(sock);
      let head = true;
      let arrivedAt = 0;
      // chunk-size lines of the chunked encoding sit between frames here: the parser skips them
      const parser = new SseParser({
        event: (e) => {
          if (e.id === undefined) return;
          let a = arrivals.get(e.id);
          if (!a) arrivals.set(e.id, (a = []));
          a.push(arrivedAt);
        },
      });
      sock.setEncoding('utf8');
      sock.once('connect', () => sock.write(`GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\nAccept: text/event-stream\r\n\r\n`));
      sock.on('error', (err) => (head ? reject(err) : undefined));
      sock.on('close', () => {
        if (!finishing && !head) closedEarly++; // a stream that was open (a failed connect is counted as failed)
        // closed before any answer: a server over its connection cap (server.maxConnections) closes at once
        if (head) reject(new Error('stream: closed before an answer'));
      });
      sock.on('data', (chunk: string) => {
        const t = now();
        if (head) {
          if (!chunk.startsWith('HTTP/1.1 200')) {
            sock.destroy(); // a refusal (503 over the stream cap): the next attempt is a new connection
            return reject(new Error(`stream: ${chunk.slice(0, 60)}`));
          }
          const i = chunk.indexOf('\r\n\r\n');
          head = false;
          resolve();
          chunk = i >= 0 ? chunk.slice(i + 4) : '';
        }
        arrivedAt = t;
        parser.push(chunk);
      });
    });

  let next = 0;
  await Promise.all(
    Array.from({ length: spec.connectConcurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= spec.viewers) return;
        // a viewer whose connect fails tries again, as an EventSource would (at most CONNECT_ATTEMPTS in all)
        for (let attempt = 1; ; attempt++) {
          try {
            const path = spec.mode === 'subscribe' ? await subscribe() : (spec.path ?? '/stream');
            await open(path, `127.0.0.${spec.firstAddress + (i % spec.addresses)}`);
            connected++;
            break;
          } catch (err) {
            if (failed + retried < 3) process.stderr.write(`[viewers] ${err instanceof Error ? err.message : String(err)}${attempt < CONNECT_ATTEMPTS ? ' (trying again)' : ''}\n`);
            if (attempt < CONNECT_ATTEMPTS) {
              retried++;
              await new Promise((r) => setTimeout(r, 500));
              continue;
            }
            failed++;
            break;
          }
        }
      }
    }),
  );
  postAgent.destroy();
  onReady(connected, failed);
  await waitFinish;
  finishing = true;
  for (const s of sockets) s.destroy();
  const cpu = process.cpuUsage();
  return { connected, failed, retried, closedEarly, arrivals: Object.fromEntries(arrivals), cpuMs: (cpu.user + cpu.system) / 1000 };
}

export interface ViewerGroup {
  ready: Promise<{ connected: number; failed: number }>;
  /** stop reading; resolves with the report */
  finish(): Promise<ViewerReport>;
  kill(): void;
}

export function startViewers(spec: ViewerSpec): ViewerGroup {
  const child: ChildProcess = fork(import.meta.filename, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let onReport!: (r: ViewerReport) => void;
  const report = new Promise<ViewerReport>((r) => (onReport = r));
  const ready = new Promise<{ connected: number; failed: number }>((resolve, reject) => {
    child.on('message', (m: { type: string; connected?: number; failed?: number; report?: ViewerReport }) => {
      if (m.type === 'ready') resolve({ connected: m.connected!, failed: m.failed! });
      if (m.type === 'report') onReport(m.report!);
    });
    child.once('exit', (code) => reject(new Error(`viewer process exited (${code})`)));
  });
  child.send({ type: 'start', spec });
  return {
    ready,
    finish() {
      child.send({ type: 'finish' });
      return report;
    },
    kill: () => child.kill('SIGKILL'),
  };
}

if (process.send && process.argv[1] === import.meta.filename) {
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  process.on('message', (m: { type: string; spec?: ViewerSpec }) => {
    if (m.type === 'start') {
      void runViewers(m.spec!, (connected, failed) => process.send!({ type: 'ready', connected, failed }), finished).then((report) =>
        process.send!({ type: 'report', report }, undefined, {}, () => process.exit(0)),
      );
    } else if (m.type === 'finish') finish();
  });
  process.on('disconnect', () => process.exit(0));
}
