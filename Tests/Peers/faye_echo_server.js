// An echo server on faye-websocket (Debian node-faye-websocket), which still speaks hixie-75 and
// hixie-76 besides RFC 6455: the independent hixie server the suite's hixie cases are checked
// against. Prints its port, echoes every message, exits when stdin closes.
const http = require('http');
const WebSocket = require('faye-websocket');
const server = http.createServer();
server.on('upgrade', (request, socket, body) => {
  if (!WebSocket.isWebSocket(request)) return;
  const ws = new WebSocket(request, socket, body);
  ws.on('message', event => ws.send(event.data));
});
server.listen(0, '127.0.0.1', () => { console.log(server.address().port); });
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
