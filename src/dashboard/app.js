// EmoStream dashboard: plain browser JavaScript, no build step.
// 1. GET /v1/palette; 2. POST /v1/subscriptions → EventSource(stream_url) for `live` events (the running counts of
//    the open window: the swarm is animated at once, as it grows) and `window` events (the closed window: the page
//    settles on its counts, animating only what the live counts had not shown yet);
// 3. poll /v1/counts (exact totals), /v1/clusters (viewers) and /metrics (ingest rate);
// 4. moments: GET /v1/matches/:id/moments at start (and every 15 s), then live `moment` events, on a timeline.
// State is also exposed on window.__emostream for the browser test and for curious people.
'use strict';

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const fmt = new Intl.NumberFormat('en');
const MAX_FLOATERS_PER_WINDOW = 80; // the page animates at most this many emojis per window

const state = {
  match: params.get('match') || '',
  palette: [],
  windowMs: 2000,
  scaleFactor: 1000,
  subscription: null,
  status: 'connecting',
  windowsReceived: 0,
  liveReceived: 0,
  live: new Map(), // open window id -> { seq, swarm already animated }; dropped when the window closes
  seen: new Set(), // window ids: the Spark Kafka sink is at-least-once, repeats are dropped
  windows: [], // the most recent windows, oldest first
  sessionCounts: {}, // emoji -> sum of window counts since the page opened
  sessionSwarm: {}, // emoji -> sum of window swarm sizes since the page opened
  floaters: {}, // emoji -> animated emojis spawned since the page opened
  latencies: [], // ms from window_end to arrival here
  exact: null,
  clusters: [],
  platformRate: null,
  lastAcceptedTotal: null,
  moments: [], // moment records, oldest first, one per id
};
window.__emostream = state;

async function getJson(url, init) {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

function setStatus(s, text) {
  state.status = s;
  const el = $('status');
  el.dataset.state = s;
  el.textContent = text || s;
}

// ---------- the swarm ----------
function spawnFloaters(win) {
  const stage = $('stage');
  const entries = Object.entries(win.swarm || {});
  let budget = MAX_FLOATERS_PER_WINDOW;
  const total = entries.reduce((a, [, k]) => a + k, 0);
  for (const [emoji, k] of entries) {
    // keep proportions when a window's swarm is larger than the budget
    const n = total > budget ? Math.max(1, Math.round((k / total) * MAX_FLOATERS_PER_WINDOW)) : k;
    for (let i = 0; i < n && budget > 0; i++, budget--) {
      const el = document.createElement('span');
      el.className = 'floater';
      el.textContent = emoji;
      el.dataset.emoji = emoji;
      el.style.left = `${4 + Math.random() * 88}%`;
      el.style.setProperty('--dx', `${Math.round((Math.random() - 0.5) * 160)}px`);
      el.style.setProperty('--dur', `${(3 + Math.random() * 2).toFixed(2)}s`);
      el.style.animationDelay = `${Math.round(Math.random() * Math.min(state.windowMs, 1800))}ms`;
      el.addEventListener('animationend', () => el.remove());
      stage.appendChild(el);
      state.floaters[emoji] = (state.floaters[emoji] || 0) + 1;
    }
  }
}

function renderLatest(win, live = false) {
  const ul = $('latest');
  ul.replaceChildren();
  ul.dataset.windowId = `${win.match_id}:${Date.parse(win.window_start)}`;
  ul.dataset.state = live ? 'live' : 'closed';
  const rows = Object.entries(win.counts || {}).sort((a, b) => b[1] - a[1]);
  for (const [emoji, n] of rows) {
    const li = document.createElement('li');
    li.dataset.emoji = emoji;
    li.dataset.count = String(n);
    li.dataset.swarm = String((win.swarm || {})[emoji] || 0);
    li.innerHTML = `<span class="e"></span><span class="c"></span><span class="s"></span>`;
    li.querySelector('.e').textContent = emoji;
    li.querySelector('.c').textContent = fmt.format(n);
    li.querySelector('.s').textContent = `×${li.dataset.swarm}`;
    li.title = `${fmt.format(n)} reactions → swarm ${li.dataset.swarm}`;
    ul.appendChild(li);
  }
  const t0 = new Date(win.window_start);
  const t1 = new Date(win.window_end);
  $('window-info').textContent = live
    ? `live · window ${t0.toLocaleTimeString()}–${t1.toLocaleTimeString()} · ${fmt.format(win.total)} reactions so far`
    : `window ${t0.toLocaleTimeString()}–${t1.toLocaleTimeString()} · ${fmt.format(win.total)} reactions`;
  renderMood(win.mood);
}

// The window's mood (score in [-1, 1], dominant feeling), computed by the Spark job.
function renderMood(mood) {
  const el = $('mood');
  if (!mood || typeof mood.score !== 'number') {
    el.textContent = '';
    return;
  }
  el.textContent = `mood: ${mood.feeling} ${mood.score > 0 ? '+' : ''}${mood.score.toFixed(2)}`;
  el.dataset.sign = mood.score > 0.05 ? 'positive' : mood.score < -0.05 ? 'negative' : 'neutral';
}

function renderTable(ul, rows, { max, extra } = {}) {
  ul.replaceChildren();
  const top = max ?? Math.max(1, ...rows.map((r) => r[1]));
  for (const [emoji, n, ...rest] of rows) {
    const li = document.createElement('li');
    li.dataset.emoji = emoji;
    li.dataset.count = String(n);
    if (extra) extra(li, rest);
    li.innerHTML = `<span class="e"></span><span class="bar"><i></i></span><span class="n"></span>`;
    li.querySelector('.e').textContent = emoji;
    li.querySelector('.bar > i').style.width = `${Math.round((n / top) * 100)}%`;
    li.querySelector('.n').textContent = fmt.format(n);
    if (rest.length && rest[0] !== undefined) {
      const small = document.createElement('small');
      small.textContent = rest[0];
      li.querySelector('.n').appendChild(small);
    }
    ul.appendChild(li);
  }
}

function renderSession() {
  const rows = Object.entries(state.sessionCounts)
    .sort((a, b) => b[1] - a[1])
    .map(([e, n]) => [e, n, `×${state.sessionSwarm[e] || 0}`]);
  renderTable($('session-counts'), rows, {
    extra: (li) => (li.dataset.swarm = String(state.sessionSwarm[li.dataset.emoji] || 0)),
  });
}

function renderBars() {
  const el = $('spark');
  el.replaceChildren();
  const last = state.windows.slice(-40);
  const top = Math.max(1, ...last.map((w) => w.total));
  for (const w of last) {
    const d = document.createElement('div');
    d.style.height = `${Math.max(3, Math.round((w.total / top) * 100))}%`;
    d.title = `${new Date(w.window_start).toLocaleTimeString()}: ${fmt.format(w.total)}`;
    el.appendChild(d);
  }
}

function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The part of `swarm` not animated yet (`shown`), per emoji; `shown` is updated to `swarm`. */
function swarmDelta(swarm, shown) {
  const delta = {};
  for (const [e, k] of Object.entries(swarm || {})) {
    const d = k - (shown[e] || 0);
    if (d > 0) delta[e] = d;
    shown[e] = Math.max(k, shown[e] || 0);
  }
  return delta;
}

// The running counts of an open window (no id, never replayed): animate the new part of its swarm at once.
function onLive(live) {
  const wid = `${live.match_id}:${Date.parse(live.window_start)}`;
  if (state.seen.has(wid)) return; // closed already
  const prev = state.live.get(wid);
  if (prev && prev.seq >= live.seq) return;
  const entry = prev || { seq: 0, shown: {} };
  entry.seq = live.seq;
  state.live.set(wid, entry);
  state.liveReceived++;
  spawnFloaters({ swarm: swarmDelta(live.swarm, entry.shown) });
  renderLatest(live, true);
}

function onWindow(win, id) {
  const wid = id || `${win.match_id}:${Date.parse(win.window_start)}`;
  if (state.seen.has(wid)) return;
  state.seen.add(wid);
  const live = state.live.get(wid);
  state.live.delete(wid);
  state.windowsReceived++;
  const latency = Date.now() - Date.parse(win.window_end);
  state.latencies.push(latency);
  if (state.latencies.length > 200) state.latencies.shift();
  state.windows.push(win);
  if (state.windows.length > 120) state.windows.shift();
  for (const [e, n] of Object.entries(win.counts || {})) state.sessionCounts[e] = (state.sessionCounts[e] || 0) + n;
  for (const [e, k] of Object.entries(win.swarm || {})) state.sessionSwarm[e] = (state.sessionSwarm[e] || 0) + k;

  // settle on the closed window: animate only what its live counts had not shown
  spawnFloaters(live ? { swarm: swarmDelta(win.swarm, live.shown) } : win);
  renderLatest(win);
  renderSession();
  renderBars();
  $('match-rate').textContent = fmt.format(Math.round(win.total / (state.windowMs / 1000)));
  $('windows-received').textContent = `${fmt.format(state.windowsReceived)} windows received`;
  const sorted = [...state.latencies].sort((a, b) => a - b);
  $('latency').textContent = `window end → here: ${latency} ms (p50 ${pct(sorted, 50)} ms)`;
}

// ---------- viewer registration and the SSE stream ----------
let source = null;
let retryTimer = null;

async function register() {
  clearTimeout(retryTimer);
  try {
    setStatus('connecting', 'registering…');
    const sub = await getJson('/v1/subscriptions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ match_id: state.match }),
    });
    state.subscription = sub;
    $('assignment').textContent = `cluster ${sub.cluster_id} · subscriber ${sub.subscriber_id}`;
    openStream(sub);
  } catch (err) {
    setStatus('error', 'no viewer slot, retrying');
    console.warn(err);
    retryTimer = setTimeout(register, 3000);
  }
}

function streamUrl(sub) {
  const url = new URL(sub.stream_url, location.href);
  if (!url.searchParams.has('match')) url.searchParams.set('match', state.match);
  return url.toString();
}

function openStream(sub) {
  if (source) source.close();
  source = new EventSource(streamUrl(sub));
  source.onopen = () => setStatus('live', 'live');
  source.addEventListener('window', (ev) => {
    try {
      onWindow(JSON.parse(ev.data), ev.lastEventId);
    } catch (err) {
      console.warn('bad window', err);
    }
  });
  source.addEventListener('live', (ev) => {
    try {
      onLive(JSON.parse(ev.data));
    } catch (err) {
      console.warn('bad live record', err);
    }
  });
  source.addEventListener('moment', (ev) => {
    try {
      addMoments([JSON.parse(ev.data)]);
    } catch (err) {
      console.warn('bad moment', err);
    }
  });
  source.addEventListener('reset', () => {
    state.seen.clear();
  });
  // the server ended the stream with a typed reason; for a terminal one (left, expired, replaced) register again
  source.addEventListener('disconnect', (ev) => {
    let d = {};
    try {
      d = JSON.parse(ev.data);
    } catch {}
    if (d.reconnect === false) {
      source.close();
      setStatus('reconnecting', `disconnected (${d.reason}), registering again…`);
      retryTimer = setTimeout(register, 1000);
    }
  });
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) {
      // the server refused the stream (e.g. it restarted and forgot the subscription): register again
      setStatus('reconnecting', 'reconnecting…');
      retryTimer = setTimeout(register, 2000);
    } else {
      setStatus('reconnecting', 'reconnecting…'); // EventSource retries by itself with Last-Event-ID
    }
  };
}

window.addEventListener('pagehide', () => {
  if (source) source.close();
  const id = state.subscription && state.subscription.subscription_id;
  if (id) fetch(`/v1/subscriptions/${encodeURIComponent(id)}`, { method: 'DELETE', keepalive: true }).catch(() => {});
});

// ---------- moments: a timeline of the match with the peak emoji of each, and the list, newest first ----------
const MOMENTS_SHOWN = 12;
const momentKey = (m) => `moment:${m.match_id}:${Date.parse(m.window_start)}`;

function addMoments(list) {
  const known = new Set(state.moments.map(momentKey));
  let added = false;
  for (const m of list) {
    if (m.match_id !== state.match || known.has(momentKey(m))) continue;
    known.add(momentKey(m));
    state.moments.push(m);
    added = true;
  }
  if (!added) return;
  state.moments.sort((a, b) => Date.parse(a.window_start) - Date.parse(b.window_start));
  renderMoments();
}

function renderMoments() {
  const ms = state.moments;
  $('moments-info').textContent = `${ms.length} moment${ms.length === 1 ? '' : 's'}`;
  // timeline: from the first moment (or 10 minutes ago) to now, each moment's peak emoji where it happened
  const now = Date.now();
  const from = Math.min(now - 10 * 60_000, ms.length ? Date.parse(ms[0].window_start) : now);
  const tl = $('moments-timeline');
  tl.replaceChildren();
  for (const m of ms) {
    const t = Date.parse(m.window_start);
    const el = document.createElement('span');
    el.className = 'mark';
    el.textContent = m.peak_emoji;
    el.style.left = `${(100 * (t - from)) / Math.max(1, now - from)}%`;
    el.title = `${new Date(t).toLocaleTimeString()} · ${m.peak_emoji} ${m.peak_count} (baseline ${m.peak_baseline}) · score ${m.score}`;
    el.dataset.windowStart = m.window_start;
    tl.append(el);
  }
  const ul = $('moments');
  ul.replaceChildren();
  for (const m of ms.slice(-MOMENTS_SHOWN).reverse()) {
    const li = document.createElement('li');
    li.dataset.peak = m.peak_emoji;
    const e = document.createElement('span');
    e.className = 'e';
    e.textContent = m.peak_emoji;
    const what = document.createElement('span');
    what.textContent = `${new Date(Date.parse(m.window_start)).toLocaleTimeString()} · ${fmt.format(m.peak_count)} vs ${fmt.format(m.peak_baseline)} usual`;
    const score = document.createElement('span');
    score.className = 'muted small';
    score.textContent = `score ${m.score}`;
    li.append(e, what, score);
    ul.append(li);
  }
}

async function pollMoments() {
  try {
    const r = await fetch(`/v1/matches/${encodeURIComponent(state.match)}/moments?limit=100`);
    if (r.status === 404) return; // nothing counted for this match yet
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    addMoments((await r.json()).moments || []);
  } catch {
    $('moments-info').textContent = 'moments unavailable';
  }
}

// ---------- polling: exact totals, clusters, platform ingest rate ----------
async function pollExact() {
  try {
    const c = await getJson(`/v1/counts?match=${encodeURIComponent(state.match)}`);
    state.exact = c;
    const rows = Object.entries(c.totals || {}).sort((a, b) => b[1] - a[1]);
    renderTable($('exact-totals'), rows);
    $('exact-total').textContent = fmt.format(c.total ?? rows.reduce((a, r) => a + r[1], 0));
    $('exact-total').dataset.total = String(c.total ?? '');
    if (c.as_of) $('exact-asof').textContent = `as of ${new Date(c.as_of).toLocaleTimeString()}`;
  } catch {
    $('exact-asof').textContent = 'exact counts unavailable';
  }
}

/** /v1/clusters in whatever envelope it comes: [{…}] or {clusters: [{…}]}. */
function normalizeClusters(body) {
  const list = Array.isArray(body) ? body : Array.isArray(body?.clusters) ? body.clusters : [];
  return list.map((c, i) => {
    const subs = Array.isArray(c.subscribers) ? c.subscribers : [];
    const sum = (k) => subs.reduce((a, s) => a + (Number(s[k]) || 0), 0);
    return {
      id: String(c.cluster_id ?? c.id ?? i),
      viewers: Number(c.viewers ?? c.sessions ?? sum('viewers')) || 0,
      capacity: Number(c.capacity ?? sum('capacity')) || 0,
      subscribers: subs.length || Number(c.subscriber_count) || 0,
      state: c.state ?? c.status ?? '',
    };
  });
}

async function pollClusters() {
  try {
    state.clusters = normalizeClusters(await getJson('/v1/clusters'));
    const top = Math.max(1, ...state.clusters.map((c) => c.viewers));
    const ul = $('clusters');
    ul.replaceChildren();
    for (const c of state.clusters) {
      const li = document.createElement('li');
      li.dataset.cluster = c.id;
      li.dataset.viewers = String(c.viewers);
      li.innerHTML = `<span class="cid"></span><span class="bar"><i></i></span><span class="n"></span>`;
      li.querySelector('.cid').textContent = c.id;
      li.querySelector('.bar > i').style.width = `${Math.round((c.viewers / top) * 100)}%`;
      li.querySelector('.n').textContent = `${fmt.format(c.viewers)} `;
      const small = document.createElement('small');
      small.textContent = `${c.subscribers} subs${c.state && c.state !== 'up' && c.state !== 'running' ? ' · ' + c.state : ''}`;
      li.querySelector('.n').appendChild(small);
      ul.appendChild(li);
    }
    const total = state.clusters.reduce((a, c) => a + c.viewers, 0);
    $('viewers-total').textContent = `${fmt.format(total)} viewers`;
  } catch {
    $('viewers-total').textContent = 'unavailable';
  }
}

/** Sum of every sample of a counter in a Prometheus text exposition. */
function sumMetric(text, name) {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (line.startsWith(name + ' ') || line.startsWith(name + '{')) {
      const v = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (Number.isFinite(v)) {
        sum += v;
        found = true;
      }
    }
  }
  return found ? sum : null;
}

async function pollRate() {
  try {
    const res = await fetch('/metrics');
    if (!res.ok) return;
    const total = sumMetric(await res.text(), 'emostream_ingest_events_accepted_total');
    const now = Date.now();
    if (total !== null && state.lastAcceptedTotal) {
      const dt = (now - state.lastAcceptedTotal.at) / 1000;
      state.platformRate = Math.max(0, (total - state.lastAcceptedTotal.total) / dt);
      $('platform-rate').textContent = fmt.format(Math.round(state.platformRate));
    }
    if (total !== null) state.lastAcceptedTotal = { total, at: now };
  } catch {
    /* metrics are optional */
  }
}

// ---------- sending reactions ----------
const userId = (() => {
  const k = 'emostream-user';
  let id = null;
  try {
    id = sessionStorage.getItem(k);
  } catch {}
  if (!id) {
    id = `web-${Math.random().toString(36).slice(2, 10)}`;
    try {
      sessionStorage.setItem(k, id);
    } catch {}
  }
  return id;
})();

async function send(emoji, button) {
  button.classList.remove('sent', 'failed');
  try {
    const res = await fetch('/v1/emoji', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: userId, emoji_type: emoji, timestamp: new Date().toISOString(), match_id: state.match }),
    });
    const body = await res.json().catch(() => ({}));
    if (res.status === 202) {
      button.classList.add('sent');
      state.sent = (state.sent || 0) + 1;
      $('send-status').textContent = `${emoji} accepted (${state.sent} sent)`;
    } else {
      button.classList.add('failed');
      $('send-status').textContent = `${emoji} refused: ${res.status} ${body?.error?.message ?? ''}`;
    }
  } catch (err) {
    button.classList.add('failed');
    $('send-status').textContent = `${emoji} failed: ${err.message}`;
  }
}

function renderPalette() {
  const el = $('palette');
  el.replaceChildren();
  for (const emoji of state.palette) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'emoji-btn';
    b.dataset.emoji = emoji;
    b.textContent = emoji;
    b.title = `send ${emoji}`;
    b.addEventListener('click', () => send(emoji, b));
    el.appendChild(b);
  }
}

// ---------- start ----------
async function main() {
  try {
    const p = await getJson('/v1/palette');
    state.palette = p.palette;
    state.windowMs = p.window_ms || 2000;
    state.scaleFactor = p.scale_factor || 1000;
    if (!state.match) state.match = p.default_match_id;
  } catch {
    state.palette = ['🔥', '😀', '😡', '😂', '👏'];
    if (!state.match) state.match = 'live';
  }
  $('match-input').value = state.match;
  document.title = `EmoStream — ${state.match}`;
  renderPalette();
  register();
  pollExact();
  pollClusters();
  pollRate();
  pollMoments();
  setInterval(pollMoments, 15_000);
  setInterval(pollExact, 1000);
  setInterval(pollClusters, 2000);
  setInterval(pollRate, 2000);
  state.ready = true;
}

$('match-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const m = $('match-input').value.trim();
  if (m) location.search = `?match=${encodeURIComponent(m)}`;
});

main();
