'use strict';
// The Socket.IO peer (rooms), WebSocket transport only.
//   socket.emit('subscribe', 'bench', ack) -> joins the room, ack('ok')
//   POST /publish  JSON body -> io.to('bench').emit('message', body) (encoded once per broadcast); answers 201.
const http = require('http');
const { Server } = require('socket.io');
const { port, host, body, stats, started } = require('./common');

let io;
const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url.startsWith('/publish')) {
    body(req, (text) => {
      let data;
      try {
        data = JSON.parse(text);
      } catch (e) {
        res.writeHead(400).end();
        return;
      }
      io.to('bench').emit('message', data);
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end('{"ok":true}');
    });
  } else if (req.url.startsWith('/stats')) {
    stats(res, io.engine.clientsCount);
  } else if (!req.url.startsWith('/socket.io/')) {
    res.writeHead(404).end();
  }
});

io = new Server(server, { transports: ['websocket'], perMessageDeflate: false, httpCompression: false,
  serveClient: false, pingInterval: 25000, pingTimeout: 60000 });
io.on('connection', (socket) => {
  socket.on('subscribe', (room, ack) => {
    socket.join(room);
    if (typeof ack === 'function') {
      ack('ok');
    }
  });
});

server.keepAliveTimeout = 0; // the bench's publisher keeps its connections; never race its reuse with a close
server.requestTimeout = 0;
server.listen(port(), host(), 4096, () => started('socket.io peer', server));
