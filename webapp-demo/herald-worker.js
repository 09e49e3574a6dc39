/*
 * herald-worker.js: the SharedWorker that holds the one connection of the tabs that share it (herald-share.js,
 * docs/client.md "Many tabs, one connection"). herald.js starts it, one per share name (Herald, user, transports);
 * pages never load it themselves. Each tab talks to it over its own MessagePort.
 */
import { Herald } from './herald.js';
import { Relay } from './herald-share.js';

const ports = new Map(); // tab id -> its MessagePort

const relay = new Relay({
  send(to, message) {
    if (to === '*') for (const port of ports.values()) port.postMessage(message);
    else ports.get(to)?.postMessage(message);
  },
  forget(tab) {
    ports.delete(tab);
  },
}, (base, options) => Herald.connect(base, { ...options, share: false }), { locks: globalThis.navigator?.locks || null });

globalThis.onconnect = event => {
  const port = event.ports[0];
  port.onmessage = ({ data }) => {
    if (!data?.from) return;
    ports.set(data.from, port);
    relay.receive(data.from, data);
  };
  port.start();
};
