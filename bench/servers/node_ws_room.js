// The tutorial's chat room on node `ws` (Debian node-ws) for `passerelle bench broadcast`: each
// {"action":"ctrl/chat/out","msg":"{\"from\":…,\"message\":…}"} is answered with
// {"action":"ws/chat/in","msg":{"from":…,"message":…}} (HTML-escaped, as Passerelle does for the
// tutorial's page) to every member, sender included. The line is serialised once and the same
// string handed to every socket: ws's idiomatic broadcast. Prints its port; exits when stdin closes.
const { WebSocketServer, WebSocket } = require('ws');
const server = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2] || 0), perMessageDeflate: true });
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
server.on('listening', () => console.log(server.address().port));
server.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => {
    if (isBinary) return;
    let line;
    try {
      const outer = JSON.parse(data);
      if (outer.action !== 'ctrl/chat/out') return;
      const inner = typeof outer.msg === 'string' ? JSON.parse(outer.msg) : outer.msg;
      line = JSON.stringify({ action: 'ws/chat/in', msg: { from: escape(inner.from), message: escape(inner.message) } });
    } catch (e) {
      return;
    }
    for (const member of server.clients) if (member.readyState === WebSocket.OPEN) member.send(line);
  });
  socket.on('error', () => {});
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
