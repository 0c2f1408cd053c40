// node ws over TLS with a chosen version and cipher suite, for the wss capture tests.
//   node_wss_client.js URL --tls TLSv1.2|TLSv1.3 --cipher NAME [--deflate] MESSAGE…
// Sends each message and waits for its echo, then closes with 1000. Prints one JSON line:
//   {"cipher": "<negotiated suite>", "version": "<TLS version>", "received": [...]}
// The server's certificate is not checked (the tests' certificate is self-signed).
const WebSocket = require('ws');

const args = process.argv.slice(2);
const url = args.shift();
let version = 'TLSv1.3', cipher = null, deflate = false;
const messages = [];
while (args.length > 0) {
  const arg = args.shift();
  if (arg === '--tls') version = args.shift();
  else if (arg === '--cipher') cipher = args.shift();
  else if (arg === '--deflate') deflate = true;
  else messages.push(arg);
}
const socket = new WebSocket(url, {
  perMessageDeflate: deflate ? { threshold: 0 } : false,
  rejectUnauthorized: false,
  minVersion: version,
  maxVersion: version,
  // TLS 1.2 suites in OpenSSL's names, TLS 1.3 suites in IANA's: node takes both here.
  ciphers: cipher || undefined,
});
const received = [];
let negotiated = null;
socket.on('upgrade', (response) => {
  negotiated = { cipher: response.socket.getCipher().standardName, version: response.socket.getProtocol() };
});
socket.on('open', () => sendNext());
socket.on('message', (data) => {
  received.push(data.toString());
  sendNext();
});
socket.on('close', (code) => {
  console.log(JSON.stringify({ ...negotiated, received, code }));
  process.exit(received.length === messages.length ? 0 : 1);
});
socket.on('error', (error) => {
  console.error(String(error));
  process.exit(2);
});
function sendNext() {
  if (received.length < messages.length) socket.send(messages[received.length]);
  else socket.close(1000, 'fin');
}
