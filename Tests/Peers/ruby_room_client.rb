#!/usr/bin/env ruby
# A room member on websocket-ruby (an independent implementation), speaking hixie-75 by default
# (or hixie-76 / 13 with --version). Handshakes, prints "handshake: ok", waits for a line on stdin
# ("go"), sends each MESSAGE in the tutorial's exact JSON, prints every frame received as
# "frame: TEXT" until EXPECT of them arrived, then closes.
#
# usage: ruby_room_client.rb URL NAME EXPECT [--version 75] MESSAGE...
require 'socket'
require 'websocket'
require 'json'
require 'uri'

$stdout.sync = true
url, name, expect = ARGV.shift(3)
expect = expect.to_i
version = 75
if ARGV[0] == '--version'
  ARGV.shift
  version = ARGV.shift.to_i
end
messages = ARGV

uri = URI.parse(url)
socket = TCPSocket.new(uri.host, uri.port)
handshake = WebSocket::Handshake::Client.new(url: url, version: version)
socket.write(handshake.to_s)
until handshake.finished?
  ready = IO.select([socket], nil, nil, 10) or abort('timeout during the handshake')
  handshake << socket.readpartial(65536)
end
abort("handshake refused: #{handshake.error}") unless handshake.valid?
puts 'handshake: ok'
incoming = WebSocket::Frame::Incoming::Client.new(version: handshake.version)
incoming << handshake.leftovers.to_s if handshake.respond_to?(:leftovers) && handshake.leftovers

$stdin.gets
messages.each do |text|
  # The tutorial page's exact format: inner JSON by concatenation, outer by JSON.stringify.
  inner = '{"from":"' + name + '", "message":"' + text + '"}'
  frame = WebSocket::Frame::Outgoing::Client.new(version: handshake.version, data: '{"action":"ctrl/chat/out", "msg":' + JSON.generate(inner) + '}', type: :text)
  socket.write(frame.to_s)
  sleep 0.01
end

received = 0
while received < expect
  while (frame = incoming.next)
    puts "frame: #{frame.data.force_encoding('UTF-8')}"
    received += 1
  end
  break if received >= expect
  ready = IO.select([socket], nil, nil, 15) or abort("timeout after #{received} of #{expect} frames")
  data = socket.readpartial(65536) rescue abort("connection closed after #{received} of #{expect} frames")
  incoming << data
end
socket.close
puts 'done'
