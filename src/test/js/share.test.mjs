// Unit tests of herald-share.js (docs/client.md, "Many tabs, one connection"): reference counting, leader election
// with Web Locks and with a BroadcastChannel heartbeat, and tabs sharing one connection through a leader tab, in
// Node with an in-memory BroadcastChannel and lock manager, fake WebSockets and a manual clock. The "tabs" are
// several SharedConnections in one process; each has its own BroadcastChannel objects, as each tab would.
import { test, beforeEach, afterEach, mock } from 'node:test';
import assert from 'node:assert/strict';
import { FakeWebSocket, FakeEventSource, ManualClock, envelope, fakeFetch, importHerald, settle } from './fakes.mjs';

const { Herald } = await importHerald();
const { RefCounts, HeartbeatElection, LockElection, identity, shareName, shareMode } = await importHerald('herald-share.js');
const BASE = 'http://herald.test/ctx/';
const clock = new ManualClock();
let fetch;
let locks;
let tabs;

/** BroadcastChannel in one process: a message reaches every other open object of the same name, a task later. */
class MemoryBroadcastChannel {
  static open = new Set();

  constructor(name) {
    this.name = name;
    MemoryBroadcastChannel.open.add(this);
  }

  postMessage(data) {
    const copy = structuredClone(data);
    for (const other of MemoryBroadcastChannel.open) {
      if (other !== this && other.name === this.name) {
        queueMicrotask(() => { if (MemoryBroadcastChannel.open.has(other)) other.onmessage?.({ data: copy }); });
      }
    }
  }

  close() {
    MemoryBroadcastChannel.open.delete(this);
  }
}

/** The Web Locks API's exclusive locks: granted in request order; a pending request can be aborted by its signal. */
class MemoryLocks {
  constructor() {
    this.held = new Set();
    this.queues = new Map();
  }

  request(name, options, callback) {
    if (typeof options === 'function') [options, callback] = [{}, options];
    return new Promise((resolve, reject) => {
      const entry = { callback, resolve, reject };
      if (!this.queues.has(name)) this.queues.set(name, []);
      const queue = this.queues.get(name);
      options.signal?.addEventListener('abort', () => {
        const i = queue.indexOf(entry);
        if (i >= 0) {
          queue.splice(i, 1);
          reject(new Error('AbortError'));
        }
      });
      queue.push(entry);
      this.grant(name);
    });
  }

  grant(name) {
    const queue = this.queues.get(name);
    if (this.held.has(name) || !queue?.length) return;
    const entry = queue.shift();
    this.held.add(name);
    queueMicrotask(async () => {
      try {
        entry.resolve(await entry.callback({ name }));
      } catch (e) {
        entry.reject(e);
      } finally {
        this.held.delete(name);
        this.grant(name);
      }
    });
  }
}

beforeEach(() => {
  clock.install();
  mock.method(Math, 'random', () => 0.999);
  FakeWebSocket.instances = [];
  MemoryBroadcastChannel.open.clear();
  fetch = fakeFetch();
  locks = new MemoryLocks();
  tabs = [];
});

afterEach(() => {
  for (const tab of tabs) tab.close();
  clock.uninstall();
  mock.restoreAll();
});

/** A tab: herald.js connected with share 'leader', over fake WebSockets. */
function tab(options = {}) {
  const herald = Herald.connect(BASE, {
    share: 'leader', transports: ['ws'], WebSocket: FakeWebSocket, EventSource: FakeEventSource, fetch,
    BroadcastChannel: MemoryBroadcastChannel, locks, ...options,
  });
  tabs.push(herald);
  return herald;
}

/** Lets the tabs, the relay and the lock manager exchange everything pending. */
async function quiet() {
  for (let i = 0; i < 5; i++) await settle();
}

/** The WebSocket of the shared connection, opened, with `channel` at `latest` when given. */
function openSocket(ws = FakeWebSocket.last) {
  ws.open();
  ws.frame({ type: 'pong', ref: 'hello' });
  return ws;
}

// ---- pure parts ----

test('reference counts: the first tab subscribes a channel, the last one leaves it, a closed tab counts out', () => {
  const refs = new RefCounts();
  assert.equal(refs.add('a', 't1'), true);
  assert.equal(refs.add('a', 't2'), false);
  assert.equal(refs.add('a', 't2'), false, 'a tab counts once');
  assert.equal(refs.add('b', 't2'), true);
  assert.equal(refs.remove('a', 't1'), false);
  assert.deepEqual([...refs.tabs('a')], ['t2']);
  assert.equal(refs.remove('a', 't1'), false, 'twice is once');
  assert.deepEqual(refs.drop('t2').sort(), ['a', 'b']);
  assert.deepEqual(refs.channels(), []);
  assert.equal(refs.remove('zzz', 't9'), false);
});

test('share names: one per Herald, identity and transports; identities from JWT subjects, else the token', () => {
  const jwt = sub => `h.${Buffer.from(JSON.stringify({ iss: 'i', sub })).toString('base64url')}.s`;
  assert.equal(identity(jwt('ada')), 'jwt:i:ada');
  assert.equal(identity(jwt('ada')), identity(`${jwt('ada').slice(0, -1)}other-signature`));
  assert.notEqual(identity('opaque-1'), identity('opaque-2'));
  const name = shareName('http://a/', 'anonymous', ['ws']);
  assert.equal(name, shareName('http://a/', 'anonymous', ['ws']));
  assert.notEqual(name, shareName('http://b/', 'anonymous', ['ws']));
  assert.notEqual(name, shareName('http://a/', identity(jwt('ada')), ['ws']));
  assert.notEqual(name, shareName('http://a/', 'anonymous', ['sse']));
});

test('share modes: a SharedWorker by default, else a leader tab; false, or replaced transports, opt out', () => {
  const both = { SharedWorker: class {}, BroadcastChannel: class {} };
  assert.equal(shareMode({}, both), 'worker');
  assert.equal(shareMode({ share: 'leader' }, both), 'leader');
  assert.equal(shareMode({}, { BroadcastChannel: class {} }), 'leader');
  assert.equal(shareMode({ share: 'worker' }, { BroadcastChannel: class {} }), 'leader', 'falls back');
  assert.equal(shareMode({ share: false }, both), false);
  assert.equal(shareMode({}, {}), false);
  assert.equal(shareMode({ WebSocket: class {} }, both), false);
});

// ---- leader election ----

test('Web Locks election: one leader; when it stops, the next tab that asked leads', async () => {
  const led = [];
  const elections = ['a', 'b', 'c'].map(id => new LockElection('herald:x', locks, () => led.push(id)));
  for (const e of elections) e.start();
  await quiet();
  assert.deepEqual(led, ['a']);
  elections[0].stop();
  await quiet();
  assert.deepEqual(led, ['a', 'b']);
  elections[2].stop(); // leaves before its turn: never leads
  elections[1].stop();
  await quiet();
  assert.deepEqual(led, ['a', 'b']);
});

test('heartbeat election: one leader after the timeout; it resigns and another leads; two leaders meet, one stays', async () => {
  const led = [];
  const lost = [];
  const make = id => new HeartbeatElection('herald:y', () => led.push(id), () => lost.push(id),
    { BroadcastChannel: MemoryBroadcastChannel, interval: 100, timeout: 300, id });
  const [a, b, c] = ['a', 'b', 'c'].map(make);
  for (const e of [a, b, c]) e.start();
  for (let t = 0; t < 10; t++) {
    clock.tick(100);
    await quiet();
  }
  assert.deepEqual(led, ['a'], 'the smallest id wins the simultaneous claims');
  assert.equal([a, b, c].filter(e => e.leading).length, 1);

  a.stop(); // says 'resign'
  await quiet();
  for (let t = 0; t < 3; t++) {
    clock.tick(100);
    await quiet();
  }
  assert.deepEqual(led, ['a', 'b']);
  assert.equal(c.leading, false);

  // a tab that led alone (a network of one) meets the leader: the greater id steps down
  const d = make('0');
  d.leading = true;
  d.channel = new MemoryBroadcastChannel(d.name);
  d.channel.onmessage = event => d.heard(event.data);
  clock.tick(100);
  await quiet();
  assert.deepEqual(lost, ['b']);
  assert.equal(b.leading, false);
  for (const e of [b, c, d]) e.stop();
});

// ---- tabs sharing one connection through a leader ----

test('many tabs, one socket: channels counted across tabs, each tab gets its own channels only', async () => {
  const [one, two] = [tab(), tab()];
  const got = { one: [], two: [] };
  const offOneA = one.subscribe('a', m => got.one.push(`a${m.offset}`));
  two.subscribe('a', m => got.two.push(`a${m.offset}`));
  two.subscribe('b', m => got.two.push(`b${m.offset}`));
  await quiet();
  assert.equal(FakeWebSocket.instances.length, 1, 'one socket for both tabs');
  assert.equal(one.leader, true);
  assert.equal(two.leader, false);
  const ws = openSocket();
  await quiet();
  assert.deepEqual(ws.sentOf('subscribe').map(f => f.channel).sort(), ['a', 'b'], 'each channel once');
  assert.equal(one.state, 'open');
  assert.equal(two.state, 'open');
  assert.equal(two.transport, 'ws');

  ws.frame({ type: 'subscribed', channel: 'a', offset: 0, epoch: 'ep1', ref: 's:a' });
  ws.frame({ type: 'subscribed', channel: 'b', offset: 0, epoch: 'ep1', ref: 's:b' });
  for (const e of [envelope('a', 1), envelope('b', 1), envelope('a', 2), envelope('a', 2)]) ws.frame({ type: 'message', ...e });
  await quiet();
  assert.deepEqual(got.one, ['a1', 'a2']);
  assert.deepEqual(got.two, ['a1', 'b1', 'a2']);

  offOneA(); // tab two still wants a
  await quiet();
  assert.deepEqual(ws.sentOf('unsubscribe'), []);
  ws.frame({ type: 'message', ...envelope('a', 3) });
  await quiet();
  assert.deepEqual(got.one, ['a1', 'a2']);
  assert.deepEqual(got.two, ['a1', 'b1', 'a2', 'a3']);

  two.close(); // the last tab of a and b
  await quiet();
  assert.deepEqual(ws.sentOf('unsubscribe').map(f => f.channel).sort(), ['a', 'b']);
});

test('a publish goes through the shared socket and its ack comes back to the tab that published', async () => {
  const [one, two] = [tab(), tab()];
  await quiet();
  const ws = openSocket();
  await quiet();
  const acks = { one: [], two: [] };
  two.publish('a', 'chat', { text: 'from two' }).then(ack => acks.two.push(ack.offset));
  await quiet();
  one.publish('a', 'chat', { text: 'from one' }).then(ack => acks.one.push(ack.offset));
  await quiet();
  const sent = ws.sentOf('publish');
  assert.deepEqual(sent.map(f => f.data.text), ['from two', 'from one']);
  ws.frame({ type: 'ack', ref: sent[1].ref, channel: 'a', offset: 8, id: 'ep1-8' });
  ws.frame({ type: 'ack', ref: sent[0].ref, channel: 'a', offset: 7, id: 'ep1-7' });
  await quiet();
  assert.deepEqual(acks, { one: [8], two: [7] });
});

test('a tab that joins behind the shared stream reads the rest from history first, then goes on live in order', async () => {
  const one = tab();
  const got = [];
  one.subscribe('a', () => {}, { since: 0 });
  await quiet();
  const ws = openSocket();
  ws.frame({ type: 'subscribed', channel: 'a', offset: 3, epoch: 'ep1', ref: 's:a' });
  for (const n of [1, 2, 3]) ws.frame({ type: 'message', ...envelope('a', n) });
  await quiet();

  const two = tab();
  two.subscribe('a', m => got.push(m.offset), { since: 0 });
  await quiet();
  ws.frame({ type: 'message', ...envelope('a', 4) }); // live, while tab two's history request is out
  await quiet();
  assert.deepEqual(got, [], 'held back until history is in');
  const request = fetch.requests.at(-1);
  assert.equal(request.url.pathname, '/ctx/api/messages');
  assert.deepEqual(Object.fromEntries(request.url.searchParams), { channel: 'a', since: '0', limit: '3' });
  request.answer(200, { channel: 'a', epoch: 'ep1', earliest: 1, latest: 4, messages: [1, 2, 3].map(n => envelope('a', n)) });
  await quiet();
  assert.deepEqual(got, [1, 2, 3, 4]);
  ws.frame({ type: 'message', ...envelope('a', 5) });
  await quiet();
  assert.deepEqual(got, [1, 2, 3, 4, 5]);
});

test('the leader tab closes: another tab leads within moments and resumes from the last offsets, nothing lost or twice', async () => {
  const [one, two, three] = [tab(), tab(), tab()];
  const got = { two: [], three: [] };
  one.subscribe('a', () => {}, { since: 0 });
  two.subscribe('a', m => got.two.push(m.offset), { since: 0 });
  three.subscribe('a', m => got.three.push(m.offset), { since: 0 });
  await quiet();
  const first = openSocket();
  first.frame({ type: 'subscribed', channel: 'a', offset: 0, epoch: 'ep1', ref: 's:a' });
  for (const n of [1, 2, 3]) first.frame({ type: 'message', ...envelope('a', n) });
  await quiet();
  const pending = two.publish('a', 'chat', 'sent as the leader left'); // never acknowledged by the first socket
  await quiet();
  assert.equal(first.sentOf('publish').length, 1);

  one.close();
  await quiet();
  assert.equal(first.closedByClient, true);
  assert.equal(two.leader, true, 'the next tab in line leads');
  assert.equal(two.state, 'connecting', 'waits for the new socket');
  const second = openSocket();
  await quiet();
  assert.deepEqual(second.sentOf('subscribe'), [{ type: 'subscribe', channel: 'a', since: 3, epoch: 'ep1', ref: 's:a' }]);
  assert.equal(second.sentOf('publish').length, 1, 'the unacknowledged publish is sent again');
  assert.equal(second.sentOf('publish')[0].idempotencyKey, first.sentOf('publish')[0].idempotencyKey,
    'with the key the tab gave it: the server publishes it once');
  second.frame({ type: 'ack', ref: second.sentOf('publish')[0].ref, channel: 'a', offset: 5, id: 'ep1-5' });
  for (const n of [3, 4, 5, 6]) second.frame({ type: 'message', ...envelope('a', n) });
  await quiet();
  assert.deepEqual((await pending).offset, 5);
  assert.deepEqual(got.two, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(got.three, [1, 2, 3, 4, 5, 6]);
  assert.equal(three.state, 'open');
});

test('a gap of the shared stream counts only for the tabs that had not seen the offsets yet', async () => {
  const [one, two] = [tab(), tab()];
  const gaps = { one: [], two: [] };
  one.on('gap', g => gaps.one.push([g.requested, g.earliest]));
  two.on('gap', g => gaps.two.push([g.requested, g.earliest]));
  one.subscribe('a', () => {}, { since: 2 });
  await quiet();
  two.subscribe('a', () => {}, { since: 10 }); // had more, from an earlier page
  const ws = openSocket();
  await quiet();
  ws.frame({ type: 'gap', channel: 'a', requested: 3, earliest: 8 });
  ws.frame({ type: 'message', ...envelope('a', 8) });
  await quiet();
  assert.deepEqual(gaps.one, [[3, 8]]);
  assert.deepEqual(gaps.two, []);
});

test('a SharedWorker that cannot start (herald-worker.js not served): the tabs elect a leader instead', async () => {
  class UnservedWorker {
    constructor() {
      this.port = { start() {}, close() {}, postMessage() {} };
      setImmediate(() => this.onerror?.({ type: 'error' })); // as a browser reports a worker script it could not load
    }
  }
  const warn = mock.method(console, 'warn', () => {});
  const [one, two] = [tab({ share: 'worker', SharedWorker: UnservedWorker }), tab({ share: 'worker', SharedWorker: UnservedWorker })];
  const got = [];
  two.subscribe('a', m => got.push(m.offset));
  await quiet();
  assert.equal(one.shared, 'leader');
  assert.equal(two.shared, 'leader');
  assert.equal(FakeWebSocket.instances.length, 1, 'still one connection for both');
  const ws = openSocket();
  ws.frame({ type: 'subscribed', channel: 'a', offset: 0, epoch: 'ep1', ref: 's:a' });
  ws.frame({ type: 'message', ...envelope('a', 1) });
  await quiet();
  assert.deepEqual(got, [1]);
  assert.equal(warn.mock.callCount(), 2);
});

test('a token provider that fails as the page loads is asked again with backoff; then the tab shares by identity', async () => {
  const jwt = sub => `h.${Buffer.from(JSON.stringify({ sub })).toString('base64url')}.s`;
  let calls = 0;
  const token = async () => {
    if (++calls === 1) throw new Error('token server down');
    return jwt('ada');
  };
  const states = [];
  const one = tab({ token });
  one.on('state', e => states.push(e.reason || e.state));
  await quiet();
  assert.equal(FakeWebSocket.instances.length, 0);
  assert.deepEqual(states, ['no token: token server down']);
  clock.tick(500);
  await quiet();
  assert.equal(FakeWebSocket.instances.length, 1, 'connected once the provider answered');
  const other = tab({ token: async () => jwt('linus') }); // another user: a connection of its own
  await quiet();
  assert.equal(FakeWebSocket.instances.length, 2);
  assert.equal(other.leader, true);
  assert.equal(one.leader, true);
});

test('history refused (no history capability): the offsets a late tab cannot read come as one gap, then live ones', async () => {
  const one = tab();
  one.subscribe('a', () => {}, { since: 0 });
  await quiet();
  const ws = openSocket();
  ws.frame({ type: 'subscribed', channel: 'a', offset: 2, epoch: 'ep1', ref: 's:a' });
  for (const n of [1, 2]) ws.frame({ type: 'message', ...envelope('a', n) });
  await quiet();
  const two = tab();
  const got = [];
  const gaps = [];
  two.on('gap', g => gaps.push([g.requested, g.earliest]));
  two.subscribe('a', m => got.push(m.offset), { since: 0 });
  await quiet();
  fetch.requests.at(-1).answer(403, { error: { code: 'forbidden', message: 'no history' } });
  await quiet();
  ws.frame({ type: 'message', ...envelope('a', 3) });
  await quiet();
  assert.equal(fetch.requests.length, 1, 'a refusal is not retried');
  assert.deepEqual(gaps, [[1, 3]]);
  assert.deepEqual(got, [3]);
});
