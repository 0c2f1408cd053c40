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
 *   tcp_pingpong server                      prints its port, echoes until killed
 *   tcp_pingpong client PORT CONNS PAYLOAD SECONDS WARMUP SERVER_PID [PATH]
 *                                            prints one JSON line: round trips/s and CPU µs per
 *                                            round trip of server and client over the measured window
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

/* Opens the connection with an RFC 6455 handshake (blocking); the answer must be 101. */
static void websocket_handshake(int fd, int port, const char *path) {
    char request[512];
    int length = snprintf(request, sizeof request,
                          "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                          path, port);
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
}

static int run_client(int port, int conns, int payload, double seconds, double warmup, int server_pid, const char *path) {
    if (payload < 1 || payload > 125) { fprintf(stderr, "tcp_pingpong: PAYLOAD must be 1…125\n"); exit(2); }
    int reply = path ? 2 + payload : 6 + payload;   /* the server's frame, or our own echoed */
    int ep = epoll_create1(0);
    unsigned char frame[256];
    int *received = calloc((size_t)conns + 1024, sizeof(int));   /* bytes of the current reply, by fd */
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int *fds = calloc((size_t)conns, sizeof(int));
    for (int i = 0; i < conns; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) die("socket");
        if (fd >= conns + 1024) { fprintf(stderr, "tcp_pingpong: descriptor %d out of range\n", fd); exit(1); }
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");
        set_nodelay(fd);
        if (path) websocket_handshake(fd, port, path);
        set_nonblocking(fd);
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        fds[i] = fd;
    }
    for (int i = 0; i < conns; i++) {
        int length = masked_frame(frame, payload);
        if (write(fds[i], frame, (size_t)length) != length) die("write");
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
            /* One message in flight: what arrives is the current reply, never the next one. */
            if (path && received[fd] == 0 && (buf[0] != 0x81 || (got > 1 && buf[1] != payload))) {
                fprintf(stderr, "tcp_pingpong: unexpected frame %02x %02x\n", buf[0], got > 1 ? buf[1] : 0);
                exit(1);
            }
            received[fd] += (int)got;
            if (received[fd] < reply) continue;
            if (received[fd] > reply) { fprintf(stderr, "tcp_pingpong: more than one reply\n"); exit(1); }
            received[fd] = 0;
            round_trips++;
            int length = masked_frame(frame, payload);
            if (write(fd, frame, (size_t)length) != length) die("write");
        }
    }
    double elapsed = now_seconds() - window_start;
    double server_cpu = process_cpu_seconds(server_pid) - server_cpu_start;
    double own_cpu = own_cpu_seconds() - own_cpu_start;
    printf("{\"connections\":%d,\"payload\":%d,\"roundTripsPerSecond\":%.0f,"
           "\"serverCPUMicrosPerRoundTrip\":%.2f,\"clientCPUMicrosPerRoundTrip\":%.2f,\"clientCoreShare\":%.2f}\n",
           conns, payload, round_trips / elapsed, server_cpu * 1e6 / round_trips, own_cpu * 1e6 / round_trips,
           own_cpu / elapsed);
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
