#!/usr/bin/perl
# A hixie-76 (draft-ietf-hybi-00) client built on Perl's Protocol::WebSocket, an independent
# implementation: connects, sends each argument as a text frame, prints every text frame received
# (one per line) until it has as many as it sent, then runs the closing handshake (0xFF 0x00).
# Exit 0 when all went well; the last line is "closing-handshake: ok" or says what failed.
#
# With --wait-stdin it reads one line from stdin after the handshake before sending (so a test
# can start every member of a room before anyone speaks).
#
# wss:// runs the same over TLS (IO::Socket::SSL), trusting the CA file in $SSL_CERT_FILE, and
# prints "location: URL" from the answer's Sec-WebSocket-Location.
#
# usage: hixie76_client.pl ws[s]://HOST:PORT/PATH [--expect N] [--wait-stdin] MESSAGE...
use strict;
use warnings;
use IO::Socket::INET;
use IO::Socket::SSL;
use IO::Select;
use Protocol::WebSocket::Handshake::Client;
use Protocol::WebSocket::Frame;

binmode(STDOUT, ':raw');
my $url = shift @ARGV or die "usage: $0 URL [--expect N] MESSAGE...\n";
my $expect;
my $wait = 0;
if (@ARGV && $ARGV[0] eq '--expect') { shift @ARGV; $expect = shift @ARGV; }
if (@ARGV && $ARGV[0] eq '--wait-stdin') { shift @ARGV; $wait = 1; }
my @messages = @ARGV;
$expect //= scalar @messages;

my ($scheme, $host, $port) = $url =~ m{^(wss?)://([^:/]+):(\d+)} or die "bad url $url\n";
my $socket = $scheme eq 'wss'
    ? IO::Socket::SSL->new(PeerAddr => $host, PeerPort => $port, Timeout => 5, SSL_verify_mode => SSL_VERIFY_PEER,
                           ($ENV{SSL_CERT_FILE} ? (SSL_ca_file => $ENV{SSL_CERT_FILE}) : ()))
        || die "connect: $! $SSL_ERROR\n"
    : IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Proto => 'tcp', Timeout => 5) || die "connect: $!\n";
binmode($socket);
my $handshake = Protocol::WebSocket::Handshake::Client->new(url => $url, version => 'draft-ietf-hybi-00');
syswrite($socket, $handshake->to_string);

my $select = IO::Select->new($socket);
sub read_some {
    my $data = '';
    # TLS may already hold decrypted bytes that select() cannot see.
    my $buffered = $socket->can('pending') && $socket->pending;
    die "timeout\n" unless $buffered || $select->can_read(10);
    my $n = sysread($socket, $data, 65536);
    return defined $n && $n > 0 ? $data : undef;
}

my $buffer = '';
until ($handshake->is_done) {
    my $data = read_some() // die "connection closed during the handshake\n";
    $buffer .= $data;
    $handshake->parse($buffer) or die "handshake refused: " . ($handshake->error // 'unknown') . "\n";
}
$| = 1;
print "handshake: ok\n";
print "location: ", ($handshake->res->location // '-'), "\n";
<STDIN> if $wait;

my $frame = Protocol::WebSocket::Frame->new(version => 'draft-ietf-hybi-00');
$frame->append($buffer) if length $buffer;
for my $message (@messages) {
    syswrite($socket, Protocol::WebSocket::Frame->new(version => 'draft-ietf-hybi-00', buffer => $message)->to_bytes);
}

my $received = 0;
my $raw = '';
while ($received < $expect) {
    while (defined(my $text = $frame->next_bytes)) {
        print "message: $text\n";
        $received++;
    }
    last if $received >= $expect;
    my $data = read_some() // die "connection closed after $received of $expect messages\n";
    $raw .= $data;
    $frame->append($data);
}

# hixie-76 §5.3 closing handshake: send 0xFF 0x00, expect 0xFF 0x00 back, then EOF.
syswrite($socket, "\xff\x00");
my $tail = '';
while (defined(my $data = eval { read_some() })) { $tail .= $data; }
print $tail =~ /\xff\x00$/ ? "closing-handshake: ok\n" : "closing-handshake: missing (" . unpack('H*', $tail) . ")\n";
exit($tail =~ /\xff\x00$/ ? 0 : 1);
