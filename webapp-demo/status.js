// Shows a Herald connection's state and transport in a status pill (the .conn element of demo.css):
// <span class="conn" id="conn"><span class="conn-dot"></span><span class="conn-label"></span><span class="conn-transport"></span></span>
// The pill's data-state and data-transport attributes follow the connection, for CSS and for the browser tests.

const LABELS = { connecting: 'Connecting…', open: 'Live', reconnecting: 'Reconnecting…', closed: 'Disconnected' };
const TRANSPORTS = { ws: 'WebSocket', sse: 'SSE', poll: 'Long-poll' };

export function showConnection(herald, pill) {
  const label = pill.querySelector('.conn-label');
  const transport = pill.querySelector('.conn-transport');
  const render = ({ state, transport: name, retryIn }) => {
    pill.dataset.state = state;
    pill.dataset.transport = state === 'open' ? name : '';
    label.textContent = LABELS[state];
    transport.textContent = state === 'open' ? TRANSPORTS[name] : '';
    pill.title = state === 'open' ? `Connected over ${TRANSPORTS[name]}`
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
