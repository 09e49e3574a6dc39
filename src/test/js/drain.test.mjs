// herald.js and a draining server (docs/protocol.md, section 9): WebSocket close 1012, SSE herald-reconnect and a
// long-poll answer with reconnect:true make the client reconnect at once (no backoff) and resume every channel.
// Run: node --test src/test/js/ (mvn verify runs it too).
import { test, beforeEach, afterEach, mock } from 'node:test';
import assert from 'node:assert/strict';
import {
  FakeEventSource, FakeWebSocket, ManualClock, envelope, fakeFetch, importHerald, settle,
} from './fakes.mjs';

const { Herald } = await importHerald();
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

/** The server closes the socket with `code`, as a draining node does with 1012. */
function closeWith(ws, code) {
  ws.readyState = 3;
  ws.onclose?.({ code, reason: 'service restart' });
}

test('WebSocket close 1012: a new socket at once, no backoff, every channel resumed from the last offset', async () => {
  const received = [];
  const states = [];
  const herald = connect({ transports: ['ws'] });
  herald.on('state', s => states.push(s));
  herald.subscribe('a', m => received.push(m.data));
  await settle();
  const ws = FakeWebSocket.last;
  ws.open();
  ws.frame({ type: 'subscribed', channel: 'a', offset: 4, epoch: 'ep1', ref: 's:a' });
  ws.frame({ type: 'message', ...envelope('a', 5) });

  closeWith(ws, 1012);
  await settle();
  assert.equal(FakeWebSocket.instances.length, 2, 'reconnected without any time passing');
  assert.deepEqual(states.at(-1), { state: 'reconnecting', transport: null, reason: 'service restart', retryIn: 0 });
  const again = FakeWebSocket.last;
  again.open();
  assert.deepEqual(again.sentOf('subscribe'), [{ type: 'subscribe', channel: 'a', since: 5, epoch: 'ep1', ref: 's:a' }]);
  again.frame({ type: 'subscribed', channel: 'a', offset: 6, epoch: 'ep1', ref: 's:a' });
  again.frame({ type: 'message', ...envelope('a', 6) });
  assert.deepEqual(received, [5, 6]);
  assert.equal(herald.state, 'open');
  herald.close();
});

test('WebSocket close 1012 before the socket was ever up: the usual backoff (a draining node is not hammered)', async () => {
  const herald = connect({ transports: ['ws'] });
  herald.subscribe('a', () => {});
  await settle();
  const ws = FakeWebSocket.last;
  ws.open();
  ws.frame({ type: 'pong', ref: 'hello' });
  closeWith(ws, 1012);
  await settle();
  const second = FakeWebSocket.last;
  assert.equal(FakeWebSocket.instances.length, 2);
  second.open();
  closeWith(second, 1012); // the same draining node again, before any frame
  await settle();
  assert.equal(FakeWebSocket.instances.length, 2, 'no immediate retry');
  clock.tick(499);
  assert.equal(FakeWebSocket.instances.length, 3, 'retried after the backoff');
  herald.close();
});

test('other close codes keep the backoff', async () => {
  const herald = connect({ transports: ['ws'] });
  await settle();
  const ws = FakeWebSocket.last;
  ws.open();
  ws.frame({ type: 'pong', ref: 'hello' });
  closeWith(ws, 1001);
  await settle();
  assert.equal(FakeWebSocket.instances.length, 1);
  clock.tick(499);
  assert.equal(FakeWebSocket.instances.length, 2);
  herald.close();
});

test('SSE herald-reconnect: the stream is closed and reopened at once with the positions as lastEventId', async () => {
  const received = [];
  const herald = connect({ transports: ['sse'] });
  herald.subscribe('p:A', m => received.push(m.offset));
  herald.subscribe('p:B', m => received.push(m.offset));
  await settle();
  const es = FakeEventSource.last;
  es.event('herald-heartbeat', { interval: 15000 }, 'p:A=e1-4,p:B=e2-0');
  es.event('message', envelope('p:A', 5, 'e1'));
  es.event('herald-reconnect', { reason: 'service restart' });
  assert.ok(es.closed, 'the old stream is closed');
  await settle();
  assert.equal(FakeEventSource.instances.length, 2, 'reopened without any time passing');
  const again = FakeEventSource.last;
  assert.equal(again.url.searchParams.get('lastEventId'), 'p:A=e1-5,p:B=e2-0');
  again.event('message', envelope('p:A', 5, 'e1'));
  again.event('message', envelope('p:A', 6, 'e1'));
  assert.deepEqual(received, [5, 6]);
  herald.close();
});

test('long-poll answer with reconnect:true: its messages applied, the next poll at once from the cursor', async () => {
  const received = [];
  const herald = connect({ transports: ['poll'] });
  herald.subscribe('a', m => received.push(m.data), { since: 2, epoch: 'e1' });
  await settle();
  fetch.requests[0].answer(200, { cursor: 'a=e1-3', gaps: [], messages: [envelope('a', 3, 'e1')] });
  await settle();
  assert.equal(fetch.requests.length, 2);
  fetch.requests[1].answer(200, { cursor: 'a=e1-4', gaps: [], messages: [envelope('a', 4, 'e1')], reconnect: true });
  await settle();
  await settle();
  assert.deepEqual(received, [3, 4]);
  assert.equal(fetch.requests.length, 3, 'polled again without any time passing');
  assert.equal(fetch.requests[2].url.searchParams.get('since'), 'a=e1-4');
  herald.close();
});
