// The broadcast over real HTTP (server on port 0, windows injected through the facade; no Kafka needed):
// join / receive / leave, Last-Event-ID replay, a stalled viewer cut off while others receive everything,
// and one window reaching 3 clusters x 3 subscribers.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import { createBroadcastSystem } from '../src/actors/system.ts';
import { broadcastConfig, testWindow } from './support/broadcast.ts';
import type { BroadcastFacade } from '../src/actors/facade.ts';
import { createApp } from '../src/api/app.ts';
import { loadConfig, type Config } from '../src/config.ts';
import { idOfRecord, type WindowRecord } from '../src/domain/window.ts';
import { openSse } from './support/sse-client.ts';
import { waitFor } from './support/wait.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const openStream = (base: string, path: string, headers: Record<string, string> = {}) => openSse(`${base}${path}`, { headers });

let server: ServerType | null = null;
let facade: BroadcastFacade | null = null;

async function start(over: Partial<Config['broadcast']> = {}) {
  const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1' });
  config.broadcast = broadcastConfig({ heartbeatMs: 60_000, sseRetryMs: 1500, ...over });
  const sys = createBroadcastSystem({ broadcast: config.broadcast });
  facade = sys.facade;
  const app = createApp({ config, ingest: { submit: async () => {} }, broadcast: sys.facade, log: () => {} });
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
  };
  return { base, api, facade: sys.facade };
}

afterEach(async () => {
  facade?.stop();
  facade = null;
  if (server) {
    const s = server;
    server = null;
    (s as http.Server).closeAllConnections?.();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

const T0 = Date.UTC(2026, 10, 28, 15, 0, 0);
const w = (match: string, i: number, counts?: Record<string, number>): WindowRecord => testWindow(match, T0 + i * 2000, counts);

describe('SSE broadcast over HTTP', () => {
  it('join, receive, leave', async () => {
    const { base, api, facade } = await start();
    const created = await api('POST', '/v1/subscriptions', { match_id: 'ind-aus' });
    expect(created.status).toBe(201);
    const sub = created.json as { subscription_id: string; cluster_id: string; subscriber_id: string; stream_url: string };
    expect(sub).toMatchObject({ cluster_id: 'c1', subscriber_id: 'c1-s1' });
    expect(sub.stream_url).toBe(`/v1/clusters/c1/stream?subscription=${sub.subscription_id}&match=ind-aus`);

    const s = openStream(base, sub.stream_url);
    const res = await s.opened;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const clusters = await api('GET', '/v1/clusters');
    expect(clusters.json.clusters[0]).toMatchObject({ cluster_id: 'c1', viewers: 1, capacity: 30_000 });
    expect(clusters.json.clusters[0].subscribers[0]).toMatchObject({ subscriber_id: 'c1-s1', viewers: 1, capacity: 10_000 });

    const mine = w('ind-aus', 0, { '🔥': 3785, '😀': 12 });
    facade.publish(w('eng-nz', 0)); // another match: filtered out
    facade.publish(mine);
    await s.waitForWindows(1);
    expect(s.retry).toBe(1500);
    expect(s.windows()).toEqual([{ event: 'window', id: 'ind-aus:' + (T0).toString(), data: JSON.stringify(mine) }]);
    expect(JSON.parse(s.windows()[0]!.data).swarm).toEqual({ '🔥': 3, '😀': 1 });

    expect((await api('DELETE', `/v1/subscriptions/${sub.subscription_id}`)).status).toBe(204);
    await s.waitForEnd();
    expect(s.events.at(-1)).toMatchObject({ event: 'disconnect' });
    expect(JSON.parse(s.events.at(-1)!.data)).toMatchObject({ reason: 'left', reconnect: false });
    const again = await api('DELETE', `/v1/subscriptions/${sub.subscription_id}`);
    expect(again.status).toBe(404);
    expect(again.json.error).toMatchObject({ code: 'subscription_not_found', field: 'id' });
    expect((await api('GET', '/v1/clusters')).json.clusters[0].viewers).toBe(0);
  });

  it('refuses bad requests with JSON errors naming the field, and 503 + Retry-After when full', async () => {
    const { base, api } = await start({ clusters: 1, subscribersPerCluster: 1, maxSubscribersPerCluster: 1, subscriberCapacity: 1 });
    expect((await api('POST', '/v1/subscriptions', { match_id: 'no spaces' })).json.error).toMatchObject({ code: 'invalid_match_id', field: 'match_id' });
    expect((await api('POST', '/v1/subscriptions', { colour: 'red' })).json.error).toMatchObject({ code: 'unknown_field', field: 'colour' });
    const nf = await api('POST', '/v1/subscriptions', { cluster: 'c9' });
    expect(nf.status).toBe(404);
    expect(nf.json.error).toMatchObject({ code: 'cluster_not_found', field: 'cluster' });
    expect((await api('POST', '/v1/subscriptions')).status).toBe(201); // empty body: any match, any cluster
    const full = await api('POST', '/v1/subscriptions', {});
    expect(full.status).toBe(503);
    expect(full.headers.get('retry-after')).toBe('2');
    expect(full.json.error.code).toBe('at_capacity');
    expect((await api('GET', '/v1/clusters/c9/stream')).json.error).toMatchObject({ code: 'cluster_not_found', field: 'id' });
    const s = openStream(base, '/v1/clusters/c1/stream?subscription=sub-unknown');
    expect((await s.opened).statusCode).toBe(404);
  });

  it('a reconnect with Last-Event-ID receives exactly the missed windows, then live ones', async () => {
    const { base, api, facade } = await start();
    const sub = (await api('POST', '/v1/subscriptions', {})).json as { stream_url: string };
    const first = openStream(base, sub.stream_url);
    await first.opened;
    const ws = Array.from({ length: 6 }, (_, i) => w(i % 2 ? 'b' : 'a', i));
    facade.publish(ws[0]!);
    facade.publish(ws[1]!);
    await first.waitForWindows(2);
    first.close();
    await expectEventually(() => facade.stats().viewers === 0);
    for (const x of ws.slice(2, 5)) facade.publish(x); // missed while away
    const second = openStream(base, sub.stream_url, { 'last-event-id': first.windows()[1]!.id! });
    await second.opened;
    facade.publish(ws[5]!);
    facade.publish(ws[5]!); // repeated id from an at-least-once sink: dropped
    await second.waitForWindows(4);
    await sleep(100);
    expect(second.windows().map((e) => e.id)).toEqual(ws.slice(2).map(idOfRecord));
    expect(second.events.some((e) => e.event === 'reset')).toBe(false);

    // an id the history no longer covers: reset first, then what the history holds
    const third = openStream(base, sub.stream_url, { 'last-event-id': 'a:1000' });
    await third.waitForWindows(6);
    expect(third.events[0]!.event).toBe('reset');
  });

  it('disconnects a stalled viewer (slow) while the others receive every window', async () => {
    const { base, api, facade } = await start({ sessionMaxPendingBytes: 256 * 1024 });
    const port = Number(new URL(base).port);
    const readers = [];
    for (let i = 0; i < 2; i++) {
      const sub = (await api('POST', '/v1/subscriptions', {})).json as { stream_url: string };
      const r = openStream(base, sub.stream_url);
      await r.opened;
      readers.push(r);
    }
    // A viewer that sends its request and then never reads a byte.
    const stalledSub = (await api('POST', '/v1/subscriptions', {})).json as { stream_url: string };
    const stalled = net.connect(port, '127.0.0.1');
    stalled.pause();
    await new Promise((r) => stalled.once('connect', r));
    stalled.write(`GET ${stalledSub.stream_url} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`);
    await expectEventually(() => facade.stats().viewers === 3);

    // ~64 KB windows; 600 of them (~38 MB) outrun every kernel buffer between the two ends.
    const counts: Record<string, number> = {};
    for (let k = 0; k < 4000; k++) counts[`e${k}`] = k + 1;
    const N = 600;
    for (let i = 0; i < N; i++) {
      facade.publish(w('big', i, counts));
      // one window per turn of the event loop, as a live feed arrives: the readers keep up, the stalled one cannot
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(readers.map((r) => r.waitForWindows(N)));
    for (const r of readers) expect(r.windows().map((e) => e.id)).toEqual(Array.from({ length: N }, (_, i) => `big:${T0 + i * 2000}`));
    expect(facade.stats().slow_disconnects).toBe(1);
    expect(facade.stats().viewers).toBe(2);
    stalled.destroy();
  }, 60_000);

  it('3 clusters x 3 subscribers all receive the same window', async () => {
    const { base, api, facade } = await start();
    const streams = [];
    for (let i = 0; i < 9; i++) {
      const sub = (await api('POST', '/v1/subscriptions', {})).json as { stream_url: string };
      const s = openStream(base, sub.stream_url);
      await s.opened;
      streams.push(s);
    }
    const view = (await api('GET', '/v1/clusters')).json.clusters as { cluster_id: string; subscribers: { subscriber_id: string; viewers: number }[] }[];
    expect(view.map((c) => c.cluster_id)).toEqual(['c1', 'c2', 'c3']);
    for (const c of view) expect(c.subscribers.map((s) => s.viewers)).toEqual([1, 1, 1]);
    const x = w('ind-aus', 7);
    facade.publish(x);
    await Promise.all(streams.map((s) => s.waitForWindows(1)));
    for (const s of streams) expect(s.windows()).toEqual([{ event: 'window', id: idOfRecord(x), data: JSON.stringify(x) }]);
  });

  it('sends heartbeat comments', async () => {
    const { base, api } = await start({ heartbeatMs: 150 });
    const sub = (await api('POST', '/v1/subscriptions', {})).json as { stream_url: string };
    const s = openStream(base, sub.stream_url);
    await s.opened;
    await expectEventually(() => s.comments.length >= 2);
    expect(s.comments[0]).toBe(':hb');
  });
});

const expectEventually = (cond: () => boolean, ms = 5000) => waitFor('the condition', cond, ms, 20);
