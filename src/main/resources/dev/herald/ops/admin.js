// Herald's admin page: every node's snapshot, live over herald.js (subscribed to herald:admin, where each node
// publishes its snapshot every 2 s), with GET admin/stats for the first paint. Renders text only (textContent).
import { Herald } from '../herald.js';

const opsToken = new URLSearchParams(location.search).get('token');
const headers = opsToken ? { Authorization: `Bearer ${opsToken}` } : {};
const STALE_MS = 10000;
const nodes = new Map(); // node name -> { snapshot, seen }
let self = null;

async function getJson(path, init = {}) {
  const response = await fetch(path, { cache: 'no-store', ...init, headers: { ...headers, ...(init.headers || {}) } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : String(c));
  return e;
}

function figure(label, value, field) {
  return el('div', { class: 'figure' }, el('b', { 'data-field': field }, value), label);
}

function table(headings, rows, empty) {
  if (!rows.length) return el('p', { class: 'empty' }, empty);
  const t = el('table');
  t.append(el('tr', {}, ...headings.map(([h, n]) => el('th', n ? { class: 'n' } : {}, h))));
  for (const row of rows) t.append(el('tr', {}, ...row.map((v, i) => el('td', headings[i][1] ? { class: 'n' } : {}, v))));
  return t;
}

function card(s) {
  const c = s.connections || {};
  const ready = !s.draining;
  const card = el('section', { class: `node${s.node === self ? ' self' : ''}`, 'data-node': s.node },
    el('h2', {}, s.node),
    el('div', {},
      el('span', { class: `state ${ready ? 'ready' : 'draining'}`, 'data-field': 'state' }, ready ? 'ready' : 'draining'),
      ` · engine ${s.engine.engine}: `,
      el('span', { class: `state ${s.engine.reachable ? 'ready' : 'down'}`, 'data-field': 'engine' },
        s.engine.reachable ? 'reachable' : `unreachable (${s.engine.error || 'no answer'})`),
      ` · up since ${new Date(s.started).toLocaleTimeString()}`),
    el('div', { class: 'figures' },
      figure('WebSocket', c.ws ?? 0, 'ws'), figure('SSE', c.sse ?? 0, 'sse'), figure('long-poll', c.poll ?? 0, 'poll'),
      figure('subscriptions', s.subscriptions, 'subscriptions'),
      figure('channels', s.channels, 'channels'), figure('published', s.totals.published, 'published'),
      figure('delivered', s.totals.delivered, 'delivered'), figure('slow disconnects', s.totals.slow, 'slow')),
    el('h3', {}, 'Busiest channels'),
    table([['channel'], ['subscribers', true], ['msg/s', true]],
      s.busiest.map(b => [b.channel, b.subscribers, b.rate]), 'no channel in use'),
    el('h3', {}, 'Slow consumers (queued messages)'),
    table([['transport'], ['queued', true], ['channels', true]],
      s.slow.map(x => [x.transport, x.queued, x.channels]), 'none: every connection keeps up'));
  return card;
}

function render() {
  const now = Date.now();
  for (const [name, n] of nodes) if (name !== self && now - n.seen > STALE_MS) nodes.delete(name);
  const list = [...nodes.values()].map(n => n.snapshot)
    .sort((a, b) => (a.node === self ? -1 : b.node === self ? 1 : a.node.localeCompare(b.node)));
  document.getElementById('nodes').replaceChildren(...list.map(card));
}

function take(snapshot) {
  nodes.set(snapshot.node, { snapshot, seen: Date.now() });
  render();
}

const first = await getJson('stats');
self = first.nodes[0]?.node;
first.nodes.forEach(take);

const herald = Herald.connect({ token: () => getJson('ticket') });
const status = document.getElementById('status');
herald.on('state', ({ state, transport }) => {
  status.textContent = transport ? `${state} (${transport})` : state;
  status.className = `pill ${state}`;
});
herald.subscribe('herald:admin', message => take(message.data));
setInterval(render, 2000);

document.getElementById('drain').addEventListener('click', async () => {
  if (!confirm('Drain this node? It stops taking traffic; its clients reconnect elsewhere.')) return;
  await getJson('drain', { method: 'POST' });
});
