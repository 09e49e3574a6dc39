/*
 * herald.js: the browser client of Herald (docs/client.md). No dependencies, built on WebSocket, EventSource and
 * fetch; the cross-tab sharing is in herald-share.js and herald-worker.js beside it.
 *
 *   import { Herald } from './herald.js';
 *   const herald = Herald.connect();                       // the Herald that served this file
 *   const off = herald.subscribe('chat:lobby', msg => console.log(msg.event, msg.data));
 *   await herald.publish('chat:lobby', 'chat', { text: 'hi' });
 *
 * What it adds to the native APIs:
 * - reconnection with capped exponential backoff and full jitter, reset once a connection has been stable;
 * - dead connections found by heartbeat timeout (WebSocket ping/pong, SSE heartbeat events, poll deadlines);
 * - every channel resumed from the last offset seen, on every transport: nothing lost while history holds it,
 *   nothing delivered twice (offsets are deduplicated), gaps and stream resets surfaced as 'gap' events;
 * - transport fallback: WebSocket; else SSE to receive plus HTTP POST to publish; else HTTP long-polling; a
 *   transport that worked but keeps failing to open (a proxy that started blocking it) is given up for the next,
 *   and the better one is probed in the background and taken back once it works again (upgrade);
 * - publishing while disconnected: queued (bounded) and sent on reconnect, once (an idempotency key per publish);
 * - binary messages: ArrayBuffer, typed arrays and Blobs in, ArrayBuffer out, on every transport;
 * - authentication (docs/security.md): `token: async () => jwt` is called before connecting, again before the token
 *   expires (WebSocket: an `auth` frame on the open socket; SSE: the stream reopens and resumes) and whenever the
 *   server says `unauthorized`.
 *
 * - one connection for all tabs (herald-share.js): tabs of one origin that connect to the same Herald as the same user
 *   share it, through a SharedWorker or a leader tab; `share: false` opts out.
 *
 * The wire protocol is docs/protocol.md; section numbers below refer to it.
 */
import { SharedConnection, shareMode } from './herald-share.js';

/** Settings; every one can be passed to Herald.connect. Durations in milliseconds. */
const DEFAULTS = {
  transports: ['ws', 'sse', 'poll'], // tried in this order; see fallbackAfter and upgradeInterval
  fallbackAfter: 2,          // a transport that worked, failing to open this many times in a row, hands over
  upgradeInterval: 30000,    // on a fallback transport, the better ones are probed this often (0: never)
  reconnectDelay: 500,       // the backoff ceiling of the first retry; doubles per failed attempt...
  maxReconnectDelay: 30000,  // ...up to this. Each delay is uniformly random below the ceiling (full jitter)
  stableAfter: 10000,        // a connection open this long resets the backoff
  openTimeout: 5000,         // a transport that shows no sign of life within this is given up
  heartbeatInterval: 15000,  // WebSocket: a ping after this much quiet
  heartbeatTimeout: 10000,   // dead when a ping is not answered within this (SSE: a heartbeat is this late)
  pollTimeout: 25000,        // the server's herald.poll.timeout: how long a long-poll may be held
  publishTimeout: 15000,     // a publish not acknowledged within this rejects with code 'timeout'
  maxQueue: 256,             // most publishes waiting for an ack; more reject with code 'queue_full'
  token: null,               // a token provider: async () => 'JWT' (or {token, expires}); null: anonymous
  share: true,               // one connection for all tabs (herald-share.js): true, 'worker', 'leader' or false
};

/** The `exp` of a JWT in epoch milliseconds, or null when it is not a JWT with one (nothing is verified here). */
export function tokenExpiry(token) {
  try {
    const part = String(token).split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const exp = JSON.parse(atob(part + '='.repeat((4 - part.length % 4) % 4))).exp;
    return typeof exp === 'number' ? exp * 1000 : null;
  } catch (e) {
    return null;
  }
}

/** When to refresh a token that expires at `expires`: a fifth of its life before, between 5 s and 60 s. */
export function refreshAt(expires, now = Date.now()) {
  const margin = Math.max(5000, Math.min(60000, (expires - now) / 5));
  return expires - margin;
}

const CHANNEL = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;

/**
 * A fresh idempotency key for a publish (protocol section "Idempotent publish"): 1 to 128 visible ASCII characters,
 * unique enough that two publishes never share one within the server's window.
 */
export function newIdempotencyKey() {
  const c = globalThis.crypto;
  if (c?.randomUUID) return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
}

/** True for data published as a binary message (section "Binary messages"): an ArrayBuffer, a view, a Blob. */
export function isBinary(data) {
  return data instanceof ArrayBuffer || ArrayBuffer.isView(data)
    || (typeof Blob !== 'undefined' && data instanceof Blob);
}

/**
 * A binary publish frame (protocol section "Binary messages"): the JSON header, a line feed, then the bytes. A Blob
 * in, a Blob out (WebSocket.send takes either); else a Uint8Array.
 */
export function binaryFrame(header, data) {
  const head = new TextEncoder().encode(`${JSON.stringify(header)}\n`);
  if (typeof Blob !== 'undefined' && data instanceof Blob) return new Blob([head, data]);
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const frame = new Uint8Array(head.length + bytes.length);
  frame.set(head);
  frame.set(bytes, head.length);
  return frame;
}

/** A binary WebSocket frame from the server as its envelope: the header's members, data the bytes (ArrayBuffer). */
export function parseBinaryFrame(buffer) {
  const bytes = new Uint8Array(buffer);
  const end = bytes.indexOf(10);
  if (end < 0) throw new HeraldError('bad_request', 'a binary frame without a header');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(0, end)));
  return { ...header, data: bytes.slice(end + 1).buffer };
}

/** Standard base64 (the `data` of an envelope with `"encoding":"base64"`) as an ArrayBuffer. */
export function fromBase64(text) {
  const chars = atob(text);
  const bytes = new Uint8Array(chars.length);
  for (let i = 0; i < chars.length; i++) bytes[i] = chars.charCodeAt(i);
  return bytes.buffer;
}

/** A refusal: a server error (section 3: bad_channel, forbidden…) or the client's own (timeout, queue_full, closed). */
export class HeraldError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = 'HeraldError';
    this.code = code;
  }
}

/**
 * Who is subscribed to `channel` (protocol section "Presence"): `GET {base}api/presence?channel=`, with
 * `Authorization: Bearer <token>` when a token is given, through `env.fetch`. Resolves with [{client, user?, info?}];
 * rejects with a HeraldError ('bad_channel' for a bad name, else the server's code: 'not_found' where presence is off,
 * 'forbidden'…). Herald.presence() and herald-share.js' SharedConnection.presence() both read it so.
 */
export async function fetchPresence(env, base, channel, token) {
  if (!CHANNEL.test(channel)) throw new HeraldError('bad_channel', `not a channel name: ${channel}`);
  const url = new URL('api/presence', base);
  url.searchParams.set('channel', channel);
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const response = await env.fetch(url, { headers, cache: 'no-store' });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new HeraldError(body?.error?.code || 'internal', body?.error?.message || `HTTP ${response.status}`);
  return body.presence;
}

// ---- pure helpers (exported for the unit tests in src/test/js) ----

/**
 * The delay before reconnect attempt number `attempt` (0 for the first): full jitter, a uniformly random wait below
 * a ceiling that doubles with each attempt, capped. Spreads out clients that lost the same server.
 */
export function backoffDelay(attempt, options = DEFAULTS, random = Math.random) {
  const ceiling = Math.min(options.maxReconnectDelay, options.reconnectDelay * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** An envelope id, `<epoch>-<offset>` (section 2), as {epoch, offset}; epoch null when the id has none. */
export function splitId(id) {
  const s = String(id);
  const dash = s.lastIndexOf('-');
  return { epoch: dash > 0 ? s.slice(0, dash) : null, offset: Number(s.slice(dash + 1)) };
}

/** A resume token (section 6.1) as a Map of channel to {epoch, offset}. */
export function parseToken(token) {
  const positions = new Map();
  for (const entry of (token || '').split(',')) {
    const eq = entry.indexOf('=');
    if (eq > 0) positions.set(entry.slice(0, eq), splitId(entry.slice(eq + 1)));
  }
  return positions;
}

/** The resume token of positions given as [channel, {epoch, offset}] pairs. */
export function formatToken(entries) {
  const parts = [];
  for (const [channel, p] of entries) parts.push(`${channel}=${p.epoch ? p.epoch + '-' : ''}${p.offset}`);
  return parts.join(',');
}

/**
 * Calls `onExpire` once nothing has kicked it for `ms`. A kick only records the time, so it costs nothing per
 * message; the one timer re-arms itself for what is left.
 */
export class Watchdog {
  constructor(ms, onExpire) {
    this.ms = ms;
    this.onExpire = onExpire;
    this.last = Date.now();
    this._arm(ms);
  }

  _arm(ms) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const idle = Date.now() - this.last;
      if (idle >= this.ms) this.onExpire();
      else this._arm(this.ms - idle);
    }, ms);
  }

  /** Something arrived; `ms` optionally sets a new limit from now on. */
  kick(ms) {
    this.last = Date.now();
    if (ms != null && ms !== this.ms) {
      this.ms = ms;
      this._arm(ms);
    }
  }

  stop() {
    clearTimeout(this.timer);
  }
}

// ---- the connection ----

/**
 * One logical connection to Herald, whatever transport carries it. Keeps, per channel, the position last
 * delivered ({epoch, offset}) and its handlers; the outbox of publishes; and the transport in use.
 */
class Connection {
  constructor(base, options) {
    this.options = { ...DEFAULTS, ...options };
    this.base = base;
    this.env = {
      WebSocket: this.options.WebSocket || globalThis.WebSocket,
      EventSource: this.options.EventSource || globalThis.EventSource,
      fetch: this.options.fetch || globalThis.fetch?.bind(globalThis),
    };
    this._order = this.options.transports.filter(name => {
      if (!TRANSPORTS[name]) throw new TypeError(`unknown transport '${name}' (ws, sse, poll)`);
      return name === 'ws' ? !!this.env.WebSocket : name === 'sse' ? !!this.env.EventSource : true;
    });
    if (!this._order.length) throw new TypeError('no usable transport');
    this._channels = new Map();   // channel -> {handlers: Set, epoch, offset}
    this._listeners = new Map();  // event type -> Set of functions
    this._outbox = [];            // publishes not yet acknowledged, oldest first
    this._state = 'connecting';
    this._transport = null;
    this._index = 0;              // the transport being tried, in _order
    this._lastGood = null;        // the index of the last transport that worked: where each round starts
    this._proven = new Set();     // transports that have worked: given up only after fallbackAfter misses
    this._misses = new Map();     // transport name -> failed opens in a row since it last worked
    this._probe = null;           // a better transport being tried in the background (upgrade)
    this._attempts = 0;           // failed rounds since the last stable connection
    this._auth = { token: null, expires: null, fresh: false }; // the provider's last token
    this._onOnline = () => this._retryNow();
    globalThis.addEventListener?.('online', this._onOnline);
    // start after the caller's synchronous subscribes, so that the first stream already carries them all
    queueMicrotask(() => this._connect());
  }

  /** 'connecting' (never open yet), 'open', 'reconnecting' (was open, or is retrying) or 'closed'. */
  get state() {
    return this._state;
  }

  /** The transport in use or being tried: 'ws', 'sse' or 'poll'; null between attempts and once closed. */
  get transport() {
    return this._transport ? this._transport.name : null;
  }

  /**
   * Listens to 'state' ({state, transport}), 'gap' ({channel, requested, earliest, reset?, epoch?}), 'conflated'
   * (the same shape: offsets skipped because newer values replaced them while this client was behind) or 'error'
   * (a HeraldError; its `channel` says which subscription was refused). Returns a function that stops listening.
   */
  on(type, listener) {
    if (!this._listeners.has(type)) this._listeners.set(type, new Set());
    this._listeners.get(type).add(listener);
    return () => this._listeners.get(type).delete(listener);
  }

  _emit(type, value) {
    for (const listener of this._listeners.get(type) || []) {
      try {
        listener(value);
      } catch (e) {
        console.error('herald: a', type, 'listener failed', e);
      }
    }
  }

  /**
   * Delivers the channel's messages to `onMessage(envelope)`, each once and in order; envelope is
   * {channel, offset, id, event, data, ts}. `since` replays what history holds after that offset first (0: all
   * of it; `epoch` optionally names its stream). Handlers of one channel share its position, so `since` only
   * counts for the first. `presence: true` asks for the channel's 'join' and 'leave' events (protocol section
   * "Presence"; listen with on('join') and on('leave')); the connection options `user` (an id) and `info` (a small
   * object) say who this subscriber is in the channel's presence when it has no token. Returns a function that
   * unsubscribes.
   */
  subscribe(channel, onMessage, { since = null, epoch = null, presence = false } = {}) {
    if (!CHANNEL.test(channel)) throw new HeraldError('bad_channel', `not a channel name: ${channel}`);
    if (typeof onMessage !== 'function') throw new TypeError('onMessage must be a function');
    if (this._state === 'closed') throw new HeraldError('closed', 'the connection is closed');
    let ch = this._channels.get(channel);
    if (!ch) {
      ch = { handlers: new Set(), offset: since == null ? null : Number(since), epoch: epoch || null, presence: !!presence };
      this._channels.set(channel, ch);
      this._transport?.subscribe(channel);
    }
    const handler = envelope => onMessage(envelope);
    ch.handlers.add(handler);
    return () => {
      if (!ch.handlers.delete(handler) || ch.handlers.size || this._channels.get(channel) !== ch) return;
      this._channels.delete(channel);
      this._transport?.unsubscribe(channel);
    };
  }

  /**
   * Publishes `data` (any JSON value, or binary data: an ArrayBuffer, a typed array or DataView, a Blob, published as
   * a binary message, protocol section "Binary messages") on `channel` as `event` ('message' when null). Resolves
   * with the ack
   * {channel, offset, id, replayed} once the server has it. While disconnected the publish waits in a bounded queue
   * and is sent on reconnect; one sent when the connection dropped is sent again, with the same idempotency key
   * (generated per publish, or `options.idempotencyKey`), so the server publishes it once (protocol section
   * "Idempotent publish"; `replayed` is true when the server had it already). Rejects with a HeraldError: the
   * server's code, or 'queue_full', 'timeout', 'closed'.
   */
  publish(channel, event, data, options = {}) {
    if (this._state === 'closed') return Promise.reject(new HeraldError('closed', 'the connection is closed'));
    if (!CHANNEL.test(channel)) return Promise.reject(new HeraldError('bad_channel', `not a channel name: ${channel}`));
    if (this._outbox.length >= this.options.maxQueue) {
      return Promise.reject(new HeraldError('queue_full', `more than ${this.options.maxQueue} publishes waiting`));
    }
    return new Promise((resolve, reject) => {
      const item = {
        channel, event: event || 'message', data: data === undefined ? null : data, sent: false,
        idempotencyKey: options.idempotencyKey || newIdempotencyKey(),
      };
      item.settle = (error, ack) => {
        clearTimeout(item.timer);
        const i = this._outbox.indexOf(item);
        if (i >= 0) this._outbox.splice(i, 1);
        if (error) reject(error);
        else resolve(ack);
      };
      item.timer = setTimeout(() => item.settle(new HeraldError('timeout',
        `no ack within ${this.options.publishTimeout} ms (it may still have been published)`)),
      this.options.publishTimeout);
      this._outbox.push(item);
      this._flush();
    });
  }

  /**
   * Who is subscribed to `channel` (protocol section "Presence"): resolves with [{client, user?, info?}], read over
   * HTTP whatever the transport; rejects with a HeraldError (e.g. 'not_found' where presence is off, 'forbidden').
   */
  presence(channel) {
    return fetchPresence(this.env, this.base, channel, this.options.token ? this._auth.token : null);
  }

  /** A join or leave event: emitted as 'join' / 'leave' ({channel, client, user?, info?}) if the channel asked. */
  _presence(f) {
    if (!this._channels.get(f.channel)?.presence) return;
    const { type, ...event } = f;
    this._emit(type === 'join' ? 'join' : 'leave', event);
  }

  /** The presence query parameters of an SSE or long-poll request (protocol section "Presence"). */
  _presenceParams(url) {
    if ([...this._channels.values()].some(ch => ch.presence)) url.searchParams.set('presence', '1');
    if (this.options.user) url.searchParams.set('user', this.options.user);
    if (this.options.info) url.searchParams.set('info', JSON.stringify(this.options.info));
  }

  /** Closes the connection for good: no reconnect; waiting publishes reject with 'closed'. */
  close() {
    if (this._state === 'closed') return;
    clearTimeout(this._retryTimer);
    clearTimeout(this._stableTimer);
    globalThis.removeEventListener?.('online', this._onOnline);
    clearTimeout(this._refreshTimer);
    this._stopUpgrade();
    const t = this._transport;
    this._transport = null;
    t?.close();
    for (const item of [...this._outbox]) item.settle(new HeraldError('closed', 'the connection was closed'));
    this._setState('closed');
  }

  // ---- the transport state machine ----

  /** Emits a 'state' event when the state or the transport in use changes (fallback while open). */
  _setState(state) {
    const transport = this.transport;
    if (state === this._state && transport === this._shown) return;
    this._state = state;
    this._shown = transport;
    this._emit('state', { state, transport });
  }

  _connect() {
    if (this._state === 'closed') return;
    const name = this._order[this._index];
    const t = this._transport = new TRANSPORTS[name](this);
    if (!this.options.token) {
      t.open();
      return;
    }
    // a reconnect after a failure asks for a fresh token: the old one may be why it failed (expired, or a server
    // restarted with a new key)
    this._credentials(this._auth.suspect).then(
      () => { if (this._transport === t) t.open(); },
      e => { if (this._transport === t) this._down(t, `no token: ${e?.message || e}`); });
  }

  /**
   * The token to present: the provider's last one, or a new one when `force`, when there is none yet or when it
   * is about to expire. Arms the refresh before its expiry.
   */
  async _credentials(force = false) {
    const a = this._auth;
    if (!force && a.token && (a.expires == null || Date.now() < refreshAt(a.expires))) return a.token;
    if (!a.pending) {
      const provider = this.options.token;
      a.pending = Promise.resolve(typeof provider === 'function' ? provider() : provider).then(value => {
        const token = typeof value === 'string' ? value : value?.token;
        if (!token) throw new HeraldError('unauthorized', 'the token provider gave no token');
        a.token = token;
        a.expires = value?.expires ?? tokenExpiry(token);
        a.suspect = false;
        this._armRefresh();
        return token;
      }).finally(() => { a.pending = null; });
    }
    return a.pending;
  }

  /** Refreshes the token before it expires, and hands the new one to the transport in use. */
  _armRefresh() {
    clearTimeout(this._refreshTimer);
    if (this._auth.expires == null || this._state === 'closed') return;
    this._refreshTimer = setTimeout(() => this._refresh(), Math.max(0, refreshAt(this._auth.expires) - Date.now()));
  }

  /** Gets a fresh token (the server refused or is about to refuse the current one) and gives it to the transport. */
  _refresh() {
    if (!this.options.token || this._state === 'closed') return Promise.resolve();
    return this._credentials(true).then(
      () => this._transport?.refreshed?.(),
      e => this._emit('error', new HeraldError('unauthorized', `token refresh failed: ${e?.message || e}`)));
  }

  /**
   * A transport works. `proven`: it carried traffic; without it (SSE or poll with no channel yet) it is up for
   * publishing, but may still be given up for the next transport if its first stream shows nothing.
   */
  _up(t, proven = true) {
    if (t !== this._transport) return;
    if (proven && !t.proven) {
      t.proven = true;
      this._proven.add(t.name);
      this._misses.delete(t.name);
      this._lastGood = this._index;
    }
    if (t.up) return;
    t.up = true;
    this._wasOpen = true;
    clearTimeout(this._stableTimer);
    this._stableTimer = setTimeout(() => { this._attempts = 0; }, this.options.stableAfter);
    this._setState('open');
    this._armUpgrade();
    this._flush();
  }

  /**
   * A transport failed to open or dropped. Failing before it opened (refused, or no sign of life within
   * openTimeout) hands over to the next transport at once when it never worked, or when it worked but has now
   * failed to open fallbackAfter times in a row (a network that started blocking it). Otherwise wait a backoff
   * delay and start again from the last transport that worked. A round in which every transport failed is an
   * outage, not a block: the misses are forgotten, so the next rounds retry the last good transport alone again
   * rather than sweeping through every transport on every attempt.
   */
  _down(t, reason) {
    if (t === this._probe) {
      this._probeFailed(t);
      return;
    }
    if (t !== this._transport) return;
    t.close();
    this._transport = null;
    this._stopUpgrade();
    clearTimeout(this._stableTimer);
    this._auth.suspect = true;
    this._unsend();
    if (this._state === 'closed') return;
    const failedOpen = !t.proven;
    const misses = failedOpen ? (this._misses.get(t.name) || 0) + 1 : 0;
    if (failedOpen) this._misses.set(t.name, misses);
    const next = this._index + 1 < this._order.length;
    if (failedOpen && next && (!this._proven.has(t.name) || misses >= this.options.fallbackAfter)) {
      this._index++;
      this._connect();
      return;
    }
    if (failedOpen && !next) this._misses.clear(); // every transport failed: an outage
    this._index = this._lastGood ?? 0;
    const delay = backoffDelay(this._attempts++, this.options);
    // emitted on every failed round, so that a page can show when the next attempt comes
    this._state = this._wasOpen ? 'reconnecting' : 'connecting';
    this._shown = null;
    this._emit('state', { state: this._state, transport: null, reason, retryIn: delay });
    this._retryTimer = setTimeout(() => this._connect(), delay);
  }

  /**
   * The server is draining for a restart (WebSocket close 1012, SSE `herald-reconnect`, a poll answer with
   * `reconnect`; protocol section 9): reconnect at once, without backoff, on the same transport, resuming every
   * channel (another node takes it). A transport told so before it was ever up falls back to the backoff, so that a
   * draining node answering again is not hammered.
   */
  _restart(t, reason) {
    if (t !== this._transport) return;
    if (!t.up) {
      this._down(t, reason);
      return;
    }
    t.close();
    this._transport = null;
    this._stopUpgrade();
    this._unsend();
    if (this._state === 'closed') return;
    this._state = 'reconnecting';
    this._shown = null;
    this._emit('state', { state: this._state, transport: null, reason, retryIn: 0 });
    this._connect();
  }

  /** Publishes sent and not acknowledged (and not in an HTTP request still running) are sent again. */
  _unsend() {
    for (const item of this._outbox) {
      if (!item.posting) item.sent = false; // no ack came: send again on the next connection
    }
  }

  // ---- upgrade: back to a better transport once it works again ----

  /** On a transport below the first, schedules a probe of the better ones. */
  _armUpgrade() {
    clearTimeout(this._upgradeTimer);
    if (this._index === 0 || !this.options.upgradeInterval || this._state === 'closed') return;
    this._upgradeTimer = setTimeout(() => this._tryUpgrade(0), this.options.upgradeInterval);
  }

  _stopUpgrade() {
    clearTimeout(this._upgradeTimer);
    const probe = this._probe;
    this._probe = null;
    probe?.close();
  }

  /**
   * Probes the transport at `rank` in the background, with no channel on it: a WebSocket must answer a ping, an
   * SSE stream must show its first event. The transport in use goes on meanwhile. A failed probe tries the next
   * better one; when none is left, the next round comes after upgradeInterval.
   */
  _tryUpgrade(rank) {
    const current = this._transport;
    if (!current?.up || this._state !== 'open') return;
    if (rank >= this._index) {
      this._armUpgrade();
      return;
    }
    const Transport = TRANSPORTS[this._order[rank]];
    if (!Transport.canProbe?.(this)) { // long-polling is never better than what is in use
      this._tryUpgrade(rank + 1);
      return;
    }
    const probe = this._probe = new Transport(this);
    probe.probe = true;
    probe.rank = rank;
    const start = () => { if (this._probe === probe) probe.open(); };
    if (!this.options.token) start();
    else this._credentials().then(start, () => { if (this._probe === probe) this._probeFailed(probe); });
  }

  _probeFailed(probe) {
    this._probe = null;
    probe.close();
    this._tryUpgrade(probe.rank + 1);
  }

  /**
   * A probe worked: the better transport gets through again. Close the one in use and connect the better one,
   * which resumes every channel from its last offset (nothing lost; offsets already delivered are dropped), and
   * sends again the publishes not acknowledged yet (at least once, as on every reconnect).
   */
  _probed(probe) {
    if (probe !== this._probe) return;
    this._probe = null;
    probe.close();
    const old = this._transport;
    this._transport = null;
    old?.close();
    this._unsend();
    this._index = probe.rank;
    this._connect();
  }

  /** The network is back ('online'): retry now instead of waiting out the backoff. */
  _retryNow() {
    if (this._transport || this._state === 'closed') return;
    clearTimeout(this._retryTimer);
    this._connect();
  }

  /** Sends what waits in the outbox, in order, if a transport is up. */
  _flush() {
    const t = this._transport;
    if (!t?.up) return;
    for (const item of this._outbox) {
      if (!item.sent && !t.publish(item)) return; // the transport takes one at a time (HTTP): it calls again
    }
  }

  // ---- what transports deliver ----

  /** The resume token of every channel whose position is known (section 6.1). */
  _token() {
    return formatToken([...this._channels].filter(([, ch]) => ch.offset != null));
  }

  /** Positions the server reports (an SSE id, a poll cursor) for channels whose position is still unknown. */
  _adopt(token) {
    for (const [channel, p] of parseToken(token)) {
      const ch = this._channels.get(channel);
      if (!ch || Number.isNaN(p.offset)) continue;
      if (ch.offset == null) Object.assign(ch, p);
      else if (!ch.epoch && ch.offset === p.offset) ch.epoch = p.epoch;
    }
  }

  /** WebSocket `subscribed`: where a live-only subscription starts, and the channel's epoch. */
  _subscribed(channel, offset, epoch) {
    const ch = this._channels.get(channel);
    if (!ch) return;
    if (ch.offset == null) Object.assign(ch, { offset, epoch });
    else if (!ch.epoch) ch.epoch = epoch;
  }

  /**
   * A gap (section 5): what is lost, or with `reset` a new stream whose offsets start again; with `conflated`
   * (section "Slow consumers") offsets skipped on purpose for a newer envelope: a 'conflated' event, not a loss.
   */
  _gap(gap) {
    const ch = this._channels.get(gap.channel);
    if (!ch) return;
    if (gap.reset) {
      ch.epoch = gap.epoch; // forget every offset seen: the new stream reuses them
      ch.offset = gap.earliest - 1;
    } else {
      ch.offset = Math.max(ch.offset ?? 0, gap.earliest - 1);
    }
    this._emit(gap.conflated ? 'conflated' : 'gap', gap);
  }

  /** An envelope: delivered unless its offset was already delivered. */
  _envelope(envelope) {
    const ch = this._channels.get(envelope.channel);
    if (!ch) return;
    if (envelope.encoding === 'base64') { // a binary message over SSE or long-polling: the same bytes as over WS
      const { encoding, ...rest } = envelope;
      envelope = { ...rest, data: fromBase64(envelope.data) };
    }
    const { epoch, offset } = splitId(envelope.id);
    if (epoch && ch.epoch && epoch !== ch.epoch) {
      // a new stream the server did not announce (it always does): treat it as a reset all the same
      this._gap({ channel: envelope.channel, requested: (ch.offset ?? 0) + 1, earliest: offset, reset: true, epoch });
    } else if (ch.offset != null && offset <= ch.offset) {
      return; // seen already
    } else if (ch.offset != null && offset > ch.offset + 1) {
      this._gap({ channel: envelope.channel, requested: ch.offset + 1, earliest: offset });
    }
    ch.offset = offset;
    if (epoch) ch.epoch = epoch;
    for (const handler of [...ch.handlers]) {
      try {
        handler(envelope);
      } catch (e) {
        console.error('herald: a handler of', envelope.channel, 'failed', e);
      }
    }
  }
}

// ---- transports: each opens one wire, reports conn._up / conn._down, and hands over what arrives ----

/** Publishes one outbox item with HTTP POST (section 4), for the transports that only receive. */
class HttpPublisher {
  constructor(conn) {
    this.conn = conn;
    this.busy = false;
  }

  /** Takes one item at a time so publishes keep their order; returns false while one is in flight. */
  publish(item, t) {
    if (this.busy) return false;
    this.busy = true;
    item.sent = item.posting = true;
    const { conn } = this;
    let failed = false;
    // the channel in the query (protocol section 4): some containers refuse any path with a ':' in it
    const url = new URL('api/messages', conn.base);
    url.searchParams.set('channel', item.channel);
    url.searchParams.set('event', item.event);
    const binary = isBinary(item.data);
    const headers = { 'Content-Type': binary ? 'application/octet-stream' : 'application/json',
      'Idempotency-Key': item.idempotencyKey };
    if (conn.options.token && conn._auth.token) headers.Authorization = `Bearer ${conn._auth.token}`;
    conn.env.fetch(url, {
      method: 'POST', headers, body: binary ? item.data : JSON.stringify(item.data),
    }).then(async response => {
      const body = await response.json().catch(() => null);
      if (response.ok) {
        item.settle(null, { channel: body.channel, offset: body.offset, id: body.id,
          replayed: response.headers.get('Idempotent-Replayed') === 'true' });
      }
      else if (response.status >= 500) throw new Error(`HTTP ${response.status}`);
      else if (response.status === 401 && conn.options.token && !item.reauthorized) {
        item.reauthorized = true; // once: a fresh token, then the same publish again
        await conn._credentials(true);
        throw new Error('unauthorized');
      }
      else item.settle(new HeraldError(body?.error?.code || 'bad_request', body?.error?.message));
    }).catch(() => {
      failed = true;
      item.sent = false; // no answer: send it again
    }).finally(() => {
      this.busy = item.posting = false;
      // after a failure on a transport still in use, wait a little rather than hammer a server that is down
      if (failed && conn._transport === t) t.retry = setTimeout(() => conn._flush(), conn.options.reconnectDelay);
      else conn._flush();
    });
    return false;
  }
}

/** What SSE and long-polling share: they only receive, and publish with HTTP POST; any channel change renews. */
class ReceiveOnlyTransport {
  constructor(conn, name) {
    this.conn = conn;
    this.name = name;
    this.up = false;
    this.http = new HttpPublisher(conn);
  }

  unsubscribe(channel) {
    this.subscribe(channel);
  }

  publish(item) {
    return this.http.publish(item, this);
  }
}

/** WebSocket (section 7): subscribe, publish and ping frames on one socket. */
class WsTransport {
  constructor(conn) {
    this.conn = conn;
    this.name = 'ws';
    this.up = false;
    this.refs = 0;
    this.pending = new Map(); // ref -> outbox item awaiting its ack
  }

  open() {
    const { conn } = this;
    const url = new URL('ws', conn.base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const o = conn.options;
    this.watchdog = new Watchdog(o.openTimeout, () => conn._down(this, 'no frames'));
    try {
      this.ws = new conn.env.WebSocket(url.href);
    } catch (e) {
      queueMicrotask(() => conn._down(this, 'cannot open'));
      return;
    }
    this.ws.onopen = () => {
      if (o.token) {
        this.send({ type: 'auth', token: conn._auth.token, ref: 'auth' }); // the rest once it is accepted
      } else {
        this.start();
      }
    };
    this.ws.binaryType = 'arraybuffer';
    this.ws.onmessage = event => {
      this.lastSeen = Date.now();
      this.pingSent = null;
      const f = typeof event.data === 'string' ? JSON.parse(event.data) : parseBinaryFrame(event.data);
      if (o.token && !this.authed && !this.accepted(f)) return;
      if (this.probe) {
        conn._probed(this); // frames flow both ways: an upgrade may switch to WebSocket
        return;
      }
      if (!this.up) {
        this.watchdog.stop();
        this.pinger = setInterval(() => this.beat(), Math.min(o.heartbeatInterval, o.heartbeatTimeout) / 2);
      }
      conn._up(this);
      this.frame(f);
    };
    this.ws.onclose = event => {
      if (event?.code === 1012) conn._restart(this, 'service restart'); // a draining node: reconnect at once
      else conn._down(this, 'closed');
    };
  }

  /** A WebSocket can always be probed (upgrade): a ping and its pong prove it. */
  static canProbe() {
    return true;
  }

  /** Frames flow: prove it with a ping, and subscribe every channel (none on a probe). */
  start() {
    this.send({ type: 'ping', ref: 'hello' }); // the first reply proves frames flow both ways
    if (this.probe) return;
    for (const channel of this.conn._channels.keys()) this.subscribe(channel);
  }

  /**
   * Before the first `auth` frame is accepted: true once it is (then the connection starts); a refusal gets one
   * fresh token and one more try, then the connection is given up (and the backoff asks for a token again).
   */
  accepted(f) {
    if (f.ref !== 'auth') return false;
    if (f.type === 'authenticated') {
      this.authed = true;
      this.start();
      return true;
    }
    if (!this.retriedAuth) {
      this.retriedAuth = true;
      this.conn._credentials(true).then(token => this.send({ type: 'auth', token, ref: 'auth' }),
        () => this.conn._down(this, 'no token'));
    } else {
      this.conn._down(this, `unauthorized: ${f.message}`);
    }
    return false;
  }

  /** A fresh token: present it on the open socket, which goes on without reconnecting. */
  refreshed() {
    if (this.authed) this.send({ type: 'auth', token: this.conn._auth.token, ref: 'reauth' });
  }

  /**
   * A ping once the socket has been quiet for heartbeatInterval; dead if it is not answered within
   * heartbeatTimeout. Liveness is measured from the ping, not from the last frame, because a hidden tab may run
   * this timer only once a minute while frames (network events) still arrive at once.
   */
  beat() {
    const now = Date.now();
    const o = this.conn.options;
    if (this.pingSent != null) {
      if (now - this.pingSent >= o.heartbeatTimeout) this.conn._down(this, 'heartbeat timeout');
    } else if (now - this.lastSeen >= o.heartbeatInterval) {
      this.pingSent = now;
      this.send({ type: 'ping' });
    }
  }

  send(frame) {
    if (this.ws?.readyState === 1) this.ws.send(JSON.stringify(frame));
  }

  frame(f) {
    const { conn } = this;
    switch (f.type) {
      case 'message': conn._envelope(f); break;
      case 'gap': conn._gap(f); break;
      case 'join': case 'leave': conn._presence(f); break;
      case 'subscribed': conn._subscribed(f.channel, f.offset, f.epoch); break;
      case 'ack':
        this.pending.get(f.ref)?.settle(null, { channel: f.channel, offset: f.offset, id: f.id,
          replayed: f.replayed === true });
        break;
      case 'authenticated': {
        for (const channel of this.resubscribe || []) if (conn._channels.has(channel)) this.subscribe(channel);
        this.resubscribe = null;
        break;
      }
      case 'unsubscribed': {
        // the server ended a subscription the new token no longer allows
        if (f.code) conn._emit('error', Object.assign(new HeraldError(f.code, `unsubscribed from ${f.channel}`), { channel: f.channel }));
        break;
      }
      case 'error': {
        if (f.code === 'unauthorized' && conn.options.token) {
          // the token expired (no ref), or a subscribe was refused before the refresh: refresh, re-auth, retry
          if (f.ref?.startsWith('s:')) (this.resubscribe ||= new Set()).add(f.ref.slice(2));
          if (!f.ref || f.ref.startsWith('s:')) conn._refresh();
        }
        if (f.ref === 'reauth') {
          if (f.code === 'forbidden') conn._down(this, 'identity changed'); // a new subject needs a new connection
          break;
        }
        const item = this.pending.get(f.ref);
        if (item) item.settle(new HeraldError(f.code, f.message));
        else {
          const channel = f.ref?.startsWith('s:') ? f.ref.slice(2) : undefined; // a refused subscribe
          conn._emit('error', Object.assign(new HeraldError(f.code, f.message), { channel }));
        }
        break;
      }
      default: // pong, unsubscribed
    }
    if (f.ref) this.pending.delete(f.ref);
  }

  subscribe(channel) {
    const ch = this.conn._channels.get(channel);
    const frame = { type: 'subscribe', channel, ref: `s:${channel}` };
    if (ch.presence) frame.presence = true;
    if (this.conn.options.user) frame.user = this.conn.options.user;
    if (this.conn.options.info) frame.info = this.conn.options.info;
    if (ch.offset != null) Object.assign(frame, { since: ch.offset }, ch.epoch ? { epoch: ch.epoch } : {});
    this.send(frame);
  }

  unsubscribe(channel) {
    this.send({ type: 'unsubscribe', channel });
  }

  publish(item) {
    const ref = `p${++this.refs}`;
    this.pending.set(ref, item);
    item.sent = true;
    const frame = { type: 'publish', channel: item.channel, event: item.event, ref,
      idempotencyKey: item.idempotencyKey };
    if (isBinary(item.data)) {
      if (this.ws?.readyState === 1) this.ws.send(binaryFrame(frame, item.data));
    } else {
      this.send({ ...frame, data: item.data });
    }
    return true;
  }

  close() {
    this.watchdog?.stop();
    clearInterval(this.pinger);
    if (this.ws) {
      this.ws.onopen = this.ws.onmessage = this.ws.onclose = null;
      this.ws.close();
    }
  }
}

/**
 * Server-Sent Events in Herald mode (sections 6, 6.3): one EventSource carries every channel; publishes go by
 * HTTP POST. Adding or removing a channel reopens the stream with a resume token composed from the positions,
 * so nothing is lost or repeated across the switch. EventSource's own reconnection is not used: a failed stream
 * is closed and Herald's backoff applies, as on every transport.
 */
class SseTransport extends ReceiveOnlyTransport {
  constructor(conn) {
    super(conn, 'sse');
  }

  open() {
    const { conn } = this;
    this.es?.close();
    this.watchdog?.stop();
    const channels = [...conn._channels.keys()];
    if (!channels.length) {
      if (this.probe) conn._down(this, 'no channel to probe with');
      else conn._up(this, false); // nothing to receive; publishing works over HTTP
      return;
    }
    const url = new URL('sse', conn.base);
    for (const channel of channels) url.searchParams.append('channel', channel);
    url.searchParams.set('mode', 'herald');
    conn._presenceParams(url);
    const token = this.probe ? '' : conn._token();
    if (token) url.searchParams.set('lastEventId', token);
    const o = conn.options;
    if (o.token && conn._auth.token) url.searchParams.set('token', conn._auth.token);
    this.watchdog = new Watchdog(o.openTimeout, () => conn._down(this, this.up ? 'heartbeat timeout' : 'no events'));
    const es = this.es = new conn.env.EventSource(url.href);
    if (this.probe) {
      // any event proves that the stream is not buffered; the switch resumes from the positions, not from here
      const proved = () => conn._probed(this);
      es.onmessage = proved;
      for (const type of ['herald-heartbeat', 'herald-gap', 'herald-error']) es.addEventListener(type, proved);
      es.onerror = () => conn._down(this, 'stream failed');
      return;
    }
    const alive = () => {
      this.watchdog.kick((this.interval || o.heartbeatInterval) + o.heartbeatTimeout);
      conn._up(this);
    };
    es.onmessage = event => {
      alive();
      conn._envelope(JSON.parse(event.data));
    };
    es.addEventListener('herald-gap', event => {
      alive();
      conn._gap(JSON.parse(event.data));
    });
    for (const type of ['join', 'leave']) {
      es.addEventListener(`herald-${type}`, event => {
        alive();
        conn._presence({ type, ...JSON.parse(event.data) });
      });
    }
    es.addEventListener('herald-heartbeat', event => {
      this.interval = JSON.parse(event.data).interval;
      alive();
      conn._adopt(event.lastEventId); // the positions of channels that have had no message yet
    });
    es.addEventListener('herald-reconnect', () => {
      es.onerror = null; // the draining node ends the stream now: reconnect at once, resuming (section 9)
      es.close();
      conn._restart(this, 'service restart');
    });
    es.addEventListener('herald-error', event => {
      // the stream's token expired (section 6): reopen with a fresh one, resuming where it stopped
      const error = JSON.parse(event.data);
      es.onerror = null; // the server ends the stream now: not a failure to back off from
      es.close();
      if (error.code !== 'unauthorized' || !o.token) {
        conn._down(this, error.message);
        return;
      }
      conn._refresh().then(() => {
        if (conn._transport === this && this.es === es) conn._down(this, 'token refresh failed');
      });
    });
    es.onerror = () => conn._down(this, 'stream failed');
  }

  /** A probe needs a channel: an SSE stream without one shows no event. */
  static canProbe(conn) {
    return conn._channels.size > 0;
  }

  /** A fresh token: reopen the stream with it; the resume token makes the switch lossless. */
  refreshed() {
    if (this.conn._transport === this) this.open();
  }

  /** The channel set changed: reopen once, after the caller's other synchronous changes. */
  subscribe() {
    if (this.reopening) return;
    this.reopening = true;
    queueMicrotask(() => {
      this.reopening = false;
      if (this.conn._transport === this) this.open();
    });
  }

  close() {
    this.watchdog?.stop();
    clearTimeout(this.retry);
    this.es?.close();
    this.es = null;
  }
}

/**
 * HTTP long-polling (section 6.2), for proxies that buffer event streams: GET poll with the resume token as
 * `since`, apply the answer's gaps then its messages, poll again with its cursor. Publishes go by HTTP POST.
 */
class PollTransport extends ReceiveOnlyTransport {
  constructor(conn) {
    super(conn, 'poll');
  }

  open() {
    this.closed = false;
    this.loop();
  }

  async loop() {
    const { conn } = this;
    const o = conn.options;
    while (!this.closed) {
      const channels = [...conn._channels.keys()];
      if (!channels.length) {
        conn._up(this, false);
        await new Promise(resolve => { this.wake = resolve; });
        continue;
      }
      const url = new URL('poll', conn.base);
      for (const channel of channels) url.searchParams.append('channel', channel);
      const token = conn._token();
      if (token) url.searchParams.set('since', token);
      if (o.token && conn._auth.token) url.searchParams.set('token', conn._auth.token);
      conn._presenceParams(url);
      const request = this.request = new AbortController();
      // a poll the server holds is alive: after openTimeout without an answer or an error, count it as open
      const held = setTimeout(() => conn._up(this), o.openTimeout);
      const deadline = setTimeout(() => request.abort(), o.pollTimeout + o.heartbeatTimeout);
      let answer;
      try {
        const response = await conn.env.fetch(url, { signal: request.signal, cache: 'no-store' });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        answer = await response.json();
      } catch (e) {
        if (!this.closed && !request.changed) conn._down(this, request.signal.aborted ? 'poll timeout' : 'poll failed');
      } finally {
        clearTimeout(held);
        clearTimeout(deadline);
      }
      if (!answer || this.closed) continue;
      conn._up(this);
      for (const gap of answer.gaps) conn._gap(gap);
      for (const envelope of answer.messages) conn._envelope(envelope);
      for (const event of answer.presence || []) conn._presence(event);
      conn._adopt(answer.cursor);
      if (answer.reconnect) conn._restart(this, 'service restart'); // a draining node (section 9)
    }
  }

  /** The channel set changed: abandon the held poll and poll again with the new set. */
  subscribe() {
    if (this.request) {
      this.request.changed = true;
      this.request.abort();
    }
    this.wake?.();
  }

  close() {
    this.closed = true;
    clearTimeout(this.retry);
    this.request?.abort();
    this.wake?.();
  }
}

const TRANSPORTS = { ws: WsTransport, sse: SseTransport, poll: PollTransport };

function pick(object, ...keys) {
  return Object.fromEntries(keys.filter(k => object[k]).map(k => [k, object[k]]));
}

/** The entry point. */
export const Herald = {
  /**
   * Connects to the Herald at `url`, the base of its context (default: where this file was served from, so
   * `Herald.connect()` just works on a page served by Herald). Options: see DEFAULTS above and docs/client.md;
   * `Herald.connect(options)` takes the default url. Unless `share` is false, the connection is shared with the
   * other tabs (herald-share.js): the object returned has the same interface, plus `shared` and `leader`.
   */
  connect(url, options = {}) {
    if (url != null && typeof url === 'object' && !(url instanceof URL)) [url, options] = [undefined, url];
    const base = new URL(url ?? './', url == null ? import.meta.url : globalThis.location?.href);
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    const mode = shareMode(options);
    if (mode) {
      // the connection of this tab when it is elected leader; replaced classes (tests) stay with it
      const here = (b, o) => new Connection(new URL(b), { ...o, ...pick(options, 'WebSocket', 'EventSource', 'fetch'), share: false });
      return new SharedConnection(base, { ...DEFAULTS, ...options }, mode, here);
    }
    return new Connection(base, options);
  },
};

globalThis.Herald = globalThis.Herald || Herald; // for plain <script> pages: see docs/client.md
