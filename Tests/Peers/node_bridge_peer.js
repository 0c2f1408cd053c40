// node ws (Debian node-ws) on both sides of a route, for the bridge's RFC 6455 ↔ RFC 6455 tests.
//   node_bridge_peer.js server          prints its port; echoes; a text "close:CODE:REASON" closes with
//                                       that code and reason; exits when stdin closes
//   node_bridge_peer.js client URL [--close CODE:REASON] MESSAGE…
//                                       sends each message and waits for its answer (none after a
//                                       close: order), then closes if asked; prints one JSON line:
//                                       {"received": [...], "close": {"code": N, "reason": "..."}}
const WebSocket = require('ws');

if (process.argv[2] === 'server') {
  const server = new WebSocket.WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('listening', () => console.log(server.address().port));
  server.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => {
      const text = isBinary ? null : data.toString();
      if (text && text.startsWith('close:')) {
        const [, code, ...reason] = text.split(':');
        socket.close(Number(code), reason.join(':'));
      } else {
        socket.send(data, { binary: isBinary });
      }
    });
    socket.on('error', () => {});
  });
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
} else {
  const args = process.argv.slice(3);
  const url = args.shift();
  let close = null;
  const closeAt = args.indexOf('--close');
  if (closeAt >= 0) { close = args[closeAt + 1]; args.splice(closeAt, 2); }
  const result = { received: [], close: null };
  const socket = new WebSocket(url);
  const pending = [...args];
  const next = () => {
    if (pending.length === 0) {
      if (close) { const [code, ...reason] = close.split(':'); socket.close(Number(code), reason.join(':')); }
      return;
    }
    const message = pending.shift();
    socket.send(message);
    if (message.startsWith('close:')) pending.length = 0;
  };
  socket.on('open', next);
  socket.on('message', (data) => { result.received.push(data.toString()); next(); });
  socket.on('close', (code, reason) => {
    result.close = { code, reason: reason.toString() };
    console.log(JSON.stringify(result));
    process.exit(0);
  });
  socket.on('error', (error) => { console.log(JSON.stringify({ error: String(error) })); process.exit(1); });
  setTimeout(() => { console.log(JSON.stringify({ ...result, timeout: true })); process.exit(1); }, 15000);
}
