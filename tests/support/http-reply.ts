// A raw node:http answer read whole: status, headers, the body parsed as JSON (null when empty) and its size.
// For tests that need what fetch hides (no content-length of their own, chunked uploads, a source address).
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  json: any;
  /** Size of the response body in bytes. */
  bytes: number;
}

export function readReply(res: IncomingMessage, resolve: (r: Reply) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => {
    const raw = Buffer.concat(chunks);
    const text = raw.toString('utf8');
    resolve({ status: res.statusCode!, headers: res.headers, json: text ? JSON.parse(text) : null, bytes: raw.length });
  });
}
