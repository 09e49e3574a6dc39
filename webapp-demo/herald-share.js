/*
 * herald-share.js: many tabs, one connection (docs/client.md, "Many tabs, one connection"). Part of herald.js,
 * which imports it; pages import herald.js only.
 *
 * A browser opens at most six HTTP/1.1 connections to one host, and every EventSource holds one for its life: a
 * seventh tab on SSE waits forever. So every tab of one origin that connects to the same Herald, as the same user,
 * shares one connection:
 * - a SharedWorker (herald-worker.js) holds it, where the browser has SharedWorker ('worker');
 * - elsewhere one tab is elected leader (Web Locks; without them a BroadcastChannel heartbeat) and holds it, relaying
 *   to the others over a BroadcastChannel ('leader'). When the leader closes or crashes, the next tab takes over and
 *   resumes every channel from the last offsets the tabs hold.
 *
 * Roles: the Relay holds the one Connection and counts, per channel, the tabs that subscribe it (RefCounts); each tab
 * has a SharedConnection, the object Herald.connect returns, which keeps its own position per channel and delivers
 * each of its channels' envelopes once and in order, as a Connection does. A tab that subscribes a channel the relay
 * already carries, from an offset behind the relay's, reads what it lacks from the history API (GET api/messages)
 * and holds live envelopes back meanwhile. Publishes go through the relay; the ack comes back to the publishing tab.
 *
 * Messages between tabs and the relay are plain objects with a type `t`; `from` names the sending tab, `to` the
 * receiving tab ('*': every tab), `relay` the relay that sent or is meant.
 */

// herald.js imports this file, and this file these from herald.js: used only once both have run, never at load.
import { HeraldError, fetchPresence, newIdempotencyKey, splitId } from './herald.js';

// ---- pure parts, exported for the unit tests in src/test/js ----

const CHANNEL = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;

/** A short random id for a tab or a relay. */
export function randomId() {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** A 53-bit string hash as base-36 (cyrb53): names, not secrets. Same-origin pages only ever see them. */
export function hash(text) {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/**
 * Who a token speaks for: `jwt:<iss>:<sub>` for a JWT with a subject (read, not verified: the server verifies),
 * else a hash of the token itself. Tabs of different identities never share a connection.
 */
export function identity(token) {
  try {
    const part = String(token).split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(part + '='.repeat((4 - part.length % 4) % 4)));
    if (claims.sub != null) return `jwt:${claims.iss ?? ''}:${claims.sub}`;
  } catch (e) {
    // not a JWT
  }
  return `token:${hash(String(token))}`;
}

/**
 * The name that tabs sharing one connection have in common: the Herald's base URL, the identity of the token (none:
 * anonymous) and the transports asked for. A different name is a different worker, lock and channel.
 */
export function shareName(base, who, transports) {
  return `herald:${hash(`${base}|${who}|${(transports || []).join(',')}`)}`;
}

/**
 * How a connection with these options is shared: 'worker', 'leader' or false (not shared). `share` true (the
 * default) takes the SharedWorker where there is one, else a leader tab; 'worker' and 'leader' ask for one, and fall
 * back to the other, then to false, when the browser lacks it. Replaced WebSocket, EventSource or fetch classes
 * cannot cross to a worker, so they turn the default off (a forced 'leader' keeps them, for tests).
 */
export function shareMode(options, env = globalThis) {
  const share = options.share ?? true;
  if (!share || share === 'off') return false;
  const worker = typeof (options.SharedWorker || env.SharedWorker) === 'function';
  const leader = typeof (options.BroadcastChannel || env.BroadcastChannel) === 'function';
  if (share === 'leader') return leader ? 'leader' : worker ? 'worker' : false;
  if (share === true && (options.WebSocket || options.EventSource || options.fetch)) return false;
  if (worker) return 'worker';
  return leader ? 'leader' : false;
}

/** Counts, per channel, the tabs that subscribe it; the relay subscribes a channel for the first, leaves it after the last. */
export class RefCounts {
  constructor() {
    this.byChannel = new Map(); // channel -> Set of tab ids
  }

  /** Adds `tab`'s interest; true when no tab had it before (subscribe the channel now). */
  add(channel, tab) {
    let tabs = this.byChannel.get(channel);
    const first = !tabs;
    if (first) this.byChannel.set(channel, tabs = new Set());
    tabs.add(tab);
    return first;
  }

  /** Removes `tab`'s interest; true when it was the last (leave the channel now). */
  remove(channel, tab) {
    const tabs = this.byChannel.get(channel);
    if (!tabs?.delete(tab) || tabs.size) return false;
    this.byChannel.delete(channel);
    return true;
  }

  /** Removes every interest of `tab` (it closed); returns the channels no tab wants any more. */
  drop(tab) {
    const left = [];
    for (const channel of [...this.byChannel.keys()]) if (this.remove(channel, tab)) left.push(channel);
    return left;
  }

  /** The tabs that subscribe `channel` (empty when none). */
  tabs(channel) {
    return this.byChannel.get(channel) || new Set();
  }

  /** The channels with at least one tab. */
  channels() {
    return [...this.byChannel.keys()];
  }
}

// ---- leader election ----

/**
 * Leader election with Web Locks: every tab asks for one exclusive lock; the browser grants it to one tab and, when
 * that tab closes or crashes, to the next that asked. `onLead` runs once, when this tab gets it; `stop` leaves.
 */
export class LockElection {
  constructor(name, locks, onLead) {
    this.name = name;
    this.locks = locks;
    this.onLead = onLead;
    this.leading = false;
  }

  start() {
    this.abort = new AbortController();
    this.locks.request(this.name, { signal: this.abort.signal }, () => {
      if (this.stopped) return null;
      this.leading = true;
      this.onLead();
      return new Promise(release => { this.release = release; }); // held until stop (or the tab goes)
    }).catch(() => {}); // aborted by stop
  }

  stop() {
    this.stopped = true;
    this.leading = false;
    this.abort?.abort();
    this.release?.();
  }
}

/**
 * Leader election without Web Locks, over a BroadcastChannel: the leader beats every `interval`; a tab that hears no
 * beat for `timeout` claims, and leads unless within `interval` it hears a beat or a claim from a smaller id (two
 * claims: the smaller id wins). A leader that hears another leader's beat with a smaller id steps down (`onLose`). A
 * leader that stops says so ('resign'), so that the next one need not wait out the timeout.
 */
export class HeartbeatElection {
  constructor(name, onLead, onLose = () => {}, {
    BroadcastChannel: Channel = globalThis.BroadcastChannel, interval = 1000, timeout = 3000, id = randomId(),
  } = {}) {
    Object.assign(this, { name: `${name}:election`, onLead, onLose, Channel, interval, timeout, id });
    this.leading = false;
    this.claimedAt = null;
  }

  start() {
    this.channel = new this.Channel(this.name);
    this.channel.onmessage = event => this.heard(event.data);
    this.lastBeat = Date.now(); // give a leader one timeout to show itself
    this.post('query');
    this.timer = setInterval(() => this.tick(), this.interval);
  }

  post(t) {
    this.channel.postMessage({ t, from: this.id });
  }

  heard(m) {
    if (m.t === 'beat' || (m.t === 'claim' && m.from < this.id)) {
      if (this.leading) {
        if (m.t === 'beat' && m.from < this.id) this.stepDown();
        else if (m.t === 'beat') this.post('beat'); // the other one steps down
        return;
      }
      this.lastBeat = Date.now();
      this.claimedAt = null;
    } else if ((m.t === 'query' || m.t === 'claim') && this.leading) {
      this.post('beat');
    } else if (m.t === 'resign' && !this.leading) {
      this.lastBeat = -Infinity;
      this.tick();
    }
  }

  tick() {
    const now = Date.now();
    if (this.leading) {
      this.post('beat');
    } else if (this.claimedAt != null) {
      if (now - this.claimedAt >= this.interval) {
        this.claimedAt = null;
        this.leading = true;
        this.post('beat');
        this.onLead();
      }
    } else if (now - this.lastBeat >= this.timeout) {
      this.claimedAt = now;
      this.post('claim');
    }
  }

  stepDown() {
    this.leading = false;
    this.lastBeat = Date.now();
    this.onLose();
  }

  stop() {
    clearInterval(this.timer);
    if (this.leading) this.post('resign');
    this.leading = false;
    this.channel?.close();
  }
}

// ---- the relay: the one connection, wherever it runs ----

/** Options that travel from a tab to the relay (structured-cloneable values; functions stay in the tab). */
export function portable(options) {
  const out = {};
  for (const [key, value] of Object.entries(options)) {
    if (['share', 'token', 'WebSocket', 'EventSource', 'fetch', 'SharedWorker', 'BroadcastChannel', 'locks'].includes(key)) continue;
    if (value == null || ['string', 'number', 'boolean'].includes(typeof value) || Array.isArray(value)) out[key] = value;
    else if (key === 'info' && typeof value === 'object') out[key] = JSON.parse(JSON.stringify(value)); // presence info
  }
  return out;
}

/**
 * Holds the one connection of a share name and serves the tabs that joined it. `link.send(to, message)` reaches one
 * tab (`to` its id) or every tab ('*'); `connect(base, options)` makes the Connection (herald.js, not shared);
 * `locks` (optional) tells when a tab is gone: each tab holds a lock named for it while it lives. Without locks, a
 * tab silent (no 'alive') for `silence` ms is taken as gone; one that speaks again is asked to join again.
 *
 * Called on one thread (the worker's, or the leader tab's); `receive` is the one entry point for tabs' messages.
 */
export class Relay {
  constructor(link, connect, { id = randomId(), locks = null, silence = 180000, broadcast = false } = {}) {
    Object.assign(this, { link, connect, id, locks, silence, broadcast });
    this.tabs = new Map();      // tab id -> {token: boolean, seen: ms}
    this.refs = new RefCounts();
    this.leave = new Map();     // channel -> the function that unsubscribes the connection from it
    this.conn = null;
    this.tokens = new Map();    // request id -> {resolve, reject, timer}
    this.requests = 0;
    this.watching = new AbortController();
    if (!locks) this.sweeper = setInterval(() => this.sweep(), Math.max(1000, silence / 4));
  }

  send(to, message) {
    this.link.send(to, { ...message, relay: this.id, to });
  }

  /** Tells every tab that this relay holds the connection (a new leader, or an answer to 'hello'). */
  announce(to = '*') {
    this.send(to, { t: 'leader' });
  }

  /** A message from tab `from`. */
  receive(from, m) {
    if (this.closed || !from) return;
    const tab = this.tabs.get(from);
    if (tab) tab.seen = Date.now();
    if (m.t === 'hello' || (!tab && m.t === 'alive')) {
      this.send(from, { t: 'leader', rejoin: m.t === 'alive' }); // a tab taken for gone joins again
      return;
    }
    if (m.t === 'join' && m.relay === this.id) {
      this.join(from, m);
      return;
    }
    if (!tab || m.relay !== this.id) return; // for another relay, or from a tab that has not joined
    switch (m.t) {
      case 'sub': this.subscribe(from, m.channel, m.offset, m.epoch, m.presence); break;
      case 'unsub': this.unsubscribe(from, m.channel); break;
      case 'pub': this.publish(from, m); break;
      case 'token': this.answered(m); break;
      case 'bye': this.drop(from); break;
      default: // alive
    }
  }

  join(from, m) {
    const known = this.tabs.has(from);
    this.tabs.set(from, { token: !!m.token, seen: Date.now() });
    if (!known) this.watch(from);
    if (!this.conn) this.open(m);
    this.send(from, { t: 'joined', state: this.conn.state, transport: this.conn.transport });
    for (const [channel, offset, epoch, presence] of m.subs) this.subscribe(from, channel, offset, epoch, presence);
    for (const p of m.pubs) this.publish(from, p);
  }

  open(m) {
    const options = { ...m.options };
    if (m.token) options.token = () => this.askToken();
    const conn = this.conn = this.connect(m.base, options);
    conn.on('state', e => this.send('*', { t: 'state', ...e }));
    conn.on('gap', gap => this.multicast(gap.channel, { t: 'gap', gap }));
    conn.on('conflated', gap => this.multicast(gap.channel, { t: 'gap', gap }));
    conn.on('join', event => this.multicast(event.channel, { t: 'join', event }));
    conn.on('leave', event => this.multicast(event.channel, { t: 'leave', event }));
    conn.on('error', e => {
      const error = { t: 'error', code: e.code, message: e.message, channel: e.channel };
      if (e.channel) this.multicast(e.channel, error);
      else this.send('*', error);
    });
  }

  /** To every tab that subscribes `channel`: one broadcast on a BroadcastChannel (tabs filter), else one per tab. */
  multicast(channel, message) {
    if (this.broadcast) this.send('*', message);
    else for (const tab of this.refs.tabs(channel)) this.send(tab, message);
  }

  /**
   * A tab's subscription: the first one of a channel subscribes the connection (asking for join/leave events if that
   * tab asked: the connection is one subscriber of the channel's presence for all its tabs).
   */
  subscribe(tab, channel, offset, epoch, presence = false) {
    if (!CHANNEL.test(channel)) return;
    if (this.refs.add(channel, tab)) {
      this.leave.set(channel, this.conn.subscribe(channel, envelope => this.multicast(channel, { t: 'msg', envelope }),
        { since: offset, epoch, presence: !!presence }));
      return;
    }
    // carried already: from where on the connection delivers it, so that a tab behind that reads the rest itself
    const position = this.conn._channels?.get(channel);
    this.send(tab, { t: 'pos', channel, offset: position?.offset ?? null, epoch: position?.epoch ?? null });
  }

  unsubscribe(tab, channel) {
    if (this.refs.remove(channel, tab)) this.leaveChannel(channel);
  }

  leaveChannel(channel) {
    this.leave.get(channel)?.();
    this.leave.delete(channel);
  }

  publish(tab, p) {
    this.conn.publish(p.channel, p.event, p.data, { idempotencyKey: p.idempotencyKey }).then(
      ack => this.send(tab, { t: 'ack', ref: p.ref, ack }),
      e => this.send(tab, { t: 'nack', ref: p.ref, code: e.code || 'internal', message: e.message }));
  }

  /** A token for the connection, from a tab that has a provider. */
  askToken() {
    const tabs = [...this.tabs].filter(([, t]) => t.token).map(([id]) => id);
    if (!tabs.length) return Promise.reject(new Error('no tab with a token provider'));
    const id = ++this.requests;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.tokens.delete(id);
        reject(new Error('no token from the tabs'));
      }, 15000);
      this.tokens.set(id, { resolve, reject, timer });
      this.send(tabs.at(-1), { t: 'token?', id });
    });
  }

  answered(m) {
    const request = this.tokens.get(m.id);
    if (!request) return;
    this.tokens.delete(m.id);
    clearTimeout(request.timer);
    if (m.error) request.reject(new Error(m.error));
    else request.resolve(m.value);
  }

  /** Learns when a tab is gone: its lock is free once it closed or crashed. */
  watch(tab) {
    if (!this.locks) return;
    this.locks.request(tabLock(tab), { signal: this.watching.signal }, () => this.drop(tab)).catch(() => {});
  }

  sweep() {
    const now = Date.now();
    for (const [tab, t] of [...this.tabs]) if (now - t.seen > this.silence) this.drop(tab);
  }

  /** A tab left or is gone: its subscriptions are counted out; with no tab left, the connection closes. */
  drop(tab) {
    if (!this.tabs.delete(tab)) return;
    this.link.forget?.(tab);
    for (const channel of this.refs.drop(tab)) this.leaveChannel(channel);
    if (!this.tabs.size && this.conn) {
      this.conn.close();
      this.conn = null;
      this.leave.clear();
    }
  }

  /** Stops serving (the leader leaves): the tabs wait for the next leader. */
  close() {
    if (this.closed) return;
    this.send('*', { t: 'resign' });
    this.closed = true;
    clearInterval(this.sweeper);
    this.watching.abort();
    this.conn?.close();
    this.conn = null;
  }
}

/** The lock a tab holds while it lives, so that a relay learns when it is gone. */
export function tabLock(tab) {
  return `herald-tab:${tab}`;
}

// ---- the tab's side ----

/**
 * What Herald.connect returns when the connection is shared: the same interface as a Connection (state, transport,
 * subscribe, publish, on, close), plus `shared` ('worker' or 'leader') and `leader` (this tab holds the connection).
 * `connectHere(base, options)` makes a Connection in this tab, for when this tab is elected leader.
 */
export class SharedConnection {
  constructor(base, options, mode, connectHere) {
    this.base = base;
    this.options = options;
    this.shared = mode;
    this.leader = false;
    this.id = randomId();
    this._connectHere = connectHere;
    this._channels = new Map();  // channel -> {handlers, offset, epoch, pending: null or [[kind, value]…]}
    this._listeners = new Map();
    this._outbox = new Map();    // ref -> publish waiting for its ack
    this._refs = 0;
    this._state = 'connecting';
    this._transport = null;
    this._relay = null;            // the id of the relay joined
    this._env = {
      SharedWorker: options.SharedWorker || globalThis.SharedWorker,
      BroadcastChannel: options.BroadcastChannel || globalThis.BroadcastChannel,
      locks: options.locks === undefined ? globalThis.navigator?.locks : options.locks,
      fetch: options.fetch || globalThis.fetch?.bind(globalThis),
    };
    // after the caller's synchronous code, as a Connection connects: its token provider may need it done
    this._started = Promise.resolve().then(() => this._start()).catch(e => {
      console.error('herald: cannot share the connection', e);
      this._emit('error', new HeraldError('unavailable', `cannot share the connection: ${e?.message || e}`));
    });
  }

  get state() {
    return this._state;
  }

  get transport() {
    return this._state === 'open' ? this._transport : null;
  }

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

  _setState(state, transport, extra = {}) {
    if (state === this._state && transport === this._transport && !extra.reason) return;
    this._state = state;
    this._transport = transport;
    this._emit('state', { state, transport: state === 'open' ? transport : null, shared: this.shared, ...extra });
  }

  async _start() {
    let who = 'anonymous';
    // the identity decides whom this tab shares with: until the provider gives a token, retry with backoff, as a
    // connection retries a provider that fails (the server that issues tokens may be down as the page loads)
    for (let attempt = 0; this.options.token && who === 'anonymous'; attempt++) {
      try {
        who = identity(await this._token());
      } catch (e) {
        if (this._state === 'closed') return;
        const o = this.options;
        const retryIn = Math.min(o.maxReconnectDelay, o.reconnectDelay * 2 ** Math.min(attempt, 30));
        this._emit('state', { state: this._state, transport: null, shared: this.shared, reason: `no token: ${e?.message || e}`, retryIn });
        await new Promise(resolve => setTimeout(resolve, retryIn));
      }
    }
    if (this._state === 'closed') return;
    // an anonymous tab's presence identity (options user/info) is part of whom it shares with
    if (who === 'anonymous' && this.options.user) who = `user:${this.options.user}:${JSON.stringify(this.options.info ?? null)}`;
    const name = this.name = shareName(this.base.href, who, this.options.transports);
    const { locks } = this._env;
    if (locks) {
      // the lock that tells the relay when this tab is gone: held before joining, released when the tab goes
      await new Promise(granted => {
        locks.request(tabLock(this.id), () => {
          granted();
          if (this._state === 'closed') return null;
          return new Promise(release => { this._releaseTab = release; });
        });
      });
    }
    if (this._state === 'closed') return;
    if (this.shared === 'worker') {
      try {
        const worker = new this._env.SharedWorker(new URL('./herald-worker.js', import.meta.url),
          { type: 'module', name });
        this._port = worker.port;
        this._port.onmessage = event => this._receive(event.data);
        this._port.start();
        // a worker that cannot start (its script not served, a browser that refuses module workers) tells the tab
        // with an error event, or says nothing at all: then the tabs elect a leader instead. The backstop is long:
        // a worker that answers late (a busy machine) is better than tabs that do not share
        worker.onerror = () => this._withoutWorker();
        this._workerTimer = setTimeout(() => this._withoutWorker(), Math.max(15000, 3 * this.options.openTimeout));
      } catch (e) {
        this._withoutWorker(e); // e.g. herald.js from another origin: a worker must be same-origin
      }
    }
    if (this.shared === 'leader') this._elect();
    if (!locks) this._alive = setInterval(() => this._post({ t: 'alive', relay: this._relay }), 5000);
    this._onHide = () => this.close();
    globalThis.addEventListener?.('pagehide', this._onHide);
    this._post({ t: 'hello' });
  }

  /** Shares through a leader tab, since the worker cannot be had (unless it has answered meanwhile). */
  _withoutWorker(error) {
    clearTimeout(this._workerTimer);
    if (this.shared !== 'worker' || this._relay || this._state === 'closed') return;
    if (!this._env.BroadcastChannel) throw error || new Error('the SharedWorker did not start');
    console.warn('herald: no SharedWorker (herald-worker.js), a leader tab holds the shared connection', error || '');
    this._port?.close();
    this._port = null;
    this.shared = 'leader';
    if (this._onHide) { // started already: join the election now
      this._elect();
      this._post({ t: 'hello' });
    }
  }

  /** Leader mode: the channel to the relay, and a vote in the election of the tab that holds it. */
  _elect() {
    const { locks } = this._env;
    this._channel = new this._env.BroadcastChannel(this.name);
    this._channel.onmessage = event => this._receive(event.data);
    this._election = locks ? new LockElection(this.name, locks, () => this._lead())
      : new HeartbeatElection(this.name, () => this._lead(), () => this._unlead(),
        { BroadcastChannel: this._env.BroadcastChannel });
    this._election.start();
  }

  /** Elected: hold the connection in this tab and tell the others. */
  _lead() {
    if (this._state === 'closed') return;
    this.leader = true;
    const channel = new this._env.BroadcastChannel(this.name);
    const relay = this._ownRelay = new Relay({ send: (to, m) => channel.postMessage(m) }, this._connectHere,
      { locks: this._env.locks, broadcast: true });
    channel.onmessage = event => relay.receive(event.data.from, event.data);
    relay.closeChannel = () => channel.close();
    relay.announce();
  }

  /** Another tab leads (two leaders met): give the connection up. */
  _unlead() {
    this.leader = false;
    this._ownRelay?.close();
    this._ownRelay?.closeChannel();
    this._ownRelay = null;
  }

  _post(m) {
    const message = { ...m, from: this.id };
    if (this._port) this._port.postMessage(message);
    else this._channel?.postMessage(message);
  }

  _receive(m) {
    if (this._state === 'closed' || (m.to !== '*' && m.to !== this.id)) return;
    if (m.t === 'leader') {
      clearTimeout(this._workerTimer);
      if (m.relay !== this._relay || m.rejoin) this._join(m.relay);
      return;
    }
    if (m.relay !== this._relay) return;
    switch (m.t) {
      case 'joined':
      case 'state':
        this._setState(m.state === 'closed' ? 'reconnecting' : m.state, m.transport,
          m.t === 'state' && m.reason ? { reason: m.reason, retryIn: m.retryIn } : {});
        break;
      case 'msg': this._envelope(m.envelope); break;
      case 'gap': this._queue(m.gap.channel, 'gap', m.gap); break;
      case 'join': case 'leave':
        if (this._channels.get(m.event.channel)?.presence) this._emit(m.t, m.event);
        break;
      case 'pos': this._position(m.channel, m.offset, m.epoch); break;
      case 'error': this._emit('error', Object.assign(new HeraldError(m.code, m.message), { channel: m.channel })); break;
      case 'ack': this._outbox.get(m.ref)?.settle(null, m.ack); break;
      case 'nack': this._outbox.get(m.ref)?.settle(new HeraldError(m.code, m.message)); break;
      case 'token?': {
        this._token(true).then(value => this._post({ t: 'token', relay: this._relay, id: m.id, value }),
          e => this._post({ t: 'token', relay: this._relay, id: m.id, error: String(e?.message || e) }));
        break;
      }
      case 'resign': {
        // the leader left: the next one announces itself and every tab joins it
        this._relay = null;
        if (this._state !== 'connecting') this._setState('reconnecting', null, { reason: 'the leader tab left' });
        break;
      }
      default:
    }
  }

  /** Joins relay `relay` with everything this tab has: its channels from their positions, its unacknowledged publishes. */
  _join(relay) {
    this._relay = relay;
    const subs = [...this._channels].map(([channel, ch]) => [channel, ch.offset, ch.epoch, ch.presence]);
    const pubs = [...this._outbox.values()].map(item => item.message);
    this._post({
      t: 'join', relay, base: this.base.href, options: portable(this.options), token: !!this.options.token, subs, pubs,
    });
  }

  /** The token provider's token (a string or {token, expires}). */
  async _token() {
    const provider = this.options.token;
    const value = await (typeof provider === 'function' ? provider() : provider);
    const token = typeof value === 'string' ? value : value?.token;
    if (!token) throw new HeraldError('unauthorized', 'the token provider gave no token');
    return typeof value === 'string' ? value : { token, expires: value.expires ?? null };
  }

  subscribe(channel, onMessage, { since = null, epoch = null, presence = false } = {}) {
    if (!CHANNEL.test(channel)) throw new HeraldError('bad_channel', `not a channel name: ${channel}`);
    if (typeof onMessage !== 'function') throw new TypeError('onMessage must be a function');
    if (this._state === 'closed') throw new HeraldError('closed', 'the connection is closed');
    let ch = this._channels.get(channel);
    if (!ch) {
      ch = {
        handlers: new Set(), offset: since == null ? null : Number(since), epoch: epoch || null, pending: null,
        presence: !!presence,
      };
      this._channels.set(channel, ch);
      if (this._relay) {
        this._post({ t: 'sub', relay: this._relay, channel, offset: ch.offset, epoch: ch.epoch, presence: ch.presence });
      }
    }
    const handler = envelope => onMessage(envelope);
    ch.handlers.add(handler);
    return () => {
      if (!ch.handlers.delete(handler) || ch.handlers.size || this._channels.get(channel) !== ch) return;
      this._channels.delete(channel);
      if (this._relay) this._post({ t: 'unsub', relay: this._relay, channel });
    };
  }

  /**
   * As Herald's publish, through the shared connection. The idempotency key is made here, by the publishing tab, so
   * that a publish this tab sends again to a new leader (the old one closed before the ack) is published once.
   */
  publish(channel, event, data, options = {}) {
    const o = this.options;
    if (this._state === 'closed') return Promise.reject(new HeraldError('closed', 'the connection is closed'));
    if (!CHANNEL.test(channel)) return Promise.reject(new HeraldError('bad_channel', `not a channel name: ${channel}`));
    if (this._outbox.size >= o.maxQueue) {
      return Promise.reject(new HeraldError('queue_full', `more than ${o.maxQueue} publishes waiting`));
    }
    return new Promise((resolve, reject) => {
      const ref = `${this.id}:${++this._refs}`;
      const message = {
        t: 'pub', ref, channel, event: event || 'message', data: data === undefined ? null : data,
        idempotencyKey: options.idempotencyKey || newIdempotencyKey(),
      };
      const item = { message };
      item.settle = (error, ack) => {
        clearTimeout(item.timer);
        this._outbox.delete(ref);
        if (error) reject(error);
        else resolve(ack);
      };
      item.timer = setTimeout(() => item.settle(new HeraldError('timeout',
        `no ack within ${o.publishTimeout} ms (it may still have been published)`)), o.publishTimeout);
      this._outbox.set(ref, item);
      if (this._relay) this._post({ ...message, relay: this._relay });
    });
  }

  close() {
    if (this._state === 'closed') return;
    globalThis.removeEventListener?.('pagehide', this._onHide);
    clearInterval(this._alive);
    clearTimeout(this._workerTimer);
    if (this._relay) this._post({ t: 'bye', relay: this._relay });
    this._unlead();
    this._election?.stop();
    this._channel?.close();
    this._port?.close();
    this._releaseTab?.();
    for (const item of [...this._outbox.values()]) item.settle(new HeraldError('closed', 'the connection was closed'));
    this._setState('closed', null);
  }

  // ---- delivery: each envelope of this tab's channels once and in order ----

  /** A live envelope: held back while this tab reads history for the channel, else taken. */
  _envelope(envelope) {
    const ch = this._channels.get(envelope.channel);
    if (!ch) return;
    if (ch.pending) {
      ch.pending.push(['msg', envelope]);
      return;
    }
    const { epoch, offset } = splitId(envelope.id);
    const sameStream = !epoch || !ch.epoch || epoch === ch.epoch;
    if (sameStream && ch.offset != null && offset > ch.offset + 1) {
      // the relay's stream is ahead of this tab: read what lies between, then go on
      ch.pending = [['msg', envelope]];
      this._catchUp(envelope.channel, ch, offset - 1);
      return;
    }
    this._take(envelope.channel, ch, envelope);
  }

  /** A gap from the relay, in its place among the envelopes. */
  _queue(channel, kind, value) {
    const ch = this._channels.get(channel);
    if (!ch) return;
    if (ch.pending) ch.pending.push([kind, value]);
    else this._gap(channel, ch, value);
  }

  /** The relay carries the channel from `offset` on: a tab behind reads the offsets up to it from history. */
  _position(channel, offset, epoch) {
    const ch = this._channels.get(channel);
    if (!ch || offset == null) return;
    if (ch.offset == null) {
      Object.assign(ch, { offset, epoch: ch.epoch || epoch });
      return;
    }
    if (ch.pending || offset <= ch.offset || (epoch && ch.epoch && epoch !== ch.epoch)) return;
    ch.pending = [];
    this._catchUp(channel, ch, offset);
  }

  /** Reads offsets after the channel's position up to `upTo` from the history API, then releases what was held. */
  async _catchUp(channel, ch, upTo) {
    try {
      for (let attempt = 0; ch.offset < upTo && this._channels.get(channel) === ch;) {
        let page;
        try {
          page = await this._history(channel, ch.offset, Math.min(1000, upTo - ch.offset));
        } catch (e) {
          // a refusal (no history capability: 401, 403) does not pass: what cannot be read counts as a gap
          if (++attempt >= 4 || (e.status >= 400 && e.status < 500) || this._state === 'closed') break;
          await new Promise(resolve => setTimeout(resolve, 250 * 2 ** attempt));
          continue;
        }
        if (page.epoch && ch.epoch && page.epoch !== ch.epoch) break; // another stream: its envelopes say reset
        const messages = page.messages.filter(m => m.offset > ch.offset && m.offset <= upTo);
        if (!messages.length) break;
        for (const envelope of messages) this._take(channel, ch, envelope);
      }
      if (this._channels.get(channel) === ch && ch.offset < upTo) {
        this._gap(channel, ch, { channel, requested: ch.offset + 1, earliest: upTo + 1 });
      }
    } finally {
      const held = ch.pending || [];
      ch.pending = null;
      for (const [kind, value] of held) {
        if (kind === 'msg') this._envelope(value);
        else this._queue(channel, kind, value);
      }
    }
  }

  /**
   * Who is subscribed to `channel` (protocol section "Presence"), read by this tab over HTTP as Herald's presence()
   * does: the shared connection is one entry of it for all its tabs.
   */
  async presence(channel) {
    let token = null;
    if (this.options.token && CHANNEL.test(channel)) {
      const value = await this._token();
      token = typeof value === 'string' ? value : value.token;
    }
    return fetchPresence(this._env, this.base, channel, token);
  }

  async _history(channel, since, limit) {
    const url = new URL('api/messages', this.base);
    url.searchParams.set('channel', channel);
    url.searchParams.set('since', String(since));
    url.searchParams.set('limit', String(limit));
    const headers = {};
    if (this.options.token) {
      const value = await this._token();
      headers.Authorization = `Bearer ${typeof value === 'string' ? value : value.token}`;
    }
    const response = await this._env.fetch(url, { headers, cache: 'no-store' });
    if (!response.ok) throw Object.assign(new Error(`history: HTTP ${response.status}`), { status: response.status });
    return response.json();
  }

  /** Delivers an envelope unless its offset was delivered already; a skipped offset or a new epoch is a gap. */
  _take(channel, ch, envelope) {
    const { epoch, offset } = splitId(envelope.id);
    if (epoch && ch.epoch && epoch !== ch.epoch) {
      this._gap(channel, ch, { channel, requested: (ch.offset ?? 0) + 1, earliest: offset, reset: true, epoch });
    } else if (ch.offset != null && offset <= ch.offset) {
      return;
    } else if (ch.offset != null && offset > ch.offset + 1) {
      this._gap(channel, ch, { channel, requested: ch.offset + 1, earliest: offset });
    }
    ch.offset = offset;
    if (epoch) ch.epoch = epoch;
    for (const handler of [...ch.handlers]) {
      try {
        handler(envelope);
      } catch (e) {
        console.error('herald: a handler of', channel, 'failed', e);
      }
    }
  }

  /** A gap, as this tab sees it: only what this tab has not had yet counts. */
  _gap(channel, ch, gap) {
    if (gap.reset) {
      if (ch.epoch === gap.epoch) return;
      ch.epoch = gap.epoch;
      ch.offset = gap.earliest - 1;
      this._emit(gap.conflated ? 'conflated' : 'gap', gap);
      return;
    }
    if (ch.offset != null && gap.earliest - 1 <= ch.offset) return;
    const requested = ch.offset == null ? gap.requested : ch.offset + 1;
    ch.offset = gap.earliest - 1;
    this._emit('gap', { ...gap, requested });
  }
}

