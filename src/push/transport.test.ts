// The SSE writer over a real Node HTTP server and client: what the viewer receives, in which order, and how
// each way of ending a stream looks from the other side.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SseTransport, endUntilRestart } from './transport.ts';
import { waitFor } from '../../tests/support/wait.ts';

let server: http.Server | null = null;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = null;
});

/** A server whose one request is handed to `handle`; a client that collects the raw body until it ends. */
async function exchange(handle: (res: http.ServerResponse, t: SseTransport) => void, o: { read?: boolean } = {}) {
  let transport!: SseTransport;
  server = http.createServer((_req, res) => {
    transport = new SseTransport(res, 1500);
    res.on('close', () => transport.markGone());
    handle(res, transport);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  let body = '';
  let headers: http.IncomingHttpHeaders = {};
  let req!: http.ClientRequest;
  const ended = new Promise<'end' | 'aborted'>((resolve) => {
    req = http.get({ host: '127.0.0.1', port, path: '/' }, (res) => {
      headers = res.headers;
      res.setEncoding('utf8');
      if (o.read !== false) res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve('end'));
      res.on('aborted', () => resolve('aborted'));
      res.on('error', () => resolve('aborted'));
    });
    req.on('error', () => resolve('aborted'));
  });
  return { ended, body: () => body, headers: () => headers, req: () => req, transport: () => transport };
}

const until = (cond: () => boolean) => waitFor('the condition', cond, 2000, 10);

describe('SseTransport', () => {
  it('opens with the headers and the retry hint, writes frames verbatim, ends with the typed reason', async () => {
    const x = await exchange((_res, t) => {
      t.start();
      t.write(Buffer.from('id: a\nevent: window\ndata: {}\n\n'));
      t.close('left');
      t.write(Buffer.from('after close\n\n')); // ignored
    });
    expect(await x.ended).toBe('end');
    expect(x.headers()['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(x.headers()['cache-control']).toBe('no-cache, no-transform');
    const disconnect = 'event: disconnect\ndata: {"reason":"left","code":3502,"reconnect":false,"message":"subscription deleted"}\n\n';
    expect(x.body()).toBe(`retry: 1500\n\nid: a\nevent: window\ndata: {}\n\n${disconnect}`);
    expect(x.transport().reason).toBe('left');
    expect(x.transport().closed).toBe(true);
  });

  it('drops a slow viewer at once, without queueing a goodbye', async () => {
    const x = await exchange((_res, t) => {
      t.write(Buffer.from(':hb\n\n'));
      t.close('slow');
    });
    expect(await x.ended).toBe('aborted');
    expect(x.body()).not.toContain('event: disconnect');
    expect(x.transport().reason).toBe('slow');
  });

  it('counts the bytes a viewer has not read yet, and marks the stream gone when the viewer leaves', async () => {
    const chunk = Buffer.alloc(256 * 1024, 'x');
    const x = await exchange((_res, t) => {
      for (let i = 0; i < 64; i++) t.write(chunk); // 16 MiB: more than the socket buffers take
    }, { read: false });
    await until(() => x.transport() !== undefined && x.transport().pendingBytes() > 0);
    expect(x.transport().pendingBytes()).toBeGreaterThan(1024 * 1024);
    x.req().destroy();
    await until(() => x.transport().closed);
    expect(x.transport().reason).toBe('gone');
  });

  it('ends a stream for a restarting cluster with the retry hint and `unavailable` (3011)', async () => {
    const x = await exchange((res) => endUntilRestart(res, 250));
    expect(await x.ended).toBe('end');
    expect(x.body()).toBe(
      'retry: 250\n\nevent: disconnect\ndata: {"reason":"unavailable","code":3011,"reconnect":true,"message":"cluster publisher restarting; reconnect after the retry hint","retry_ms":250}\n\n',
    );
  });
});
