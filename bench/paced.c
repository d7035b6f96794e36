/* A paced (open-loop) HTTP/1.1 load generator for bench/scan.py.

   cc -O2 -o paced paced.c
   paced HOST PORT RATE SECONDS REQUESTS_FILE MAX_CONNECTIONS [keep]

   Sends exactly RATE requests a second for SECONDS, request i due at start + i/RATE,
   whatever the server does (no coordinated omission: a request that cannot be sent at
   its time because every connection is busy waits in a queue, and its latency counts
   from when it was due). Latency is measured from the due time to the last byte of the
   response. REQUESTS_FILE holds complete requests, each preceded by its length as a
   decimal line; they are sent in turn. Without `keep`, every request opens its own
   connection (as gunicorn's sync workers close each one after the response); with it,
   connections are reused unless the server answers `Connection: close`.

   Prints one JSON line: requests, errors (non-2xx, refused, reset), rps, p50, p99,
   p999, max (milliseconds). Written in C so that the generator's own overhead stays
   far below what it measures: a Python asyncio client added milliseconds at p99 on
   its own. Loopback only by intent: the bench passes 127.0.0.1. */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { IDLE, CONNECTING, WAITING, CLOSED };

typedef struct {
    int fd;
    int state;
    double due;     /* the due time of the request in flight */
    const char *req;
    size_t req_len, sent;
    char buf[65536];
    size_t got;
} Conn;

static struct sockaddr_in addr;
static char **reqs;
static size_t *req_lens;
static size_t nreqs, next_req;
static double *lat;
static size_t nlat;
static long errors;
static int keep;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void load(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    size_t cap = 1024;
    reqs = malloc(cap * sizeof *reqs);
    req_lens = malloc(cap * sizeof *req_lens);
    size_t len;
    while (fscanf(f, "%zu\n", &len) == 1) {
        if (nreqs == cap) {
            cap *= 2;
            reqs = realloc(reqs, cap * sizeof *reqs);
            req_lens = realloc(req_lens, cap * sizeof *req_lens);
        }
        reqs[nreqs] = malloc(len);
        if (fread(reqs[nreqs], 1, len, f) != len) { fprintf(stderr, "short request\n"); exit(2); }
        req_lens[nreqs++] = len;
    }
    fclose(f);
    if (!nreqs) { fprintf(stderr, "no requests in %s\n", path); exit(2); }
}

static void drop(int ep, Conn *c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->state = CLOSED;
}

static int open_conn(int ep, Conn *c) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    c->fd = fd;
    c->state = CONNECTING;
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    return 0;
}

static void try_send(int ep, Conn *c) {
    while (c->sent < c->req_len) {
        ssize_t n = send(c->fd, c->req + c->sent, c->req_len - c->sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN) break;
            errors++;
            lat[nlat++] = now() - c->due;
            drop(ep, c);
            return;
        }
        c->sent += n;
    }
    struct epoll_event ev = {.events = EPOLLIN | (c->sent < c->req_len ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->state = WAITING;
}

static void start(int ep, Conn *c, double due) {
    c->due = due;
    c->req = reqs[next_req % nreqs];
    c->req_len = req_lens[next_req % nreqs];
    next_req++;
    c->sent = 0;
    c->got = 0;
    if (c->state == CLOSED) {
        if (open_conn(ep, c) < 0) {
            errors++;
            lat[nlat++] = now() - due;
            return;
        }
        return; /* sent when the connection is writable */
    }
    try_send(ep, c);
}

/* 1 when a whole response is in the buffer (sets *close_it, *ok), 0 when more is needed. */
static int complete(Conn *c, int *close_it, int *ok) {
    c->buf[c->got < sizeof c->buf ? c->got : sizeof c->buf - 1] = 0;
    char *end = strstr(c->buf, "\r\n\r\n");
    if (!end) return 0;
    size_t head = end + 4 - c->buf;
    long length = 0;
    *close_it = !keep;
    for (char *line = strstr(c->buf, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n")) {
        char *name = line + 2, *stop = strstr(name, "\r\n");
        if (!strncasecmp(name, "content-length:", 15)) length = strtol(name + 15, NULL, 10);
        if (!strncasecmp(name, "connection:", 11)) {
            char *found = strcasestr(name + 11, "close");
            if (found && found < stop) *close_it = 1;
        }
    }
    if (c->got < head + (size_t)length) return 0;
    *ok = !strncmp(c->buf, "HTTP/1.1 2", 10) || !strncmp(c->buf, "HTTP/1.0 2", 10);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: paced HOST PORT RATE SECONDS REQUESTS_FILE MAX_CONNECTIONS [keep]\n");
        return 2;
    }
    addr.sin_family = AF_INET;
    addr.sin_port = htons(atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) { fprintf(stderr, "bad host\n"); return 2; }
    double rate = atof(argv[3]), seconds = atof(argv[4]);
    load(argv[5]);
    int nconn = atoi(argv[6]);
    keep = argc > 7 && !strcmp(argv[7], "keep");
    size_t total = (size_t)(rate * seconds);
    lat = malloc((total + 1) * sizeof *lat);
    double *queue = malloc((total + 1) * sizeof *queue); /* due times waiting for a connection */
    size_t qhead = 0, qtail = 0;
    Conn *conns = calloc(nconn, sizeof *conns);
    for (int i = 0; i < nconn; i++) conns[i].fd = -1, conns[i].state = CLOSED;
    int ep = epoll_create1(0);
    struct epoll_event events[256];
    double t0 = now();
    size_t issued = 0;
    while (nlat < total) {
        double t = now();
        while (issued < total && t0 + issued / rate <= t) queue[qtail++] = t0 + issued++ / rate;
        for (int i = 0; i < nconn && qhead < qtail; i++) {
            Conn *c = &conns[i];
            if (c->state == IDLE || c->state == CLOSED) start(ep, c, queue[qhead++]);
        }
        double wait_ms = 50;
        if (issued < total) {
            double next = (t0 + issued / rate - now()) * 1000;
            wait_ms = next < 0 ? 0 : next;
        }
        if (now() - t0 > seconds + 30) break; /* bounded: a dead server cannot hang the bench */
        /* epoll's timeout is in whole milliseconds: sleep the fraction first. */
        if (wait_ms > 0 && wait_ms < 1) {
            struct timespec ts = {0, (long)(wait_ms * 1e6)};
            int n = epoll_wait(ep, events, 256, 0);
            if (n == 0) { nanosleep(&ts, NULL); continue; }
        }
        int n = epoll_wait(ep, events, 256, (int)wait_ms);
        for (int k = 0; k < n; k++) {
            Conn *c = events[k].data.ptr;
            if (c->state == CONNECTING) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err) {
                    errors++;
                    lat[nlat++] = now() - c->due;
                    drop(ep, c);
                    continue;
                }
                try_send(ep, c);
                continue;
            }
            if (c->state != WAITING) continue;
            if ((events[k].events & EPOLLOUT) && c->sent < c->req_len) try_send(ep, c);
            if (c->state != WAITING || !(events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
            ssize_t r = recv(c->fd, c->buf + c->got, sizeof c->buf - 1 - c->got, 0);
            if (r < 0 && errno == EAGAIN) continue;
            if (r > 0) c->got += r;
            int close_it = 0, ok = 0;
            if (r > 0 && !complete(c, &close_it, &ok)) continue;
            lat[nlat++] = now() - c->due;
            if (r <= 0) {
                errors++; /* closed or reset before a whole response */
                drop(ep, c);
                continue;
            }
            if (!ok) errors++;
            if (close_it) drop(ep, c);
            else c->state = IDLE;
        }
    }
    double elapsed = now() - t0;
    qsort(lat, nlat, sizeof *lat, cmp);
#define PICK(q) (nlat ? lat[(size_t)((q) * nlat) < nlat ? (size_t)((q) * nlat) : nlat - 1] * 1000 : 0)
    printf("{\"requests\": %zu, \"errors\": %ld, \"rps\": %.1f, \"p50\": %.3f, \"p99\": %.3f, "
           "\"p999\": %.3f, \"max\": %.3f, \"unanswered\": %zu}\n",
           nlat, errors, nlat / elapsed, PICK(0.50), PICK(0.99), PICK(0.999), PICK(1.0),
           total - nlat);
    return 0;
}
