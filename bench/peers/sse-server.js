'use strict';
// The express-sse peer: one SSE stream that every subscriber gets.
//   GET  /sse      text/event-stream; first event `id: 0` / `data: "ready"`, written to that client alone. (Not as
//                  express-sse's initial value: the library re-sends its initial value to every client connected
//                  so far each time one connects, which makes N connections cost N^2/2 writes.)
//   POST /publish  JSON body -> sse.send(body) (one `id:`/`data:` event per subscriber); answers 201.
const express = require('express');
const SSE = require('express-sse');
const { port, host, stats, started } = require('./common');

const sse = new SSE([], { isSerialized: false });
let clients = 0;
const app = express();
app.get('/sse', (req, res) => {
  clients += 1;
  req.on('close', () => { clients -= 1; });
  sse.init(req, res);
  res.write('id: 0\ndata: "ready"\n\n');
});
app.post('/publish', express.json({ limit: '1mb' }), (req, res) => {
  sse.send(req.body);
  res.status(201).json({ ok: true });
});
app.get('/stats', (req, res) => stats(res, clients));

const server = app.listen(port(), host(), 4096, () => started('express-sse peer', server));
server.keepAliveTimeout = 0;
server.requestTimeout = 0;
server.headersTimeout = 0;
