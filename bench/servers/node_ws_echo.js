// Echo server on node `ws` (Debian node-ws) for scripts/bench and the conformance baselines: permessage-deflate available
// (used only when the client offers it), default limits. Prints its port; exits when stdin closes.
const { WebSocketServer } = require('ws');
const server = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2] || 0), perMessageDeflate: true });
server.on('listening', () => console.log(server.address().port));
server.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  socket.on('error', () => {});
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
