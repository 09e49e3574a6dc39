// Test doubles for herald.js in Node: a WebSocket, an EventSource and a fetch that the test plays the server of.
// Each records what the client did and lets the test answer, fail or stay silent.

/** A WebSocket whose server side the test drives: open(), frame(), drop(). */
export class FakeWebSocket {
  static instances = [];

  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.binarySent = []; // binary frames, as sent (protocol section "Binary messages")
    FakeWebSocket.instances.push(this);
  }

  static get last() {
    return FakeWebSocket.instances.at(-1);
  }

  send(data) {
    if (typeof data === 'string') this.sent.push(JSON.parse(data));
    else this.binarySent.push(data);
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
      answer(status, body, headers = {}) {
        const h = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
        resolve({ ok: status < 300, status, json: async () => body, headers: { get: name => h.get(name.toLowerCase()) ?? null } });
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

/** Lets queued microtasks and promise callbacks run (timers are the ManualClock's; setImmediate is real). */
export function settle() {
  return new Promise(resolve => setImmediate(resolve));
}

/** An envelope as the server sends it. */
export function envelope(channel, offset, epoch = 'ep1', data = offset) {
  return { channel, offset, id: `${epoch}-${offset}`, event: 'message', data, ts: 0 };
}

/**
 * Replaces setTimeout, setInterval, their clear functions and Date.now with a clock the test moves by hand, so
 * backoff delays and heartbeat deadlines pass without waiting. setImmediate and microtasks stay real.
 */
export class ManualClock {
  install() {
    this.now = 1_000_000;
    this.timers = new Map();
    this.ids = 0;
    this.saved = { setTimeout, clearTimeout, setInterval, clearInterval, now: Date.now };
    const add = (fn, ms, every) => {
      const id = ++this.ids;
      this.timers.set(id, { fn, at: this.now + Math.max(0, ms || 0), every });
      return id;
    };
    globalThis.setTimeout = (fn, ms) => add(fn, ms, 0);
    globalThis.setInterval = (fn, ms) => add(fn, ms, Math.max(1, ms || 0));
    globalThis.clearTimeout = globalThis.clearInterval = id => this.timers.delete(id);
    Date.now = () => this.now;
    return this;
  }

  /** Moves the clock on by `ms`, running every timer due on the way, in time order. */
  tick(ms) {
    const end = this.now + ms;
    for (;;) {
      let next = null;
      for (const [id, t] of this.timers) {
        if (t.at <= end && (!next || t.at < next[1].at)) next = [id, t];
      }
      if (!next) break;
      const [id, timer] = next;
      this.now = timer.at;
      if (timer.every) timer.at += timer.every;
      else this.timers.delete(id);
      timer.fn();
    }
    this.now = end;
  }

  uninstall() {
    Object.assign(globalThis, {
      setTimeout: this.saved.setTimeout, clearTimeout: this.saved.clearTimeout,
      setInterval: this.saved.setInterval, clearInterval: this.saved.clearInterval,
    });
    Date.now = this.saved.now;
  }
}

/**
 * Imports webapp-demo/herald.js as an ES module whatever the Node version: the file has no package.json saying
 * "type": "module" (it is a web asset), and only recent Node detects module syntax by itself. herald.js imports its
 * sibling herald-share.js, so the files are copied together to a directory of their own that says "type": "module".
 * `file` names another of them (herald-share.js); one copy serves every import of a test run.
 */
export async function importHerald(file = 'herald.js') {
  copied ||= (async () => {
    const { readdir, readFile, writeFile, mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'herald-js-'));
    const { rmSync } = await import('node:fs');
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    const source = new URL('../../../webapp-demo/', import.meta.url);
    for (const name of await readdir(source)) {
      if (/^herald.*\.js$/.test(name)) await writeFile(join(dir, name), await readFile(new URL(name, source)));
    }
    await writeFile(join(dir, 'package.json'), '{"type":"module"}');
    return dir;
  })();
  const { pathToFileURL } = await import('node:url');
  return import(pathToFileURL(`${await copied}/${file}`).href);
}

let copied = null;
