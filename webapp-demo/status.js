// Shows a Herald connection's state and transport in a status pill (the .conn element of demo.css):
// <span class="conn" id="conn"><span class="conn-dot"></span><span class="conn-label"></span><span class="conn-transport"></span></span>
// The pill's data-state and data-transport attributes follow the connection, for CSS and for the browser tests;
// data-shared says whether this tab uses a connection shared with the other tabs ('worker' or 'leader', else empty),
// and a "shared" badge shows it.

const LABELS = { connecting: 'Connecting…', open: 'Live', reconnecting: 'Reconnecting…', closed: 'Disconnected' };
const TRANSPORTS = { ws: 'WebSocket', sse: 'SSE', poll: 'Long-poll' };

export function showConnection(herald, pill) {
  const label = pill.querySelector('.conn-label');
  const transport = pill.querySelector('.conn-transport');
  let shared = pill.querySelector('.conn-shared');
  if (!shared) {
    shared = document.createElement('span');
    shared.className = 'conn-shared';
    pill.append(shared);
  }
  const render = ({ state, transport: name, retryIn }) => {
    const mode = herald.shared || ''; // 'worker' or 'leader' when the connection is shared between tabs
    pill.dataset.state = state;
    pill.dataset.transport = state === 'open' ? name : '';
    pill.dataset.shared = mode;
    label.textContent = LABELS[state];
    transport.textContent = state === 'open' ? TRANSPORTS[name] : '';
    shared.textContent = mode ? 'shared' : '';
    const how = mode === 'worker' ? ', shared with this browser\'s other tabs through a SharedWorker'
      : mode === 'leader' ? `, shared with this browser's other tabs (${herald.leader ? 'this tab holds it' : 'another tab holds it'})`
        : '';
    pill.title = state === 'open' ? `Connected over ${TRANSPORTS[name]}${how}`
      : retryIn != null ? `Next attempt in ${(retryIn / 1000).toFixed(1)} s` : LABELS[state];
  };
  render({ state: herald.state, transport: herald.transport });
  return herald.on('state', render);
}

/** The transports a page should use: ?transport=sse (or ws, poll, or a list such as sse,poll), else `fallback`. */
export function transportsFromQuery(fallback) {
  const asked = new URLSearchParams(location.search).get('transport');
  return asked ? asked.split(',') : fallback;
}

/**
 * How a page shares its connection with the other tabs: ?share=false (its own connection), ?share=worker or
 * ?share=leader (one mechanism), else `fallback` (true: the best the browser has).
 */
export function shareFromQuery(fallback = true) {
  const asked = new URLSearchParams(location.search).get('share');
  if (asked == null) return fallback;
  return asked === 'worker' || asked === 'leader' ? asked : !['false', 'off', '0', 'no'].includes(asked);
}
