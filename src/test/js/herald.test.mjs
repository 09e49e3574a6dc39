// Unit tests of herald.js's reconnect, backoff, resume and dedupe logic, in Node (18 or later) with fake
// transports and a manual clock. Run: node --test src/test/js/ (mvn verify runs them too). Sections refer to
// docs/protocol.md.
import { test, beforeEach, afterEach, mock } from 'node:test';
import assert from 'node:assert/strict';
import {
  FakeEventSource, FakeWebSocket, ManualClock, envelope, fakeFetch, importHerald, settle,
} from './fakes.mjs';

const { Herald, HeraldError, backoffDelay, formatToken, parseToken, splitId } = await importHerald();
const URL_BASE = 'http://herald.test/ctx/';
const clock = new ManualClock();
let fetch;

beforeEach(() => {
  clock.install();
  mock.method(Math, 'random', () => 0.999); // the longest delay full jitter allows, so tests can tick past it
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

/** A connection over WebSocket, opened and proven, with `channel` subscribed live at offset `latest`. */
async function openWs(channel, received, latest = 0, options = {}) {
  const herald = connect({ transports: ['ws'], ...options });
  herald.subscribe(channel, m => received.push(m.data));
  await settle();
  const ws = FakeWebSocket.last;
  ws.open();
  ws.frame({ type: 'subscribed', channel, offset: latest, epoch: 'ep1', ref: `s:${channel}` });
  return { herald, ws };
}

// ---- pure helpers ----

test('backoff: full jitter below a ceiling that doubles per attempt and is capped', () => {
  const o = { reconnectDelay: 500, maxReconnectDelay: 30000 };
  assert.equal(backoffDelay(0, o, () => 0), 0);
  assert.equal(backoffDelay(0, o, () => 0.999), 499);
  assert.equal(backoffDelay(1, o, () => 0.999), 999);
  assert.equal(backoffDelay(3, o, () => 0.5), 2000);
  assert.equal(backoffDelay(10, o, () => 0.999), 29970);
  assert.equal(backoffDelay(5000, o, () => 0.999), 29970);
});

test('tokens and ids (section 6.1): channel=epoch-offset entries, the epoch optional', () => {
  assert.deepEqual(splitId('k3x9-42'), { epoch: 'k3x9', offset: 42 });
  assert.deepEqual(splitId('7'), { epoch: null, offset: 7 });
  const token = 'chat:lobby=k3x9-12,prices:ACME=40';
  assert.deepEqual([...parseToken(token)], [
    ['chat:lobby', { epoch: 'k3x9', offset: 12 }], ['prices:ACME', { epoch: null, offset: 40 }]]);
  assert.equal(formatToken(parseToken(token)), token);
  assert.equal(parseToken('').size, 0);
});

// ---- state, resume and dedupe over WebSocket ----

test('states: connecting, open on the first frame, reconnecting after a drop, closed', async () => {
  const states = [];
  const herald = connect({ transports: ['ws'] });
  herald.on('state', s => states.push(s.state));
  assert.equal(herald.state, 'connecting');
  await settle();
  FakeWebSocket.last.open();
  assert.equal(herald.state, 'connecting', 'an open socket is not enough: frames must flow');
  FakeWebSocket.last.frame({ type: 'pong', ref: 'hello' });
  assert.equal(herald.state, 'open');
  assert.equal(herald.transport, 'ws');
  FakeWebSocket.last.drop();
  assert.equal(herald.state, 'reconnecting');
  herald.close();
  assert.deepEqual(states, ['open', 'reconnecting', 'closed']);
  clock.tick(60000);
  assert.equal(FakeWebSocket.instances.length, 1, 'no reconnect once closed');
});

test('resume: after a drop every channel is subscribed again from the last offset seen, duplicates dropped', async () => {
  const received = [];
  const { ws } = await openWs('a', received, 5);
  assert.deepEqual(ws.sentOf('subscribe'), [{ type: 'subscribe', channel: 'a', ref: 's:a' }]);
  ws.frame({ type: 'message', ...envelope('a', 6) });
  ws.frame({ type: 'message', ...envelope('a', 7) });
  ws.drop();

  clock.tick(499);
  const again = FakeWebSocket.last;
  assert.notEqual(again, ws);
  again.open();
  assert.deepEqual(again.sentOf('subscribe'), [{ type: 'subscribe', channel: 'a', since: 7, epoch: 'ep1', ref: 's:a' }]);
  again.frame({ type: 'subscribed', channel: 'a', offset: 9, epoch: 'ep1' });
  for (const offset of [7, 8, 9, 9]) again.frame({ type: 'message', ...envelope('a', offset) });
  assert.deepEqual(received, [6, 7, 8, 9]);
});

test('a reset gap forgets the offsets seen: the new stream is delivered from its start', async () => {
  const received = [];
  const gaps = [];
  const { herald, ws } = await openWs('a', received, 0);
  herald.on('gap', g => gaps.push(g));
  for (const offset of [1, 2, 3]) ws.frame({ type: 'message', ...envelope('a', offset) });
  ws.drop();
  clock.tick(499);
  const again = FakeWebSocket.last;
  again.open();
  const gap = { type: 'gap', channel: 'a', requested: 4, earliest: 1, reset: true, epoch: 'ep2' };
  again.frame(gap);
  for (const offset of [1, 2]) again.frame({ type: 'message', ...envelope('a', offset, 'ep2', 10 + offset) });
  assert.deepEqual(received, [1, 2, 3, 11, 12]);
  assert.deepEqual(gaps, [gap]);

  again.drop();
  clock.tick(999);
  FakeWebSocket.last.open();
  assert.equal(FakeWebSocket.last.sentOf('subscribe')[0].since, 2);
  assert.equal(FakeWebSocket.last.sentOf('subscribe')[0].epoch, 'ep2');
});

test('a conflated gap is a conflated event, not a gap, and moves the resume position past it', async () => {
  const received = [];
  const gaps = [];
  const skipped = [];
  const { herald, ws } = await openWs('a', received, 0);
  herald.on('gap', g => gaps.push(g));
  herald.on('conflated', g => skipped.push(g));
  ws.frame({ type: 'message', ...envelope('a', 1) });
  ws.frame({ type: 'gap', channel: 'a', requested: 2, earliest: 9, conflated: true });
  ws.frame({ type: 'message', ...envelope('a', 9) });
  assert.deepEqual(received, [1, 9]);
  assert.deepEqual(gaps, [], 'not reported as loss');
  assert.deepEqual(skipped.map(g => [g.requested, g.earliest]), [[2, 9]]);
  ws.drop();
  clock.tick(499);
  FakeWebSocket.last.open();
  assert.equal(FakeWebSocket.last.sentOf('subscribe')[0].since, 9);
});

test('a jump in offsets is a gap; an envelope of another epoch without a gap counts as a reset', async () => {
  const received = [];
  const gaps = [];
  const { herald, ws } = await openWs('a', received, 0);
  herald.on('gap', g => gaps.push(g));
  ws.frame({ type: 'message', ...envelope('a', 1) });
  ws.frame({ type: 'gap', channel: 'a', requested: 2, earliest: 5 });
  ws.frame({ type: 'message', ...envelope('a', 5) });
  ws.frame({ type: 'message', ...envelope('a', 7) });
  ws.frame({ type: 'message', ...envelope('a', 1, 'ep9') });
  assert.deepEqual(received, [1, 5, 7, 1]);
  assert.deepEqual(gaps.map(g => [g.requested, g.earliest, !!g.reset]), [[2, 5, false], [6, 7, false], [8, 1, true]]);
});

test('subscribe with since replays from there; unsubscribe stops delivery and tells the server', async () => {
  const herald = connect({ transports: ['ws'] });
  const received = [];
  const off = herald.subscribe('a', m => received.push(m.offset), { since: 3 });
  await settle();
  const ws = FakeWebSocket.last;
  ws.open();
  assert.deepEqual(ws.sentOf('subscribe')[0], { type: 'subscribe', channel: 'a', since: 3, ref: 's:a' });
  ws.frame({ type: 'subscribed', channel: 'a', offset: 4, epoch: 'ep1' });
  ws.frame({ type: 'message', ...envelope('a', 4) });
  off();
  ws.frame({ type: 'message', ...envelope('a', 5) });
  assert.deepEqual(received, [4]);
  assert.deepEqual(ws.sentOf('unsubscribe'), [{ type: 'unsubscribe', channel: 'a' }]);
  assert.throws(() => herald.subscribe('bad name', () => {}), HeraldError);
});

// ---- backoff and dead connections ----

test('backoff grows while attempts fail and starts over after a stable connection', async () => {
  const herald = connect({ transports: ['ws'] });
  const delays = [];
  herald.on('state', s => { if (s.retryIn != null) delays.push(s.retryIn); });
  await settle();
  for (let i = 0; i < 4; i++) {
    const ws = FakeWebSocket.last;
    ws.drop();
    clock.tick(delays.at(-1) - 1);
    assert.equal(FakeWebSocket.last, ws, 'not before the delay');
    clock.tick(1);
    assert.notEqual(FakeWebSocket.last, ws);
  }
  assert.deepEqual(delays, [499, 999, 1998, 3996]);

  FakeWebSocket.last.open(); // open, but dropped before it was stable: the backoff goes on
  FakeWebSocket.last.frame({ type: 'pong' });
  FakeWebSocket.last.drop();
  assert.equal(delays.at(-1), 7992);
  clock.tick(7992);
  FakeWebSocket.last.open();
  FakeWebSocket.last.frame({ type: 'pong' });
  clock.tick(10000);
  FakeWebSocket.last.frame({ type: 'pong' });
  FakeWebSocket.last.drop();
  assert.equal(delays.at(-1), 499);
  herald.close();
});

test('WebSocket: a ping after each quiet interval; one unanswered within the timeout means dead', async () => {
  const { herald, ws } = await openWs('a', [], 0, { heartbeatInterval: 1000, heartbeatTimeout: 500 });
  for (let i = 0; i < 5; i++) {
    clock.tick(1000);
    ws.frame({ type: 'pong' });
  }
  assert.equal(ws.sentOf('ping').length, 6, 'the hello ping and one per interval');
  assert.equal(herald.state, 'open');
  clock.tick(1499);
  assert.equal(herald.state, 'open');
  clock.tick(1);
  assert.equal(herald.state, 'reconnecting');
  assert.ok(ws.closedByClient);
});

// ---- fallback ----

test('fallback: WebSocket blocked, then an SSE stream that delivers nothing, ends on long-polling', async () => {
  const herald = connect();
  herald.subscribe('a', () => {});
  await settle();
  FakeWebSocket.last.drop(); // refused before it opened
  assert.equal(herald.transport, 'sse');
  assert.equal(FakeEventSource.instances.length, 1);
  clock.tick(5000); // no event within openTimeout: a buffering proxy
  assert.ok(FakeEventSource.last.closed);
  assert.equal(herald.transport, 'poll');
  assert.equal(fetch.requests.length, 1);
  assert.equal(fetch.requests[0].url.pathname, '/ctx/poll');
  fetch.requests[0].answer(200, { cursor: 'a=ep1-0', messages: [], gaps: [] });
  await settle();
  assert.equal(herald.state, 'open');

  fetch.requests[1].fail(); // the server went away: long-polling worked, so it is retried, not abandoned
  await settle();
  assert.equal(herald.state, 'reconnecting');
  clock.tick(499);
  assert.equal(herald.transport, 'poll');
  assert.equal(FakeWebSocket.instances.length, 1);
  herald.close();
});

test('SSE up before any channel (for publishing) still falls back when its first stream shows nothing', async () => {
  const herald = connect({ transports: ['sse', 'poll'] });
  const events = [];
  herald.on('state', e => events.push(`${e.state}/${e.transport}`));
  await settle();
  assert.equal(herald.state, 'open', 'nothing to receive yet: up for publishing over HTTP');
  assert.equal(FakeEventSource.instances.length, 0);
  herald.subscribe('a', () => {});
  await settle();
  assert.equal(FakeEventSource.instances.length, 1);
  clock.tick(5000); // a buffering proxy: the stream never shows an event
  assert.equal(herald.transport, 'poll');
  assert.equal(fetch.requests.length, 1);
  fetch.requests[0].answer(200, { cursor: 'a=e-0', messages: [], gaps: [] });
  await settle();
  assert.deepEqual(events, ['open/sse', 'open/poll'], 'the switch of transport is an event, though still open');
  herald.close();
});

test('a transport that worked once is retried after an outage, not given up for the next one', async () => {
  const { herald, ws } = await openWs('a', []);
  ws.drop();
  clock.tick(499);
  FakeWebSocket.last.drop(); // the server is down: the proven WebSocket fails before opening
  assert.equal(FakeEventSource.instances.length, 0);
  clock.tick(999);
  assert.equal(FakeWebSocket.instances.length, 3);
  herald.close();
});

// ---- fallback after a transport that worked, and upgrade back (issue 13) ----

/** The state events as 'state/transport' strings. */
function recordStates(herald) {
  const events = [];
  herald.on('state', e => events.push(`${e.state}/${e.transport}`));
  return events;
}

test('a proven WebSocket refused fallbackAfter times in a row hands over to SSE, which resumes from the last offsets', async () => {
  const received = [];
  const { herald, ws } = await openWs('a', received, 0, { transports: ['ws', 'sse', 'poll'] });
  const states = recordStates(herald);
  for (const offset of [1, 2, 3]) ws.frame({ type: 'message', ...envelope('a', offset) });
  const acked = herald.publish('a', 'chat', 'queued');
  assert.equal(ws.sentOf('publish').length, 1);
  ws.drop(); // the proxy cuts the socket: a drop, not yet a miss
  clock.tick(499);
  FakeWebSocket.last.drop(); // refused (403): miss 1, back off as for an outage
  assert.equal(FakeEventSource.instances.length, 0);
  assert.equal(herald.state, 'reconnecting');
  clock.tick(999);
  assert.equal(FakeWebSocket.instances.length, 3);
  FakeWebSocket.last.drop(); // miss 2 = fallbackAfter: SSE at once
  assert.equal(herald.transport, 'sse');
  const es = FakeEventSource.last;
  assert.equal(es.url.searchParams.get('lastEventId'), 'a=ep1-3');
  es.event('herald-heartbeat', { interval: 15000 }, 'a=ep1-3');
  assert.equal(herald.state, 'open');
  assert.deepEqual(states.filter(s => s.startsWith('open')), ['open/sse'], 'the state event names the transport');
  for (const offset of [3, 4]) es.event('message', envelope('a', offset));
  assert.deepEqual(received, [1, 2, 3, 4], 'each offset once, in order');

  await settle();
  const post = fetch.requests.find(r => r.url.pathname === '/ctx/api/messages');
  assert.ok(post, 'the publish that had no ack is sent again, by POST');
  assert.equal(post.init.headers['Idempotency-Key'], ws.sentOf('publish')[0].idempotencyKey,
    'the same idempotency key on the other transport: the server publishes it once');
  post.answer(201, { channel: 'a', offset: 5, id: 'ep1-5' }, { 'Idempotent-Replayed': 'true' });
  assert.deepEqual(await acked, { channel: 'a', offset: 5, id: 'ep1-5', replayed: true });
  herald.close();
});

test('an outage (every transport failing) backs off, starts each round from the transport that worked and sweeps rarely', async () => {
  const { herald, ws } = await openWs('a', [], 0, { transports: ['ws', 'sse', 'poll'] });
  const states = [];
  herald.on('state', e => states.push(e));
  ws.drop();
  const rounds = [];
  for (let round = 0; round < 6; round++) {
    clock.tick(backoffDelay(round, { reconnectDelay: 500, maxReconnectDelay: 30000 }, () => 0.999));
    await settle();
    const tried = [];
    while (herald.transport) { // fail whatever is tried until the round gives up and backs off
      const name = herald.transport;
      tried.push(name);
      if (name === 'ws') FakeWebSocket.last.drop();
      else if (name === 'sse') FakeEventSource.last.fail();
      else fetch.requests.at(-1).fail();
      await settle();
    }
    rounds.push(tried.join('>'));
  }
  assert.ok(states.every(s => s.state === 'reconnecting' && s.transport === null && s.retryIn >= 0),
    'never open during the outage, and every round backs off');
  // fallbackAfter (2) misses in a row sweep once through every transport; a sweep that finds nothing is an outage,
  // so the misses start over: the transport that worked is tried alone in between
  assert.deepEqual(rounds, ['ws', 'ws>sse>poll', 'ws', 'ws>sse>poll', 'ws', 'ws>sse>poll']);
  herald.close();
});

test('upgrade: on SSE, WebSocket is probed every upgradeInterval; once it answers, the page switches without loss or repeat', async () => {
  const received = [];
  const herald = connect({ upgradeInterval: 10000 });
  herald.subscribe('a', m => received.push(m.data));
  await settle();
  FakeWebSocket.last.drop(); // blocked
  const es = FakeEventSource.last;
  es.event('herald-heartbeat', { interval: 15000 }, 'a=ep1-0');
  for (const offset of [1, 2]) es.event('message', envelope('a', offset));
  const states = recordStates(herald);

  clock.tick(10000);
  const probe = FakeWebSocket.last;
  assert.equal(FakeWebSocket.instances.length, 2, 'a probe');
  assert.equal(herald.transport, 'sse', 'the page stays on SSE while it probes');
  probe.drop(); // still blocked
  assert.equal(herald.state, 'open');
  assert.ok(!es.closed);
  es.event('herald-heartbeat', { interval: 15000 }, 'a=ep1-2');
  es.event('message', envelope('a', 3));

  clock.tick(10000);
  const second = FakeWebSocket.last;
  assert.notEqual(second, probe);
  second.open();
  assert.deepEqual(second.sentOf('subscribe'), [], 'a probe subscribes nothing');
  es.event('message', envelope('a', 4)); // still delivered while the probe runs
  second.frame({ type: 'pong', ref: 'hello' });
  assert.ok(es.closed, 'the switch closes the SSE stream');
  assert.ok(second.closedByClient);
  const ws = FakeWebSocket.last;
  assert.notEqual(ws, second);
  ws.open();
  assert.deepEqual(ws.sentOf('subscribe'), [{ type: 'subscribe', channel: 'a', since: 4, epoch: 'ep1', ref: 's:a' }]);
  for (const offset of [4, 5]) ws.frame({ type: 'message', ...envelope('a', offset) });
  assert.deepEqual(received, [1, 2, 3, 4, 5]);
  assert.equal(herald.transport, 'ws');
  assert.deepEqual(states, ['open/ws'], 'the state event names the new transport; no reconnecting in between');

  clock.tick(10000); // on the first transport there is nothing to upgrade to: no more probes
  assert.equal(FakeWebSocket.instances.length, 4);
  assert.equal(herald.state, 'open');
  herald.close();
});

test('upgrade with a token: the probe authenticates before its ping; a switch refused after the probe hands back at once', async () => {
  const received = [];
  const herald = connect({ upgradeInterval: 10000, token: async () => 'T' });
  herald.subscribe('a', m => received.push(m.data));
  await settle();
  FakeWebSocket.last.open();
  FakeWebSocket.last.frame({ type: 'authenticated', ref: 'auth' });
  FakeWebSocket.last.frame({ type: 'subscribed', channel: 'a', offset: 0, epoch: 'ep1', ref: 's:a' });
  FakeWebSocket.last.frame({ type: 'message', ...envelope('a', 1) });
  FakeWebSocket.last.drop(); // cut by the proxy
  for (const tick of [499, 999]) { // refused twice: fallbackAfter
    clock.tick(tick);
    await settle();
    FakeWebSocket.last.drop();
    await settle();
  }
  assert.equal(herald.transport, 'sse');
  const es = FakeEventSource.last;
  assert.equal(es.url.searchParams.get('token'), 'T');
  es.event('herald-heartbeat', { interval: 15000 }, 'a=ep1-1');
  es.event('message', envelope('a', 2));

  clock.tick(10000);
  await settle();
  const probe = FakeWebSocket.last;
  probe.open();
  assert.deepEqual(probe.sent.map(f => f.type), ['auth']);
  probe.frame({ type: 'authenticated', ref: 'auth' });
  assert.ok(es.closed, 'authenticated: frames flow both ways');
  await settle();
  FakeWebSocket.last.drop(); // the proxy blocks again between the probe and the switch
  await settle();
  assert.equal(herald.transport, 'sse', 'handed back to SSE at once, no backoff');
  const again = FakeEventSource.last;
  assert.notEqual(again, es);
  assert.equal(again.url.searchParams.get('lastEventId'), 'a=ep1-2');
  again.event('message', envelope('a', 2));
  again.event('message', envelope('a', 3));
  assert.deepEqual(received, [1, 2, 3]);
  herald.close();
});

test('upgrade from long-polling probes WebSocket, then SSE; a page with upgradeInterval 0 never probes', async () => {
  const herald = connect({ upgradeInterval: 5000 });
  herald.subscribe('a', () => {});
  await settle();
  FakeWebSocket.last.drop();
  clock.tick(5000); // buffered SSE
  assert.equal(herald.transport, 'poll');
  fetch.requests[0].answer(200, { cursor: 'a=ep1-0', messages: [], gaps: [] });
  await settle();
  assert.equal(herald.state, 'open');

  clock.tick(5000);
  assert.equal(FakeWebSocket.instances.length, 2);
  FakeWebSocket.last.drop(); // WebSocket still blocked: SSE is probed next
  assert.equal(FakeEventSource.instances.length, 2);
  const probe = FakeEventSource.last;
  assert.equal(probe.url.searchParams.get('lastEventId'), null, 'a probe carries no resume token');
  probe.event('herald-heartbeat', { interval: 15000 }, 'a=ep1-0');
  assert.ok(probe.closed);
  assert.equal(herald.transport, 'sse');
  const es = FakeEventSource.last;
  assert.notEqual(es, probe);
  assert.equal(es.url.searchParams.get('lastEventId'), 'a=ep1-0');
  herald.close();

  FakeWebSocket.instances = [];
  const never = connect({ upgradeInterval: 0, transports: ['ws', 'sse'] });
  never.subscribe('a', () => {});
  await settle();
  FakeWebSocket.last.drop();
  FakeEventSource.last.event('herald-heartbeat', { interval: 15000 }, 'a=ep1-0');
  clock.tick(20000);
  assert.equal(FakeWebSocket.instances.length, 1);
  never.close();
});

// ---- SSE and long-polling ----

test('SSE: one EventSource for all channels; heartbeat positions let a reconnect resume every channel', async () => {
  const herald = connect({ transports: ['sse'] });
  const received = [];
  for (const c of ['p:A', 'p:B', 'p:C']) herald.subscribe(c, m => received.push(`${m.channel}#${m.offset}`));
  await settle();
  assert.equal(FakeEventSource.instances.length, 1);
  const es = FakeEventSource.last;
  assert.deepEqual(es.url.searchParams.getAll('channel'), ['p:A', 'p:B', 'p:C']);
  assert.equal(es.url.searchParams.get('mode'), 'herald');
  assert.equal(es.url.searchParams.get('lastEventId'), null);
  es.event('herald-heartbeat', { interval: 15000 }, 'p:A=e1-4,p:B=e2-0,p:C=e3-9');
  assert.equal(herald.state, 'open');
  es.event('message', envelope('p:A', 5, 'e1'));
  es.event('message', envelope('p:A', 5, 'e1'));
  es.fail();
  clock.tick(499);
  const again = FakeEventSource.last;
  assert.equal(again.url.searchParams.get('lastEventId'), 'p:A=e1-5,p:B=e2-0,p:C=e3-9');
  again.event('message', envelope('p:C', 10, 'e3'));
  assert.deepEqual(received, ['p:A#5', 'p:C#10']);
  herald.close();
});

test('SSE: a new channel reopens the stream with a token composed from the positions', async () => {
  const herald = connect({ transports: ['sse'] });
  herald.subscribe('a', () => {});
  await settle();
  FakeEventSource.last.event('herald-heartbeat', { interval: 15000 }, 'a=e1-3');
  herald.subscribe('b', () => {});
  herald.subscribe('c', () => {});
  await settle();
  assert.equal(FakeEventSource.instances.length, 2);
  assert.ok(FakeEventSource.instances[0].closed);
  assert.deepEqual(FakeEventSource.last.url.searchParams.getAll('channel'), ['a', 'b', 'c']);
  assert.equal(FakeEventSource.last.url.searchParams.get('lastEventId'), 'a=e1-3');
  assert.equal(herald.state, 'open');
  herald.close();
});

test('long-polling: gaps before messages, duplicates dropped, the next poll resumes from the positions', async () => {
  const herald = connect({ transports: ['poll'] });
  const received = [];
  herald.subscribe('a', m => received.push(m.data), { since: 2, epoch: 'old' });
  await settle();
  assert.equal(fetch.requests[0].url.searchParams.get('since'), 'a=old-2');
  fetch.requests[0].answer(200, {
    cursor: 'a=new-2',
    gaps: [{ channel: 'a', requested: 3, earliest: 1, reset: true, epoch: 'new' }],
    messages: [envelope('a', 1, 'new'), envelope('a', 2, 'new'), envelope('a', 2, 'new')],
  });
  await settle();
  assert.deepEqual(received, [1, 2]);
  assert.equal(fetch.requests[1].url.searchParams.get('since'), 'a=new-2');
  herald.close();
});

// ---- publishing ----

test('publish while disconnected: queued, sent on reconnect, resolved by the ack', async () => {
  const herald = connect({ transports: ['ws'] });
  const acked = herald.publish('a', 'chat', { text: 'hi' });
  await settle();
  const ws = FakeWebSocket.last;
  ws.open();
  assert.equal(ws.sentOf('publish').length, 0, 'not before frames flow');
  ws.frame({ type: 'pong', ref: 'hello' });
  const [frame] = ws.sentOf('publish');
  assert.match(frame.idempotencyKey, /^[!-~]{1,128}$/, 'an idempotency key per publish');
  assert.deepEqual({ ...frame, ref: undefined, idempotencyKey: undefined },
    { type: 'publish', channel: 'a', event: 'chat', data: { text: 'hi' }, ref: undefined, idempotencyKey: undefined });
  ws.drop(); // no ack came: sent again on the next connection
  clock.tick(499);
  const again = FakeWebSocket.last;
  again.open();
  again.frame({ type: 'pong', ref: 'hello' });
  const resent = again.sentOf('publish')[0];
  assert.equal(resent.idempotencyKey, frame.idempotencyKey, 'sent again with the same key');
  again.frame({ type: 'ack', ref: resent.ref, channel: 'a', offset: 1, id: 'ep1-1', replayed: true });
  assert.deepEqual(await acked, { channel: 'a', offset: 1, id: 'ep1-1', replayed: true });
  const other = herald.publish('a', 'chat', 'two', { idempotencyKey: 'order-42' });
  const sent = again.sentOf('publish')[1];
  assert.equal(sent.idempotencyKey, 'order-42', 'a key the application gives is used as is');
  assert.notEqual(sent.idempotencyKey, frame.idempotencyKey);
  again.frame({ type: 'ack', ref: sent.ref, channel: 'a', offset: 2, id: 'ep1-2' });
  assert.equal((await other).replayed, false);
  herald.close();
});

test('publish rejects beyond the queue bound, after the timeout, on a server error and once closed', async () => {
  const herald = connect({ transports: ['ws'], maxQueue: 2, publishTimeout: 3000 });
  const first = herald.publish('a', null, 1);
  const second = herald.publish('a', null, 2);
  await assert.rejects(herald.publish('a', null, 3), { code: 'queue_full' });
  clock.tick(3000);
  await assert.rejects(first, { code: 'timeout' });
  await assert.rejects(second, { code: 'timeout' });

  await settle();
  FakeWebSocket.last.open();
  FakeWebSocket.last.frame({ type: 'pong' });
  const refused = herald.publish('a', 'x', 1);
  const { ref } = FakeWebSocket.last.sentOf('publish')[0];
  FakeWebSocket.last.frame({ type: 'error', code: 'forbidden', message: 'no', ref });
  await assert.rejects(refused, { code: 'forbidden' });

  const pending = herald.publish('a', 'x', 2);
  herald.close();
  await assert.rejects(pending, { code: 'closed' });
  await assert.rejects(herald.publish('a', 'x', 3), { code: 'closed' });
});

test('over SSE, publishes are HTTP POSTs sent one at a time, in order, and retried when the network fails', async () => {
  const herald = connect({ transports: ['sse'] });
  const one = herald.publish('chat:x', 'chat', 'one');
  const two = herald.publish('chat:x', 'chat', 'two');
  await settle();
  assert.equal(fetch.requests.length, 1);
  const [post] = fetch.requests;
  assert.equal(post.init.method, 'POST');
  assert.equal(post.url.pathname, '/ctx/api/messages');
  assert.equal(post.url.searchParams.get('channel'), 'chat:x');
  assert.equal(post.url.searchParams.get('event'), 'chat');
  assert.equal(post.init.body, '"one"');
  const key = post.init.headers['Idempotency-Key'];
  assert.ok(key, 'an Idempotency-Key header');
  post.fail();
  await settle();
  assert.equal(fetch.requests.length, 1, 'waits before retrying');
  clock.tick(500);
  await settle();
  assert.equal(fetch.requests[1].init.headers['Idempotency-Key'], key, 'the retry has the same key');
  fetch.requests[1].answer(201, { channel: 'chat:x', offset: 1, id: 'e-1', event: 'chat', data: 'one', ts: 0 });
  assert.equal((await one).offset, 1);
  await settle();
  assert.equal(fetch.requests[2].init.body, '"two"');
  fetch.requests[2].answer(400, { error: { code: 'bad_request', message: 'no' } });
  await assert.rejects(two, { code: 'bad_request' });
  herald.close();
});

// ---- authentication (docs/security.md, "Token lifetime") ----

/** An unsigned JWT-shaped token with `exp` in epoch seconds: herald.js only reads `exp`, the server verifies. */
function jwt(sub, expMillis) {
  const part = o => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256' })}.${part({ sub, exp: Math.floor(expMillis / 1000) })}.sig`;
}

test('WebSocket with a token provider: auth first, subscribe once accepted, refresh before expiry and when told', async () => {
  const issued = [];
  const token = () => {
    const t = jwt('ann', Date.now() + 60000);
    issued.push(t);
    return Promise.resolve(t);
  };
  const herald = connect({ transports: ['ws'], token, heartbeatInterval: 1e9, heartbeatTimeout: 1e9 });
  herald.subscribe('chat:a', () => {});
  await settle();
  const ws = FakeWebSocket.last;
  ws.open();
  assert.deepEqual(ws.sent.map(f => f.type), ['auth'], 'nothing but the auth frame before it is accepted');
  assert.equal(ws.sent[0].token, issued[0]);
  ws.frame({ type: 'authenticated', subject: 'ann', ref: 'auth' });
  assert.deepEqual(ws.sent.map(f => f.type), ['auth', 'ping', 'subscribe']);
  assert.equal(herald.state, 'open');

  clock.tick(48000); // a fifth of the 60 s life before exp: 12 s before
  await settle();
  assert.equal(issued.length, 2, 'refreshed before expiry');
  assert.deepEqual(ws.sentOf('auth').at(-1), { type: 'auth', token: issued[1], ref: 'reauth' });

  ws.frame({ type: 'error', code: 'unauthorized', message: 'token expired; send a fresh auth frame' });
  await settle();
  assert.equal(issued.length, 3, 'refreshed when the server says the token expired');
  assert.equal(ws.sentOf('auth').at(-1).token, issued[2]);
  assert.equal(FakeWebSocket.instances.length, 1, 'the same socket throughout');
  herald.close();
});

test('SSE and long-poll carry the token in the query; a refused first token is replaced once', async () => {
  let n = 0;
  const herald = connect({ transports: ['sse'], token: async () => jwt(`t${++n}`, Date.now() + 600000) });
  herald.subscribe('chat:a', () => {});
  await settle();
  assert.equal(FakeEventSource.last.url.searchParams.get('token').split('.').length, 3);
  herald.close();

  let m = 0;
  const ws = connect({ transports: ['ws'], token: async () => `token-${++m}` });
  await settle();
  FakeWebSocket.last.open();
  FakeWebSocket.last.frame({ type: 'error', code: 'unauthorized', message: 'bad signature', ref: 'auth' });
  await settle();
  assert.deepEqual(FakeWebSocket.last.sentOf('auth').map(f => f.token), ['token-1', 'token-2']);
  ws.close();
});

// ---- binary messages (protocol section "Binary messages") ----

test('binary publish over WebSocket: one binary frame, a JSON header, a line feed, the bytes', async () => {
  const herald = connect({ transports: ['ws'] });
  await settle();
  const ws = FakeWebSocket.last;
  ws.open();
  ws.frame({ type: 'pong', ref: 'hello' });
  const acked = herald.publish('files:a', 'chunk', new Uint8Array([0, 10, 255]).subarray(1));
  const frame = ws.binarySent.at(-1);
  assert.ok(frame instanceof Uint8Array, 'sent as bytes, not text');
  const end = frame.indexOf(10);
  const header = JSON.parse(new TextDecoder().decode(frame.subarray(0, end)));
  assert.equal(header.type, 'publish');
  assert.equal(header.channel, 'files:a');
  assert.equal(header.event, 'chunk');
  assert.match(header.idempotencyKey, /^[!-~]{1,128}$/);
  assert.equal(header.data, undefined, 'the bytes are not in the header');
  assert.deepEqual([...frame.subarray(end + 1)], [10, 255], 'only the view\'s bytes');
  ws.frame({ type: 'ack', ref: header.ref, channel: 'files:a', offset: 1, id: 'e-1' });
  assert.equal((await acked).offset, 1);
});

test('binary messages arrive as ArrayBuffer from a binary frame and from base64 on SSE alike', async () => {
  const herald = connect({ transports: ['ws'] });
  const seen = [];
  herald.subscribe('files:a', m => seen.push(m));
  await settle();
  const ws = FakeWebSocket.last;
  ws.open();
  ws.frame({ type: 'pong', ref: 'hello' });
  ws.frame({ type: 'subscribed', channel: 'files:a', offset: 0, epoch: 'e' });
  const header = new TextEncoder().encode(JSON.stringify(
    { type: 'message', channel: 'files:a', offset: 1, id: 'e-1', event: 'chunk', ts: 5 }) + '\n');
  const bytes = new Uint8Array([...header, 1, 2, 10]);
  ws.onmessage({ data: bytes.buffer });
  herald._envelope({ channel: 'files:a', offset: 2, id: 'e-2', event: 'chunk', encoding: 'base64', data: 'AQIK', ts: 6 });
  assert.equal(seen.length, 2);
  for (const m of seen) {
    assert.ok(m.data instanceof ArrayBuffer);
    assert.deepEqual([...new Uint8Array(m.data)], [1, 2, 10]);
    assert.equal(m.encoding, undefined);
    assert.equal(m.event, 'chunk');
  }
  assert.deepEqual(seen.map(m => m.offset), [1, 2]);
});

test('binary publish over HTTP (SSE, long-polling): application/octet-stream with the bytes as the body', async () => {
  const herald = connect({ transports: ['poll'] });
  const acked = herald.publish('files:a', null, new Uint8Array([7, 8]).buffer);
  await settle();
  const post = fetch.requests.find(r => r.url.pathname === '/ctx/api/messages');
  assert.equal(post.init.headers['Content-Type'], 'application/octet-stream');
  assert.deepEqual([...new Uint8Array(post.init.body)], [7, 8]);
  post.answer(201, { channel: 'files:a', offset: 1, id: 'e-1', event: 'message', encoding: 'base64', data: 'Bwg=', ts: 0 });
  assert.equal((await acked).id, 'e-1');
});
