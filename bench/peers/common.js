'use strict';
// Shared by the peer servers: the port from argv, the publish body reader, and GET /stats (RSS and live heap after
// a full GC, so the bench reads the same numbers from every server). Start node with --expose-gc.

function port() {
  const i = process.argv.indexOf('--port');
  return i > 0 ? Number(process.argv[i + 1]) : 8080;
}

function host() {
  const i = process.argv.indexOf('--host');
  return i > 0 ? process.argv[i + 1] : '127.0.0.1';
}

/** Reads a request body as a string, then calls back. */
function body(req, done) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
}

/** Answers GET /stats: {"clients":N,"rss":BYTES,"heapUsed":BYTES} after a full GC. */
function stats(res, clients) {
  if (global.gc) {
    global.gc();
  }
  const m = process.memoryUsage();
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ clients, rss: m.rss, heapUsed: m.heapUsed, external: m.external }));
}

function started(name, server) {
  console.log(`${name} started at http://localhost:${server.address().port}/`);
}

module.exports = { port, host, body, stats, started };
