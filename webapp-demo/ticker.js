// The stock ticker demo: ten symbols on channels prices:SYMBOL, received over one SSE stream (long-polling if a
// proxy buffers it), which every ticker tab of this browser shares (?share=false gives the tab its own). Every value shown is set with textContent; nothing here builds HTML from strings.
import { Herald } from './herald.js';
import { shareFromQuery, showConnection, transportsFromQuery } from './status.js';

const COMPANIES = {
  ACME: 'Acme Corp', BOLT: 'Bolt Energy', CRUX: 'Crux Biotech', DYNO: 'Dyno Motors', EMBR: 'Ember Foods',
  FJRD: 'Fjord Shipping', GLYF: 'Glyph Software', HALO: 'Halo Health', IRIS: 'Iris Optics', JADE: 'Jade Mining',
};
const SPARK_SPAN = 5 * 60 * 1000; // the sparkline shows the last five minutes
const TAPE_SIZE = 40;
const SVG = 'http://www.w3.org/2000/svg';

const $ = id => document.getElementById(id);
const money = n => n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const signed = n => (n > 0 ? '+' : n < 0 ? '−' : '') + money(Math.abs(n));
const clock = ts => new Date(ts).toLocaleTimeString('en-GB', { hour12: false });
const direction = n => (n > 0 ? 'up' : n < 0 ? 'down' : 'flat');

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text != null) e.textContent = text;
  return e;
}

// ---- the watchlist: one row per symbol ----

const symbols = new Map();
Object.keys(COMPANIES).forEach((symbol, i) => {
  const row = el('tr');
  row.dataset.symbol = symbol;
  const badge = el('span', 'sym-badge', symbol);
  badge.style.setProperty('--hue', String((i * 37 + 200) % 360));
  const name = el('span', 'sym-name');
  name.append(el('b', null, symbol), el('span', null, COMPANIES[symbol]));
  const who = el('div', 'sym');
  who.append(badge, name);
  const cells = {
    price: el('td', 'price num', '—'),
    change: el('td', 'chg num col-chg muted', '—'),
    pct: el('span', 'pct flat', '—'),
    open: el('td', 'open num col-open muted', '—'),
    spark: el('td', 'spark'),
  };
  const pctCell = el('td');
  pctCell.append(cells.pct);
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 132 36');
  svg.setAttribute('preserveAspectRatio', 'none');
  cells.spark.append(svg);
  const first = el('td');
  first.append(who);
  row.append(first, cells.price, cells.change, pctCell, cells.open, cells.spark);
  $('rows').append(row);
  symbols.set(symbol, { row, cells, svg, points: [], quote: null });
});

// ---- updates ----

let updates = 0;
const dirty = new Set();

function onPrice(message) {
  const quote = message.data;
  const s = symbols.get(quote.symbol);
  if (!s) return;
  const previous = s.quote;
  s.quote = quote;
  s.points.push({ t: message.ts, p: quote.price });
  while (s.points.length && s.points[0].t < message.ts - SPARK_SPAN) s.points.shift();

  const way = direction(quote.change);
  s.cells.price.textContent = money(quote.price);
  s.cells.change.textContent = signed(quote.change);
  s.cells.change.className = `chg num col-chg ${way}`;
  s.cells.pct.textContent = `${quote.changePct > 0 ? '+' : quote.changePct < 0 ? '−' : ''}${Math.abs(quote.changePct).toFixed(2)}%`;
  s.cells.pct.className = `pct ${way}`;
  s.cells.open.textContent = money(quote.open);
  const move = previous ? quote.price - previous.price : 0;
  if (move && Date.now() - message.ts < 5000) flash(s.row, move); // not for history replayed on load
  dirty.add(s);
  requestAnimationFrame(drawSparks);

  addTick(message, move);
  updates++;
  $('updates').textContent = updates.toLocaleString('en-US');
  $('last-update').textContent = `last at ${clock(message.ts)}`;
  summarize();
}

function flash(row, move) {
  row.classList.remove('flash-up', 'flash-down');
  void row.offsetWidth; // restart the animation
  row.classList.add(move > 0 ? 'flash-up' : 'flash-down');
}

function addTick(message, move) {
  const tape = $('tape');
  tape.querySelector('.empty')?.remove();
  const quote = message.data;
  const li = el('li', 'fresh');
  li.dataset.id = `${message.channel}/${message.id}`;
  li.append(el('time', null, clock(message.ts)), el('b', null, quote.symbol), el('span', 'num', money(quote.price)),
    el('span', `move ${direction(move)}`, move ? `${move > 0 ? '▲' : '▼'} ${money(Math.abs(move))}` : '•'));
  tape.prepend(li);
  while (tape.children.length > TAPE_SIZE) tape.lastChild.remove();
}

function summarize() {
  const quotes = [...symbols.values()].map(s => s.quote).filter(Boolean);
  const advancing = quotes.filter(q => q.change > 0).length;
  const declining = quotes.filter(q => q.change < 0).length;
  $('advancing').textContent = advancing;
  $('declining').textContent = declining;
  $('adv-bar').style.width = `${(advancing / symbols.size) * 100}%`;
  $('dec-bar').style.width = `${(declining / symbols.size) * 100}%`;
  const byPct = quotes.sort((a, b) => b.changePct - a.changePct);
  for (const [id, q] of [['gainer', byPct[0]], ['loser', byPct.at(-1)]]) {
    if (!q) continue;
    $(id).textContent = q.symbol;
    $(id).className = `stat-value ${direction(q.changePct)}`;
    $(`${id}-sub`).textContent = `${q.changePct > 0 ? '+' : ''}${q.changePct.toFixed(2)}% · ${money(q.price)}`;
  }
}

// ---- sparklines: the last five minutes, against the opening price ----

function drawSparks() {
  for (const s of dirty) drawSpark(s);
  dirty.clear();
}

function drawSpark(s) {
  const { points, svg, quote } = s;
  svg.replaceChildren();
  if (!points.length) return;
  const W = 132;
  const H = 36;
  const end = points.at(-1).t;
  const start = Math.max(points[0].t, end - SPARK_SPAN);
  const prices = points.map(p => p.p).concat(quote.open);
  const lo = Math.min(...prices);
  const hi = Math.max(...prices);
  const x = t => (end === start ? W : ((t - start) / (end - start)) * W);
  const y = p => (hi === lo ? H / 2 : 3 + (1 - (p - lo) / (hi - lo)) * (H - 6));
  const line = points.map(p => `${x(p.t).toFixed(1)},${y(p.p).toFixed(1)}`).join(' ');
  const color = quote.price >= quote.open ? 'var(--up)' : 'var(--down)';

  const base = document.createElementNS(SVG, 'line');
  base.setAttribute('class', 'base');
  base.setAttribute('x1', '0');
  base.setAttribute('x2', String(W));
  base.setAttribute('y1', y(quote.open).toFixed(1));
  base.setAttribute('y2', y(quote.open).toFixed(1));
  const area = document.createElementNS(SVG, 'polygon');
  area.setAttribute('points', `${x(points[0].t).toFixed(1)},${H} ${line} ${x(end).toFixed(1)},${H}`);
  area.setAttribute('fill', color);
  area.setAttribute('opacity', '0.12');
  const path = document.createElementNS(SVG, 'polyline');
  path.setAttribute('points', line);
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke', color);
  path.setAttribute('stroke-width', '1.6');
  path.setAttribute('stroke-linejoin', 'round');
  const dot = document.createElementNS(SVG, 'circle');
  dot.setAttribute('cx', x(end).toFixed(1));
  dot.setAttribute('cy', y(points.at(-1).p).toFixed(1));
  dot.setAttribute('r', '2.4');
  dot.setAttribute('fill', color);
  svg.append(base, area, path, dot);
}

// ---- the connection: every symbol on one stream, history first so that the sparklines start filled ----

const herald = Herald.connect({ transports: transportsFromQuery(['sse', 'poll']), share: shareFromQuery() });
showConnection(herald, $('conn'));
for (const symbol of symbols.keys()) herald.subscribe(`prices:${symbol}`, onPrice, { since: 0 });
window.herald = herald; // for the console
