/*
 * The machine's ceiling for "one message in flight per connection" over loopback TCP: an epoll echo
 * server and an epoll client in C, each on its own core, as scripts/bench pins Passerelle, node ws
 * and their generator. Every round trip costs each side one read(2) and one write(2) — the least any
 * server can do per echoed message — so the server's CPU per round trip here is the kernel's floor
 * under any WebSocket echo on this machine.
 *
 * The client sends what a WebSocket client sends — a masked text frame, a fresh key per frame — and,
 * given a PATH, opens each connection with an RFC 6455 handshake first and expects the server's
 * unmasked frame back (2 + PAYLOAD bytes, checked: FIN text, length); without one it expects its own
 * frame back (a raw echo server). It does nothing else per message, so with it every WebSocket server
 * is measured where the server, not the client, is the limit.
 *
 * PAYLOAD 0 is scripts/bench's deflate echo (2 KB of the room's JSON, permessage-deflate offered as
 * Chromium offers it, compressed at zlib level 1 keeping its context as Chromium does): every reply is
 * inflated and compared with the message. It costs the client about what the server's side costs, so
 * a server no faster than ≈ 1.2× the client still is the limit (the client reports its core share).
 *
 *   tcp_pingpong server                      prints its port, echoes until killed
 *   tcp_pingpong client PORT CONNS PAYLOAD SECONDS WARMUP SERVER_PID [PATH]
 *                                            prints one JSON line: round trips/s and CPU µs per
 *                                            round trip of server and client over the measured window
 *   (build: cc -O2 tcp_pingpong.c -lz)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define MAX_EVENTS 256

static void die(const char *what) { perror(what); exit(1); }

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* utime + stime of a process in seconds, from /proc/PID/stat (fields 14 and 15). */
static double process_cpu_seconds(int pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) die("open /proc/PID/stat");
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');   /* the command name may hold spaces */
    if (!p) return 0;
    unsigned long utime = 0, stime = 0;
    /* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) return 0;
    return (double)(utime + stime) / sysconf(_SC_CLK_TCK);
}

static double own_cpu_seconds(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

static void set_nonblocking(int fd) {
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) die("fcntl");
}

static void set_nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static _Noreturn void run_server(void) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0) die("socket");
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
    if (listen(listener, 4096) < 0) die("listen");
    socklen_t len = sizeof addr;
    getsockname(listener, (struct sockaddr *)&addr, &len);
    printf("%d\n", ntohs(addr.sin_port));
    fflush(stdout);
    set_nonblocking(listener);
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = listener };
    epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
    struct epoll_event events[MAX_EVENTS];
    char buf[65536];
    for (;;) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == listener) {
                int client;
                while ((client = accept(listener, NULL, NULL)) >= 0) {
                    set_nonblocking(client);
                    set_nodelay(client);
                    struct epoll_event cev = { .events = EPOLLIN, .data.fd = client };
                    epoll_ctl(ep, EPOLL_CTL_ADD, client, &cev);
                }
                continue;
            }
            ssize_t got = read(fd, buf, sizeof buf);
            if (got <= 0) {
                if (got < 0 && errno == EAGAIN) continue;
                close(fd);
                continue;
            }
            /* A message this small always fits the socket's send buffer: one write. */
            if (write(fd, buf, (size_t)got) != got) { close(fd); }
        }
    }
}

/* xorshift64*: a masking key per frame, as a real client must (RFC 6455 §5.3), at no cost. */
static uint64_t random_state = 0x9E3779B97F4A7C15ull;
static uint32_t next_key(void) {
    random_state ^= random_state >> 12;
    random_state ^= random_state << 25;
    random_state ^= random_state >> 27;
    return (uint32_t)((random_state * 0x2545F4914F6CDD1Dull) >> 32);
}

/* A masked FIN text frame of `payload` letters (≤ 125) into `frame`; returns its length. */
static int masked_frame(unsigned char *frame, int payload) {
    uint32_t key = next_key();
    frame[0] = 0x81;
    frame[1] = (unsigned char)(0x80 | payload);
    memcpy(frame + 2, &key, 4);
    for (int i = 0; i < payload; i++) frame[6 + i] = (unsigned char)('a' ^ frame[2 + (i & 3)]);
    return 6 + payload;
}

/* Opens the connection with an RFC 6455 handshake (blocking); the answer must be 101. With `offer`,
 * the request carries it as Sec-WebSocket-Extensions and the answer's value of that header is copied
 * into `agreed` (empty when the server declined). */
static void websocket_handshake(int fd, int port, const char *path, const char *offer, char *agreed, size_t agreed_size) {
    char request[512];
    int length = snprintf(request, sizeof request,
                          "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s%s%s\r\n",
                          path, port, offer ? "Sec-WebSocket-Extensions: " : "", offer ? offer : "", offer ? "\r\n" : "");
    if (write(fd, request, (size_t)length) != length) die("write handshake");
    char answer[2048];
    size_t got = 0;
    while (got < sizeof answer - 1) {
        ssize_t n = read(fd, answer + got, 1);   /* byte by byte: nothing after the head is taken */
        if (n <= 0) die("read handshake");
        got += (size_t)n;
        answer[got] = 0;
        if (got >= 4 && memcmp(answer + got - 4, "\r\n\r\n", 4) == 0) break;
    }
    if (strncmp(answer, "HTTP/1.1 101", 12) != 0) {
        fprintf(stderr, "tcp_pingpong: the server did not upgrade: %.60s\n", answer);
        exit(1);
    }
    if (!agreed) return;
    agreed[0] = 0;
    const char *header = strcasestr(answer, "\r\nSec-WebSocket-Extensions:");
    if (!header) return;
    header += strlen("\r\nSec-WebSocket-Extensions:");
    while (*header == ' ') header++;
    size_t span = strcspn(header, "\r");
    if (span >= agreed_size) span = agreed_size - 1;
    memcpy(agreed, header, span);
    agreed[span] = 0;
}

/* ---- permessage-deflate (RFC 7692): the 2 KB JSON echo of scripts/bench, with a client as cheap as C ---- */

/* The chat line `passerelle bench echo --json-payload` sends (BenchCommand.chatDocument), byte for byte. */
static int chat_document(unsigned char *out, int size) {
    static const char *words[] = { "bonjour", "le", "salon", "passerelle", "tele", "message", "ws", "hixie" };
    char text[8192];
    int length = snprintf(text, sizeof text, "%s", "{\"action\":\"ctrl/chat/out\",\"msg\":\"{\\\"from\\\":\\\"bench\\\",\\\"message\\\":\\\"");
    for (int i = 0; length < size - 5 && length < (int)sizeof text - 64; i++)
        length += snprintf(text + length, sizeof text - (size_t)length, "%s ", words[i % 8]);
    length += snprintf(text + length, sizeof text - (size_t)length, "%s", "\\\"}\"}");
    if (length > size) length = size;
    memcpy(out, text, (size_t)length);
    return length;
}

/* One connection's deflate state: a compressor and an inflater (each keeping its context, as
 * Chromium's do, unless the server's answer said otherwise), and the bytes of the reply so far. */
struct deflate_peer {
    z_stream deflater, inflater;
    int reset_each_message;   /* the answer holds client_no_context_takeover (RFC 7692 §7.1.1.1) */
    int have;
    unsigned char pending[8192];
};

static void deflate_peer_init(struct deflate_peer *peer, const char *agreed) {
    if (!strstr(agreed, "permessage-deflate")) {
        fprintf(stderr, "tcp_pingpong: the server declined permessage-deflate (answer: '%s')\n", agreed);
        exit(1);
    }
    int bits = 15;   /* RFC 7692 §7.1.2.2: the server may ask for a smaller window */
    const char *limit = strstr(agreed, "client_max_window_bits=");
    if (limit) bits = atoi(limit + strlen("client_max_window_bits="));
    if (bits < 9 || bits > 15) { fprintf(stderr, "tcp_pingpong: client_max_window_bits=%d unsupported\n", bits); exit(1); }
    peer->reset_each_message = strstr(agreed, "client_no_context_takeover") != NULL;
    peer->have = 0;
    memset(&peer->deflater, 0, sizeof peer->deflater);
    memset(&peer->inflater, 0, sizeof peer->inflater);
    /* Level 1, as `passerelle bench` compresses: every server inflates the same kind of stream. */
    if (deflateInit2(&peer->deflater, 1, Z_DEFLATED, -bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) die("deflateInit2");
    if (inflateInit2(&peer->inflater, -15) != Z_OK) die("inflateInit2");
}

/* A masked, compressed FIN text frame of `message` (RSV1 set, §7.2.1: the trailing 00 00 ff ff of
 * the sync flush removed); returns where it starts in `frame` and its length in `length`. */
static unsigned char *deflate_frame(struct deflate_peer *peer, unsigned char *frame, size_t room,
                                    const unsigned char *message, int size, int *length) {
    enum { header_room = 8 };   /* 2 + 2 (16-bit length) + 4 (key) */
    peer->deflater.next_in = (unsigned char *)message;
    peer->deflater.avail_in = (unsigned)size;
    peer->deflater.next_out = frame + header_room;
    peer->deflater.avail_out = (unsigned)(room - header_room);
    if (deflate(&peer->deflater, Z_SYNC_FLUSH) != Z_OK || peer->deflater.avail_in != 0 || peer->deflater.avail_out == 0) {
        fprintf(stderr, "tcp_pingpong: deflate failed\n");
        exit(1);
    }
    if (peer->reset_each_message) deflateReset(&peer->deflater);
    int compressed = (int)(room - header_room - peer->deflater.avail_out) - 4;
    int header = compressed <= 125 ? 6 : 8;
    unsigned char *start = frame + header_room - header;
    uint32_t key = next_key();
    start[0] = 0xC1;   /* FIN, RSV1, text */
    if (compressed <= 125) {
        start[1] = (unsigned char)(0x80 | compressed);
    } else {
        start[1] = 0x80 | 126;
        start[2] = (unsigned char)(compressed >> 8);
        start[3] = (unsigned char)compressed;
    }
    unsigned char *mask = start + header - 4;
    memcpy(mask, &key, 4);
    for (int i = 0; i < compressed; i++) frame[header_room + i] ^= mask[i & 3];
    *length = header + compressed;
    return start;
}

/* Takes what was read; returns 1 when the reply — the same message, compressed or not — is
 * complete and checked, 0 when more is needed. A ping on the way is answered (§5.5.2). */
static int deflate_reply(struct deflate_peer *peer, int fd, const unsigned char *bytes, size_t got,
                         const unsigned char *message, int size) {
    if (peer->have + got > sizeof peer->pending) { fprintf(stderr, "tcp_pingpong: reply too long\n"); exit(1); }
    memcpy(peer->pending + peer->have, bytes, got);
    peer->have += (int)got;
    for (;;) {
        if (peer->have < 2) return 0;
        unsigned char *p = peer->pending;
        int header = 2, length = p[1] & 0x7f;
        if (p[1] & 0x80) { fprintf(stderr, "tcp_pingpong: masked frame from the server\n"); exit(1); }
        if (length == 127) { fprintf(stderr, "tcp_pingpong: reply too long\n"); exit(1); }
        if (length == 126) {
            if (peer->have < 4) return 0;
            length = p[2] << 8 | p[3];
            header = 4;
        }
        if (peer->have < header + length) return 0;
        int opcode = p[0] & 0x0f, rest = peer->have - header - length;
        if (opcode == 0x9) {   /* ping: a masked pong with its payload */
            unsigned char pong[6 + 125];
            uint32_t key = next_key();
            pong[0] = 0x8A;
            pong[1] = (unsigned char)(0x80 | length);
            memcpy(pong + 2, &key, 4);
            for (int i = 0; i < length; i++) pong[6 + i] = p[header + i] ^ pong[2 + (i & 3)];
            if (write(fd, pong, (size_t)(6 + length)) != 6 + length) die("write pong");
            memmove(p, p + header + length, (size_t)rest);
            peer->have = rest;
            continue;
        }
        if (p[0] != 0xC1 && p[0] != 0x81) { fprintf(stderr, "tcp_pingpong: unexpected frame %02x\n", p[0]); exit(1); }
        if (rest != 0) { fprintf(stderr, "tcp_pingpong: more than one reply\n"); exit(1); }
        unsigned char plain[4096];
        const unsigned char *text = p + header;
        int text_length = length;
        if (p[0] & 0x40) {   /* §7.2.2: inflate the payload followed by 00 00 ff ff */
            static const unsigned char tail[4] = { 0x00, 0x00, 0xff, 0xff };
            peer->inflater.next_out = plain;
            peer->inflater.avail_out = sizeof plain;
            peer->inflater.next_in = p + header;
            peer->inflater.avail_in = (unsigned)length;
            int status = inflate(&peer->inflater, Z_SYNC_FLUSH);
            peer->inflater.next_in = (unsigned char *)tail;
            peer->inflater.avail_in = 4;
            if (status == Z_OK || status == Z_BUF_ERROR) status = inflate(&peer->inflater, Z_SYNC_FLUSH);
            if (status != Z_OK && status != Z_BUF_ERROR) { fprintf(stderr, "tcp_pingpong: inflate failed (%d)\n", status); exit(1); }
            text = plain;
            text_length = (int)(sizeof plain - peer->inflater.avail_out);
        }
        if (text_length != size || memcmp(text, message, (size_t)size) != 0) {
            fprintf(stderr, "tcp_pingpong: the echo differs from the message (%d bytes)\n", text_length);
            exit(1);
        }
        peer->have = 0;
        return 1;
    }
}

/* payload == 0: the deflate echo (the 2 KB chat line, permessage-deflate offered as Chromium does). */
static int run_client(int port, int conns, int payload, double seconds, double warmup, int server_pid, const char *path) {
    int deflating = payload == 0;
    if (!deflating && (payload < 1 || payload > 125)) { fprintf(stderr, "tcp_pingpong: PAYLOAD must be 1…125\n"); exit(2); }
    if (deflating && !path) { fprintf(stderr, "tcp_pingpong: the deflate echo needs a PATH\n"); exit(2); }
    int reply = path ? 2 + payload : 6 + payload;   /* the server's frame, or our own echoed */
    int ep = epoll_create1(0);
    unsigned char frame[8192];
    unsigned char message[2048];
    int message_size = deflating ? chat_document(message, (int)sizeof message) : payload;
    int *received = calloc((size_t)conns + 1024, sizeof(int));   /* bytes of the current reply, by fd */
    struct deflate_peer **peers = calloc((size_t)conns + 1024, sizeof *peers);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int *fds = calloc((size_t)conns, sizeof(int));
    char agreed[512];
    for (int i = 0; i < conns; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) die("socket");
        if (fd >= conns + 1024) { fprintf(stderr, "tcp_pingpong: descriptor %d out of range\n", fd); exit(1); }
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");
        set_nodelay(fd);
        if (path) websocket_handshake(fd, port, path, deflating ? "permessage-deflate; client_max_window_bits" : NULL,
                                      deflating ? agreed : NULL, sizeof agreed);
        if (deflating) {
            peers[fd] = malloc(sizeof **peers);
            deflate_peer_init(peers[fd], agreed);
        }
        set_nonblocking(fd);
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        fds[i] = fd;
    }
    for (int i = 0; i < conns; i++) {
        int length;
        unsigned char *start = deflating ? deflate_frame(peers[fds[i]], frame, sizeof frame, message, message_size, &length)
                                         : (length = masked_frame(frame, payload), frame);
        if (write(fds[i], start, (size_t)length) != length) die("write");
    }
    struct epoll_event events[MAX_EVENTS];
    unsigned char buf[65536];
    long round_trips = 0;
    int measuring = 0;
    double start = now_seconds(), window_start = 0, server_cpu_start = 0, own_cpu_start = 0;
    for (;;) {
        double t = now_seconds();
        if (!measuring && t - start >= warmup) {
            measuring = 1;
            round_trips = 0;
            window_start = t;
            server_cpu_start = process_cpu_seconds(server_pid);
            own_cpu_start = own_cpu_seconds();
        }
        if (measuring && t - window_start >= seconds) break;
        int n = epoll_wait(ep, events, MAX_EVENTS, 100);
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            ssize_t got = read(fd, buf, sizeof buf);
            if (got <= 0) {
                if (got < 0 && errno == EAGAIN) continue;
                fprintf(stderr, "tcp_pingpong: the server closed a connection\n");
                exit(1);
            }
            int length;
            unsigned char *next = frame;
            if (deflating) {
                if (!deflate_reply(peers[fd], fd, buf, (size_t)got, message, message_size)) continue;
                next = deflate_frame(peers[fd], frame, sizeof frame, message, message_size, &length);
            } else {
                /* One message in flight: what arrives is the current reply, never the next one. */
                if (path && received[fd] == 0 && (buf[0] != 0x81 || (got > 1 && buf[1] != payload))) {
                    fprintf(stderr, "tcp_pingpong: unexpected frame %02x %02x\n", buf[0], got > 1 ? buf[1] : 0);
                    exit(1);
                }
                received[fd] += (int)got;
                if (received[fd] < reply) continue;
                if (received[fd] > reply) { fprintf(stderr, "tcp_pingpong: more than one reply\n"); exit(1); }
                received[fd] = 0;
                length = masked_frame(frame, payload);
            }
            round_trips++;
            if (write(fd, next, (size_t)length) != length) die("write");
        }
    }
    double elapsed = now_seconds() - window_start;
    double server_cpu = process_cpu_seconds(server_pid) - server_cpu_start;
    double own_cpu = own_cpu_seconds() - own_cpu_start;
    printf("{\"connections\":%d,\"payload\":%d,\"deflate\":%s,\"roundTripsPerSecond\":%.0f,"
           "\"serverCPUMicrosPerRoundTrip\":%.2f,\"clientCPUMicrosPerRoundTrip\":%.2f,\"clientCoreShare\":%.2f}\n",
           conns, message_size, deflating ? "true" : "false", round_trips / elapsed, server_cpu * 1e6 / round_trips,
           own_cpu * 1e6 / round_trips, own_cpu / elapsed);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "server") == 0) run_server();
    if ((argc == 8 || argc == 9) && strcmp(argv[1], "client") == 0)
        return run_client(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atof(argv[5]), atof(argv[6]), atoi(argv[7]),
                          argc == 9 ? argv[8] : NULL);
    fprintf(stderr, "usage: tcp_pingpong server | client PORT CONNS PAYLOAD SECONDS WARMUP SERVER_PID [PATH]\n");
    return 2;
}
