<?php
// A chat server of the phpwebsocket family (PHP, 2010: the tutorial's serveur.php and its many
// copies), written from its wire behaviour as docs/bridge.md lists it — to show what a bridge's
// upstream leg must do to keep such a server alive. On purpose, like the family:
//   - one 2,048-byte socket_recv per wake-up, each read taken as one whole frame (first and last
//     byte stripped), so two frames in one read, or one frame split across reads, break the JSON;
//   - the handshake answered from the first read, key3 taken with a regex that stops at "\n"
//     (a key3 that arrives later, or holds 0x0A, gives a wrong answer);
//   - anything that is not {"action":"ctrl/chat/out",…} (an 0xFF 0x00 close included) calls an
//     action handler that does not exist: the server dies;
//   - broadcasts to every connection, the sender included; never sends 0xFF 0x00.
// Prints its port; serves until killed or until a chat line says demo.stop.
error_reporting(E_ALL & ~E_WARNING);
$master = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
socket_set_option($master, SOL_SOCKET, SO_REUSEADDR, 1);
socket_bind($master, '127.0.0.1', 0);
socket_listen($master, 20);
socket_getsockname($master, $address, $port);
echo $port, "\n";
$sockets = [$master];
$greeted = [];

while (true) {
    $readable = $sockets;
    $none = null;
    $alsoNone = null;
    socket_select($readable, $none, $alsoNone, 1);
    foreach ($readable as $socket) {
        if ($socket === $master) {
            $client = socket_accept($master);
            $sockets[] = $client;
            $greeted[spl_object_id($client)] = false;
            continue;
        }
        $bytes = @socket_recv($socket, $buffer, 2048, 0);
        if (!$bytes) {
            unset($greeted[spl_object_id($socket)]);
            array_splice($sockets, array_search($socket, $sockets, true), 1);
            socket_close($socket);
            continue;
        }
        if (!$greeted[spl_object_id($socket)]) {
            socket_write($socket, handshakeAnswer($buffer));
            $greeted[spl_object_id($socket)] = true;
        } else {
            onFrame(substr($buffer, 1, strlen($buffer) - 2));
        }
    }
}

function handshakeAnswer($request) {
    $field = function ($pattern) use ($request) { return preg_match($pattern, $request, $m) ? $m[1] : ''; };
    $number = function ($key) {
        preg_match_all('#[0-9]#', $key, $digits);
        $spaces = substr_count($key, ' ');
        return $spaces ? intdiv((int) implode('', $digits[0]), $spaces) : 0;
    };
    $key3 = $field("#\r\n(.*?)\$#");
    $answer = md5(pack('N', $number($field("#Sec-WebSocket-Key1: (.*?)\r\n#"))) . pack('N', $number($field("#Sec-WebSocket-Key2: (.*?)\r\n#"))) . $key3, true);
    return "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
        . "Sec-WebSocket-Origin: " . $field("#Origin: (.*?)\r\n#") . "\r\n"
        . "Sec-WebSocket-Location: ws://" . $field("#Host: (.*?)\r\n#") . $field('#GET (.*?) HTTP#') . "\r\n\r\n" . $answer;
}

function onFrame($text) {
    $message = json_decode($text, true);
    switch ($message['action'] ?? null) {
        case 'ctrl/chat/out':
            $line = json_decode($message['msg']);
            if ($line->message === 'demo.stop') {
                $line->message = 'WebSockets server is going down...';
                broadcast('{"action": "ws/chat/in", "msg":' . json_encode($line) . '}');
                exit(0);
            }
            broadcast('{"action": "ws/chat/in", "msg":' . json_encode($line) . '}');
            break;
        default:
            onActionError($message);   // never defined, as in the family: a fatal error ends the server
    }
}

function broadcast($text) {
    global $sockets, $master;
    foreach ($sockets as $socket) {
        if ($socket !== $master) { socket_write($socket, chr(0) . $text . chr(255)); }
    }
}
