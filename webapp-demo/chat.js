// The chat demo: rooms are channels chat:ROOM, messages are event "chat" with {nick, text, cid}. WebSocket by
// default; ?transport=sse (or poll) forces another. Tabs of one user share one connection (?share=false: not this one). User text is only ever set with textContent.
//
// Own messages show once: each carries a client id (cid); the message is drawn when sent (pending) and the echo
// from the server, carrying the same cid, confirms that element instead of adding another.
import { Herald } from './herald.js';
import { shareFromQuery, showConnection, transportsFromQuery } from './status.js';

const ROOMS = ['lobby', 'random', 'support'];
const HISTORY = 50;                 // messages shown from history on joining a room
const GROUP_WITHIN = 5 * 60 * 1000; // consecutive messages of one author within this share a header

const $ = id => document.getElementById(id);
const params = new URLSearchParams(location.search);
const list = $('messages');

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text != null) e.textContent = text;
  return e;
}

const newId = () => globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
const hue = name => [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 360, 7);
const initials = name => (name.match(/[\p{L}\p{N}]/gu) || ['?']).slice(0, 2).join('').toUpperCase();
const time = ts => new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
const roomName = raw => (raw || '').trim().toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 40);

// ---- the connection ----

// A chat message typed offline waits up to two minutes for the connection to come back before it counts as not sent.
// Publishing needs a token (docs/security.md): the demo token endpoint gives one for chat:* to a nickname; herald.js
// asks again before it expires and whenever the server refuses it.
async function chatToken() {
  const response = await fetch('demo/token', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ nick }),
  });
  if (!response.ok) throw new Error(`demo token: HTTP ${response.status}`);
  return (await response.json()).token;
}
const herald = Herald.connect({
  transports: transportsFromQuery(['ws', 'sse', 'poll']), publishTimeout: 120000, token: chatToken,
  // a leader tab rather than a SharedWorker: the connection ends with the last tab, so the room sees you leave at
  // once (a SharedWorker may outlive its last tab, and with it the presence entry)
  share: shareFromQuery('leader'),
});
showConnection(herald, $('conn'));
herald.on('state', ({ state }) => { $('banner').hidden = state !== 'reconnecting'; });
herald.on('error', e => console.warn('herald:', e.code, e.message));
window.herald = herald; // for the console
// leaving the page leaves the room at once (others see "left"), even if the browser keeps the page in its
// back/forward cache; coming back to such a page starts afresh
addEventListener('pagehide', () => herald.close());
addEventListener('pageshow', e => { if (e.persisted) location.reload(); });

// ---- who you are ----

let nick = (params.get('nick') || localStorage.getItem('herald.nick') || `guest-${Math.floor(1000 + Math.random() * 9000)}`).slice(0, 24);

function setNick(value) {
  nick = value.trim().slice(0, 24) || nick;
  $('nick').value = nick;
  localStorage.setItem('herald.nick', nick);
  const avatar = $('me-avatar');
  avatar.textContent = initials(nick);
  avatar.style.setProperty('--hue', hue(nick));
}
setNick(nick);
$('nick').addEventListener('change', e => setNick(e.target.value));
$('nick').addEventListener('keydown', e => { if (e.key === 'Enter') $('text').focus(); });

// ---- rooms ----

let room = null;
let unsubscribe = null;
const byCid = new Map(); // cid -> the element of that message
let shown = 0;            // messages shown in this room

function renderRooms() {
  const names = ROOMS.includes(room) ? ROOMS : [...ROOMS, room];
  $('rooms').replaceChildren(...names.map(name => {
    const b = el('button');
    b.type = 'button';
    b.append(el('span', 'hash', '#'), el('span', null, name));
    if (name === room) b.setAttribute('aria-current', 'true');
    b.addEventListener('click', () => enter(name));
    const li = el('li');
    li.append(b);
    return li;
  }));
  $('rooms').querySelector('[aria-current]')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
}

async function enter(name) {
  if (!name || name === room) return;
  unsubscribe?.();
  room = name;
  byCid.clear();
  shown = 0;
  list.replaceChildren(emptyState());
  const channel = `chat:${room}`;
  $('room-title').textContent = `# ${room}`;
  $('room-channel').textContent = channel;
  $('text').placeholder = `Message #${room}`;
  document.title = `#${room} · Herald Chat`;
  const url = new URL(location.href);
  url.searchParams.set('room', room);
  history.replaceState(null, '', url);
  renderRooms();

  // the last messages from history: ask where the channel stands, then subscribe from a little before that
  let since = 0;
  let epoch = null;
  try {
    const info = await (await fetch(`api/channels?channel=${encodeURIComponent(channel)}`)).json();
    since = Math.max(0, (info.latest ?? 0) - HISTORY);
    epoch = info.epoch;
  } catch {
    // offline: replay whatever history holds once connected
  }
  if (room !== name) return; // switched again meanwhile
  unsubscribe = herald.subscribe(channel, onMessage, { since, epoch, presence: true });
  loadOnline(channel);
}

// ---- who is online (docs/protocol.md, "Presence"): the list on entering, then join/leave events ----

const online = new Map(); // presence client id -> nick
const nickOf = user => String(user || 'anonymous').replace(/^demo:/, '').slice(0, 24);

function renderOnline() {
  const nicks = [...new Set(online.values())].sort();
  $('online').replaceChildren(...nicks.map(n => el('li', null, n)));
  $('online-count').textContent = `(${nicks.length})`;
}

async function loadOnline(channel) {
  online.clear();
  renderOnline();
  try {
    const entries = await herald.presence(channel);
    if (`chat:${room}` !== channel) return;
    for (const e of entries) online.set(e.client, nickOf(e.user));
    renderOnline();
  } catch (e) {
    console.warn('herald: presence', e.code, e.message);
  }
}

herald.on('join', e => {
  if (e.channel !== `chat:${room}`) return;
  const known = online.has(e.client);
  online.set(e.client, nickOf(e.user));
  renderOnline();
  if (!known && nickOf(e.user) !== nick) append(el('li', 'note presence', `${nickOf(e.user)} joined`));
});

herald.on('leave', e => {
  if (e.channel !== `chat:${room}` || !online.delete(e.client)) return;
  renderOnline();
  if (nickOf(e.user) !== nick) append(el('li', 'note presence', `${nickOf(e.user)} left`));
});

$('join').addEventListener('submit', e => {
  e.preventDefault();
  enter(roomName($('join-name').value));
  $('join-name').value = '';
});

// ---- messages ----

function emptyState() {
  const li = el('li', 'empty');
  li.append(el('b', null, 'No messages yet'), document.createTextNode('Say hello — everyone in this room sees it instantly.'));
  return li;
}

function nearBottom() {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 120;
}

function append(li, scroll) {
  const stick = scroll || nearBottom();
  list.querySelector('.empty')?.remove();
  list.append(li);
  if (stick) list.scrollTop = list.scrollHeight;
}

/** An element for one message; `cont` when it follows one of the same author closely. */
function messageElement({ from, text, ts, cid, mine }) {
  const li = el('li', `msg${mine ? ' mine' : ''}`);
  li.dataset.nick = from;
  li.dataset.ts = ts;
  if (cid) li.dataset.cid = cid;
  const last = list.lastElementChild;
  if (last?.classList.contains('msg') && last.dataset.nick === from && ts - Number(last.dataset.ts) < GROUP_WITHIN) {
    li.classList.add('cont');
  }
  const avatar = el('span', 'avatar', initials(from));
  avatar.style.setProperty('--hue', hue(from));
  const meta = el('div', 'meta');
  meta.append(el('span', 'nick', from), el('time', null, time(ts)), el('span', 'status'));
  const body = el('div', 'body');
  body.append(meta, el('div', 'text', text));
  li.append(avatar, body);
  return li;
}

function setStatus(li, state, label) {
  li.classList.remove('pending', 'failed');
  if (state) li.classList.add(state);
  li.querySelector('.status').replaceChildren(label ?? '');
}

function onMessage(message) {
  if (message.event !== 'chat' || typeof message.data?.text !== 'string') return;
  const { text, cid } = message.data;
  const from = String(message.data.nick || 'anonymous').slice(0, 24);
  const own = cid && byCid.get(cid);
  if (own) { // the echo of a message sent from here: confirm it, do not draw it twice
    own.dataset.offset = message.offset;
    setStatus(own, null);
    return;
  }
  const li = messageElement({ from, text, ts: message.ts, cid, mine: from === nick });
  li.dataset.offset = message.offset;
  if (cid) byCid.set(cid, li);
  shown++;
  append(li);
}

function send(text, cid = newId(), li = null) {
  const channel = `chat:${room}`;
  if (!li) {
    li = messageElement({ from: nick, text, ts: Date.now(), cid, mine: true });
    byCid.set(cid, li);
    shown++;
    append(li, true);
  }
  setStatus(li, 'pending', herald.state === 'open' ? 'Sending…' : 'Queued — sends when back online');
  herald.publish(channel, 'chat', { nick, text, cid }).then(() => {
    if (li.dataset.offset == null) setStatus(li, null); // acked; the echo may still be on its way
  }, error => {
    if (li.dataset.offset != null) return; // the echo came: it was published after all
    const retry = el('button', null, 'Retry');
    retry.type = 'button';
    retry.addEventListener('click', () => send(text, cid, li));
    setStatus(li, 'failed', `Not sent (${error.code}). `);
    li.querySelector('.status').append(retry);
  });
}

$('composer').addEventListener('submit', e => {
  e.preventDefault();
  const input = $('text');
  const text = input.value.trim();
  if (!text) return;
  input.value = '';
  send(text);
  input.focus();
});

herald.on('gap', gap => {
  if (gap.channel !== `chat:${room}` || !shown) return;
  const note = el('li', 'note', gap.reset
    ? 'The server restarted and its history was reset — new messages continue below'
    : `${gap.earliest - gap.requested} earlier messages could not be recovered`);
  append(note);
});

enter(roomName(params.get('room')) || 'lobby');
