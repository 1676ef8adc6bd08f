import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonBody, readArrived } from './body.ts';

describe('parseJsonBody', () => {
  it('parses UTF-8 JSON, emojis included, and drops a leading byte-order mark as TextDecoder does', () => {
    expect(parseJsonBody(Buffer.from('{"emoji_type":"🔥"}'))).toEqual({ emoji_type: '🔥' });
    expect(parseJsonBody(Buffer.from('\uFEFF[1]'))).toEqual([1]);
  });

  it('refuses invalid UTF-8, an empty body and malformed JSON with the code that says which', () => {
    const code = (b: Buffer) => {
      try {
        parseJsonBody(b);
      } catch (err) {
        return (err as { code: string }).code;
      }
      return 'accepted';
    };
    expect(code(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toBe('invalid_encoding');
    expect(code(Buffer.from(' \n'))).toBe('malformed_json');
    expect(code(Buffer.from('{"a":'))).toBe('malformed_json');
  });
});

describe('readArrived on a real node:http request', () => {
  let server: http.Server;
  let port = 0;
  const seen: (string | null)[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      // as the handler sees it after the middlewares' awaits: a microtask later (/later: once the request is complete)
      const later = req.url === '/later';
      void (later ? new Promise((r) => setImmediate(r)) : Promise.resolve()).then(() => {
        let arrived: Buffer | null;
        try {
          arrived = readArrived(req, 64);
        } catch (err) {
          seen.push(`refused ${(err as { status: number }).status}`);
          res.writeHead(413, { connection: 'close' }).end();
          return;
        }
        seen.push(arrived === null ? null : arrived.toString());
        if (arrived) return void res.end('sync');
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => res.end(`async ${Buffer.concat(chunks).toString()}`));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  /** Sends the head and the body parts over one socket, `gapMs` apart; resolves with the answer's body. */
  const send = (head: string, parts: string[], gapMs = 0) =>
    new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      let out = '';
      s.on('data', (d) => (out += d.toString()));
      s.on('end', () => resolve(out.split('\r\n\r\n').slice(1).join('')));
      s.on('error', reject);
      s.write(head + (gapMs ? '' : parts.join('')));
      if (gapMs) parts.forEach((p, i) => setTimeout(() => s.write(p), gapMs * (i + 1)));
      setTimeout(() => s.end(), gapMs * (parts.length + 1) + 50);
    });

  it('returns a body that came with its headers, at once', async () => {
    const body = '{"user_id":"u-1"}';
    const reply = await send(`POST / HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\n\r\n`, [body]);
    expect(reply).toContain('sync');
    expect(seen.at(-1)).toBe(body);
  });

  it('returns null while the body is still on its way; the stream then delivers all of it', async () => {
    const reply = await send(`POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\n`, ['01234', '56789'], 60);
    expect(seen.at(-1)).toBeNull();
    expect(reply).toContain('async 0123456789');
  });

  it('leaves a chunked body to the stream until the request is complete, then refuses it past the limit (413)', async () => {
    const chunked = (n: number) => `${n.toString(16)}\r\n${'x'.repeat(n)}\r\n0\r\n\r\n`;
    expect(await send(`POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n`, [chunked(10)])).toContain('async xxxxxxxxxx');
    expect(seen.at(-1)).toBeNull();
    const big = 'x'.repeat(100);
    const reply = send(`POST /later HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n`, [`${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`]);
    await reply;
    expect(seen.at(-1)).toBe('refused 413');
  });
});
