#!/usr/bin/perl
# A hixie-76 echo server built on Perl's Protocol::WebSocket (an independent implementation), to
# check Passerelle's hixie-76 client side. Prints its port, serves one WebSocket connection: answers
# the handshake, echoes every text frame, answers 0xFF 0x00 with 0xFF 0x00 and closes. Connections
# that end before a handshake (a gateway's TCP health check) are closed and the next one is taken.
use strict;
use warnings;
use IO::Socket::INET;
use Protocol::WebSocket::Handshake::Server;
use Protocol::WebSocket::Frame;

$| = 1;
my $listener = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1, ReuseAddr => 1) or die "listen: $!";
print $listener->sockport, "\n";
my ($client, $handshake, $frame, $buffer);
sub take_next {
    close $client if $client;
    $client = $listener->accept or die "accept: $!";
    binmode($client);
    $handshake = Protocol::WebSocket::Handshake::Server->new;
    $buffer = '';
}
take_next();
while (1) {
    my $n = sysread($client, my $data, 65536);
    if (!$n && !$handshake->is_done) { take_next(); next; }
    last unless $n;
    if (!$handshake->is_done) {
        $buffer .= $data;
        $handshake->parse($buffer) or die "handshake: " . $handshake->error;
        next unless $handshake->is_done;
        syswrite($client, $handshake->to_string);
        $frame = $handshake->build_frame;
        $data = $buffer;
    }
    if ($data =~ /\xff\x00$/) {
        $frame->append(substr($data, 0, -2));
        while (defined(my $text = $frame->next_bytes)) { syswrite($client, $handshake->build_frame(buffer => $text)->to_bytes); }
        syswrite($client, "\xff\x00");
        last;
    }
    $frame->append($data);
    while (defined(my $text = $frame->next_bytes)) {
        syswrite($client, $handshake->build_frame(buffer => $text)->to_bytes);
    }
}
close $client;
