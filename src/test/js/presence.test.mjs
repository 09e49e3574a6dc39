// Unit tests of herald.js's presence (docs/protocol.md, "Presence"): herald.presence(channel), and join/leave
// events for subscriptions made with { presence: true }, on each transport. Run: node --test src/test/js/
import { test, beforeEach, afterEach, mock } from 'node:test';
import assert from 'node:assert/strict';
import { FakeEventSource, FakeWebSocket, ManualClock, fakeFetch, importHerald, settle } from './fakes.mjs';

const { Herald, HeraldError, fetchPresence } = await importHerald();
const URL_BASE = 'http://herald.test/ctx/';
const clock = new ManualClock();
let fetch;

beforeEach(() => {
  clock.install();
  mock.method(Math, 'random', () => 0.999);
  FakeWebSocket.instances = [];
  FakeEventSource.instances = [];
  fetch = fakeFetch();
});

afterEach(() => {
  clock.uninstall();
  mock.restoreAll();
});

function connect(options = {}) {
  return Herald.connect(URL_BASE, { WebSocket: FakeWebSocket, EventSource: FakeEventSource, fetch, ...options });
}

test('presence(channel) reads the list over HTTP in the query form and rejects with the server code', async () => {
  const herald = connect({ transports: ['ws'] });
  const list = herald.presence('chat:lobby');
  await settle();
  const request = fetch.requests.at(-1);
  assert.equal(request.url.pathname, '/ctx/api/presence');
  assert.equal(request.url.searchParams.get('channel'), 'chat:lobby');
  request.answer(200, { channel: 'chat:lobby', presence: [{ client: 'n-1', user: 'ann' }] });
  assert.deepEqual(await list, [{ client: 'n-1', user: 'ann' }]);

  const off = herald.presence('news:x');
  await settle();
  fetch.requests.at(-1).answer(404, { error: { code: 'not_found', message: 'presence is off' } });
  await assert.rejects(off, e => e instanceof HeraldError && e.code === 'not_found');
  await assert.rejects(herald.presence('bad channel'), e => e.code === 'bad_channel');
  herald.close();
});

test('fetchPresence, read by herald.js and the shared tabs alike: a bearer token only when given, no fetch for a bad name', async () => {
  const env = { fetch };
  const withToken = fetchPresence(env, URL_BASE, 'chat:lobby', 'tok-1');
  await settle();
  assert.deepEqual(fetch.requests.at(-1).init.headers, { Authorization: 'Bearer tok-1' });
  assert.equal(fetch.requests.at(-1).init.cache, 'no-store');
  fetch.requests.at(-1).answer(200, { channel: 'chat:lobby', presence: [] });
  assert.deepEqual(await withToken, []);
  const anonymous = fetchPresence(env, URL_BASE, 'chat:lobby', null);
  await settle();
  assert.deepEqual(fetch.requests.at(-1).init.headers, {});
  fetch.requests.at(-1).answer(403, { error: { code: 'forbidden', message: 'no presence capability' } });
  await assert.rejects(anonymous, e => e instanceof HeraldError && e.code === 'forbidden');
  const before = fetch.requests.length;
  await assert.rejects(fetchPresence(env, URL_BASE, 'bad channel', 'tok-1'), e => e.code === 'bad_channel');
  assert.equal(fetch.requests.length, before);
});

test('WebSocket: the subscribe frame asks for events with the user and info; join/leave reach on() listeners', async () => {
  const herald = connect({ transports: ['ws'], user: 'ann', info: { name: 'Ann' } });
  herald.subscribe('chat:a', () => {}, { presence: true });
  herald.subscribe('chat:b', () => {});
  const seen = [];
  herald.on('join', e => seen.push(['join', e]));
  herald.on('leave', e => seen.push(['leave', e]));
  await settle();
  const ws = FakeWebSocket.last;
  ws.open();
  const [a, b] = ws.sentOf('subscribe');
  assert.deepEqual([a.presence, a.user, a.info], [true, 'ann', { name: 'Ann' }]);
  assert.equal(b.presence, undefined);
  ws.frame({ type: 'join', channel: 'chat:a', client: 'n-2', user: 'bob' });
  ws.frame({ type: 'join', channel: 'chat:b', client: 'n-3', user: 'eve' }); // not asked for: ignored
  ws.frame({ type: 'leave', channel: 'chat:a', client: 'n-2', user: 'bob' });
  assert.deepEqual(seen, [['join', { channel: 'chat:a', client: 'n-2', user: 'bob' }],
    ['leave', { channel: 'chat:a', client: 'n-2', user: 'bob' }]]);
  herald.close();
});

test('SSE: presence=1 and user on the stream URL; herald-join and herald-leave events reach on() listeners', async () => {
  const herald = connect({ transports: ['sse'], user: 'ann' });
  herald.subscribe('chat:a', () => {}, { presence: true });
  const seen = [];
  herald.on('join', e => seen.push(e.user));
  herald.on('leave', e => seen.push(`-${e.user}`));
  await settle();
  const es = FakeEventSource.last;
  assert.equal(es.url.searchParams.get('presence'), '1');
  assert.equal(es.url.searchParams.get('user'), 'ann');
  es.event('herald-join', { channel: 'chat:a', client: 'n-2', user: 'bob' });
  es.event('herald-leave', { channel: 'chat:a', client: 'n-2', user: 'bob' });
  assert.deepEqual(seen, ['bob', '-bob']);
  herald.close();
});

test('long-poll: presence=1 on the poll; the answer\'s presence events reach on() listeners', async () => {
  const herald = connect({ transports: ['poll'] });
  herald.subscribe('chat:a', () => {}, { presence: true });
  const seen = [];
  herald.on('join', e => seen.push(e.user));
  await settle();
  const poll = fetch.requests.at(-1);
  assert.equal(poll.url.pathname, '/ctx/poll');
  assert.equal(poll.url.searchParams.get('presence'), '1');
  poll.answer(200, { cursor: 'chat:a=e-0', messages: [], gaps: [],
    presence: [{ type: 'join', channel: 'chat:a', client: 'n-2', user: 'bob' }] });
  await settle();
  assert.deepEqual(seen, ['bob']);
  herald.close();
});
