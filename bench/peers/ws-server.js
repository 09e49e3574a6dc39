'use strict';
// The Node `ws` peer: one channel, broadcast to every socket that subscribed to it.
//   WS  /ws        client frame {"type":"subscribe","channel":"bench"} -> {"type":"subscribed",...}
//   POST /publish  JSON body -> {"type":"message","channel":"bench","offset":N,"data":BODY,"ts":MS} to every subscriber,
//                  encoded once per publish; answers 201 after the broadcast loop.
const http = require('http');
const { WebSocketServer, WebSocket } = require('ws');
const { port, host, body, stats, started } = require('./common');

const subscribers = new Set();
let offset = 0;

const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url.startsWith('/publish')) {
    body(req, (text) => {
      let data;
      try {
        data = JSON.stringify(JSON.parse(text));
      } catch (e) {
        res.writeHead(400).end();
        return;
      }
      offset += 1;
      const frame = `{"type":"message","channel":"bench","offset":${offset},"data":${data},"ts":${Date.now()}}`;
      for (const ws of subscribers) {
        if (ws.readyState === WebSocket.OPEN) {
          ws.send(frame);
        }
      }
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end(`{"offset":${offset}}`);
    });
  } else if (req.url.startsWith('/stats')) {
    stats(res, subscribers.size);
  } else {
    res.writeHead(404).end();
  }
});

const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (msg) => {
    let f;
    try {
      f = JSON.parse(msg);
    } catch (e) {
      return;
    }
    if (f.type === 'subscribe') {
      subscribers.add(ws);
      ws.send(JSON.stringify({ type: 'subscribed', channel: f.channel, offset }));
    }
  });
  ws.on('close', () => subscribers.delete(ws));
  ws.on('error', () => subscribers.delete(ws));
});

server.keepAliveTimeout = 0; // the bench's publisher keeps its connections; never race its reuse with a close
server.requestTimeout = 0;
server.listen(port(), host(), 4096, () => started('ws peer', server));
