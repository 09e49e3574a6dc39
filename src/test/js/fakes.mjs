// Test doubles for herald.js in Node: a WebSocket, an EventSource and a fetch that the test plays the server of.
// Each records what the client did and lets the test answer, fail or stay silent.

/** A WebSocket whose server side the test drives: open(), frame(), drop(). */
export class FakeWebSocket {
  static instances = [];

  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeWebSocket.instances.push(this);
  }

  static get last() {
    return FakeWebSocket.instances.at(-1);
  }

  send(text) {
    this.sent.push(JSON.parse(text));
  }

  close() {
    this.readyState = 3;
    this.closedByClient = true;
  }

  /** The frames sent of one type. */
  sentOf(type) {
    return this.sent.filter(f => f.type === type);
  }

  open() {
    this.readyState = 1;
    this.onopen?.();
  }

  frame(f) {
    this.onmessage?.({ data: JSON.stringify(f) });
  }

  drop() {
    this.readyState = 3;
    this.onclose?.({ code: 1006 });
  }
}

/** An EventSource whose stream the test writes: event(), fail(). */
export class FakeEventSource {
  static instances = [];

  constructor(url) {
    this.url = new URL(url);
    this.listeners = new Map();
    FakeEventSource.instances.push(this);
  }

  static get last() {
    return FakeEventSource.instances.at(-1);
  }

  addEventListener(type, listener) {
    this.listeners.set(type, listener);
  }

  close() {
    this.closed = true;
  }

  /** Dispatches an event as EventSource does: `message` to onmessage, others to their listener. */
  event(type, data, lastEventId = '') {
    const ev = { data: JSON.stringify(data), lastEventId };
    if (type === 'message') this.onmessage?.(ev);
    else this.listeners.get(type)?.(ev);
  }

  fail() {
    this.onerror?.();
  }
}

/** A fetch that records each request and leaves it pending until the test answers or fails it. */
export function fakeFetch() {
  const requests = [];
  const fetch = (url, init = {}) => new Promise((resolve, reject) => {
    const request = {
      url: new URL(url), init,
      answer(status, body) {
        resolve({ ok: status < 300, status, json: async () => body });
      },
      fail() {
        reject(new TypeError('network error'));
      },
    };
    init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
    requests.push(request);
  });
  fetch.requests = requests;
  return fetch;
}

/** Lets queued microtasks and promise callbacks run (timers are mocked; setImmediate is not). */
export function settle() {
  return new Promise(resolve => setImmediate(resolve));
}

/** An envelope as the server sends it. */
export function envelope(channel, offset, epoch = 'ep1', data = offset) {
  return { channel, offset, id: `${epoch}-${offset}`, event: 'message', data, ts: 0 };
}
