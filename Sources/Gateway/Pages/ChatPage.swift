/// The chat page served at `GET /`: the tutorial's interface (pseudo, message list, input and
/// send button, status console) rebuilt — text rendered as text, JSON built with JSON.stringify,
/// reconnection with back-off, and the negotiated subprotocol/extensions shown.
///
/// Automation (tests, demos): `?pseudo=NAME` joins at once, `&say=a|b|c` sends those lines once
/// joined (after `&waitfor=M` members are in the room, when given), `&expect=N` writes
/// "received N lines" in the console when N chat lines have arrived.
enum ChatPage {
    /// The page as served: it offers the room's own subprotocol only when `/chat` is the room —
    /// a backend behind a route would not answer it, and a browser fails a connection whose
    /// offered subprotocol gets no answer (RFC 6455 §4.1 leaves it to the client; Chromium does).
    static func html(offeringRoomDialect: Bool) -> String {
        offeringRoomDialect ? html : html.replacingOccurrences(of: #"new WebSocket(url, ["passerelle.chat.v1"])"#, with: "new WebSocket(url)")
    }

    static let html = #"""
<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Passerelle — chat</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; background: #eef1f4; margin: 0; color: #1d2733; }
  main { max-width: 640px; margin: 24px auto; background: #fff; border-radius: 10px; box-shadow: 0 2px 12px #0002; padding: 18px 20px; }
  h1 { font-size: 19px; margin: 0 0 4px; }
  .sub { color: #5b6b7c; font-size: 13px; margin-bottom: 14px; }
  .row { display: flex; gap: 8px; margin: 8px 0; }
  input[type=text] { flex: 1; padding: 7px 9px; border: 1px solid #b8c2cc; border-radius: 6px; font: inherit; }
  button { padding: 7px 14px; border: 0; border-radius: 6px; background: #2463eb; color: #fff; font: inherit; cursor: pointer; }
  button:disabled, input:disabled { opacity: .5; cursor: default; }
  #lines { height: 260px; overflow-y: auto; border: 1px solid #d5dce3; border-radius: 6px; padding: 8px; background: #fafbfc; }
  .line { margin: 2px 0; }
  .line .from { font-weight: 600; }
  .line .via { color: #7a8896; font-size: 11px; margin-left: 6px; }
  #status { font-size: 13px; color: #5b6b7c; }
  #status .ok { color: #11803a; } #status .bad { color: #b3261e; }
  #console { font: 12px ui-monospace, monospace; color: #51606f; background: #f3f5f7; border-radius: 6px; padding: 6px 8px; height: 86px; overflow-y: auto; margin-top: 8px; }
</style>
</head>
<body>
<main>
  <h1>Passerelle — le chat</h1>
  <div class="sub">Une salle pour tous : hixie-76 (TV, 2010), RFC 6455, permessage-deflate.</div>
  <form id="login" class="row"><input type="text" id="pseudo" placeholder="Pseudo" maxlength="40" autocomplete="off"><button id="join">Valider</button></form>
  <div id="status">déconnecté</div>
  <div id="lines" aria-live="polite"></div>
  <form id="say" class="row"><input type="text" id="message" placeholder="Message" disabled autocomplete="off"><button id="send" disabled>Envoyer</button></form>
  <div id="console"></div>
</main>
<script>
"use strict";
const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
let socket = null, pseudo = "", retry = 0, received = 0, pending = (params.get("say") || "").split("|").filter(Boolean);
const expected = Number(params.get("expect") || 0);
const waitFor = Number(params.get("waitfor") || 0);

function sendPending() {
  while (pending.length) send(pending.shift());
}

function log(text) {
  const row = document.createElement("div");
  row.textContent = new Date().toLocaleTimeString() + "  " + text;
  $("console").appendChild(row);
  $("console").scrollTop = $("console").scrollHeight;
}

function status(text, cls) {
  const span = document.createElement("span");
  span.className = cls || "";
  span.textContent = text;
  $("status").replaceChildren(span);
}

function showLine(line, via) {
  const row = document.createElement("div");
  row.className = "line";
  row.dataset.from = line.from;
  row.dataset.message = line.message;
  const from = document.createElement("span");
  from.className = "from";
  from.textContent = line.from;
  row.append(from, document.createTextNode(" : " + line.message));
  if (via) {
    const badge = document.createElement("span");
    badge.className = "via";
    badge.textContent = via;
    row.appendChild(badge);
  }
  $("lines").appendChild(row);
  $("lines").scrollTop = $("lines").scrollHeight;
  received += 1;
  if (expected && received === expected) log("received " + expected + " lines");
}

function connect() {
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/chat";
  socket = new WebSocket(url, ["passerelle.chat.v1"]);
  status("connexion…");
  socket.onopen = () => {
    retry = 0;
    status("connecté — " + (socket.protocol || "sans sous-protocole") + ", " + (socket.extensions || "sans extension"), "ok");
    log("open " + url + " protocol=" + socket.protocol + " extensions=" + (socket.extensions || "none"));
    $("message").disabled = false;
    $("send").disabled = false;
    if (!waitFor) sendPending();
  };
  socket.onmessage = (event) => {
    let data;
    try { data = JSON.parse(event.data); } catch (e) { log("not JSON: " + event.data); return; }
    if (data.action === "ws/chat/in" && data.msg) showLine(data.msg, data.via);
    else if (data.action === "ws/room/presence") {
      log(data.msg.event + " — " + data.msg.members + " dans la salle");
      if (waitFor && data.msg.members >= waitFor) sendPending();
    }
    else if (data.action === "ws/error") log("erreur : " + data.msg.reason);
  };
  socket.onclose = (event) => {
    $("message").disabled = true;
    $("send").disabled = true;
    const wait = Math.min(15000, 1000 * 2 ** retry++);
    status("fermé (" + event.code + ") — nouvelle tentative dans " + wait / 1000 + " s", "bad");
    log("close code=" + event.code + " reason=" + event.reason);
    setTimeout(connect, wait);
  };
}

function send(text) {
  // The tutorial's protocol, with the inner JSON built by JSON.stringify (quotes survive).
  socket.send(JSON.stringify({ action: "ctrl/chat/out", msg: JSON.stringify({ from: pseudo, message: text }) }));
}

$("login").onsubmit = (event) => {
  event.preventDefault();
  pseudo = $("pseudo").value.trim() || "anonyme";
  $("pseudo").disabled = true;
  $("join").disabled = true;
  if (!socket) connect();
};
$("say").onsubmit = (event) => {
  event.preventDefault();
  const text = $("message").value;
  if (!text || !socket || socket.readyState !== WebSocket.OPEN) return;
  send(text);
  $("message").value = "";
};
if (params.get("pseudo")) { $("pseudo").value = params.get("pseudo"); $("login").requestSubmit(); }
</script>
</body>
</html>
"""#
}
