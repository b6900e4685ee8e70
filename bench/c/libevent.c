/* C baseline for the libevent bench (LibeventBench): libevent's test/bench.c
 * workload on raw epoll, level-triggered, epoll_wait with a zero timeout.
 *
 * N AF_UNIX socket pairs' ends are watched; a run writes one byte into A ends
 * N/A apart, then dispatches until every byte is read, each read callback
 * reading its byte and, while writes remain (W per run), writing one to the
 * next end. Variant "fionread" also asks FIONREAD of each ready end before
 * reading it, as a kqueue on Linux must to fill an EVFILT_READ event's data.
 * Usage: libevent N A W MS epoll|fionread; prints runs per second of dispatch
 * time (the dispatch loops only, as bench.c times them) on stdout.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 512

static void die(const char *what) { perror(what); exit(1); }

static int n, *ends;
static long count, fired, writes_left, failures;
static volatile int readable_sink;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int peer(int i) {
    int half = n / 2;
    return ends[i < half ? i + half : i - half];
}

static void read_cb(int idx, int fionread) {
    char ch = 'e';
    if (fionread) {
        int avail;
        if (ioctl(ends[idx], FIONREAD, &avail) < 0) failures++;
        readable_sink = avail;
    }
    long r = recv(ends[idx], &ch, 1, 0);
    if (r >= 0) count += r; else failures++;
    if (writes_left > 0) {
        int widx = idx + 1;
        if (widx >= n) widx -= n;
        if (send(peer(widx), "e", 1, 0) != 1) failures++;
        writes_left--;
        fired++;
    }
}

int main(int argc, char **argv) {
    if (argc != 6) { fprintf(stderr, "usage: libevent N A W MS epoll|fionread\n"); return 2; }
    n = atoi(argv[1]) / 2 * 2;
    int active = atoi(argv[2]), writes = atoi(argv[3]);
    double seconds = atoi(argv[4]) / 1000.0;
    int fionread = strcmp(argv[5], "fionread") == 0;
    ends = calloc(n, sizeof *ends);
    for (int k = 0; k < n / 2; k++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) die("socketpair");
        ends[k] = sv[0];
        ends[k + n / 2] = sv[1];
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    for (int i = 0; i < n; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, ends[i], &ev) < 0) die("epoll_ctl");
    }
    struct epoll_event events[MAX_EVENTS];
    int space = n / active;
    double start = now(), busy = 0;
    long runs = 0;
    for (int pass = 0; pass < 2; pass++) {          /* pass 0 warms up for a fifth of the time */
        double until = now() + (pass == 0 ? seconds / 5 : seconds);
        busy = 0;
        runs = 0;
        do {
            fired = 0;
            for (int i = 0; i < active; i++, fired++) {
                if (send(peer(i * space), "e", 1, 0) != 1) failures++;
            }
            count = 0;
            writes_left = writes;
            double t0 = now();
            do {
                int k = epoll_wait(ep, events, MAX_EVENTS, 0);
                if (k < 0) die("epoll_wait");
                for (int i = 0; i < k; i++) read_cb(events[i].data.u32, fionread);
            } while (count != fired);
            busy += now() - t0;
            runs++;
        } while (now() < until);
    }
    (void) start;
    if (failures) { fprintf(stderr, "%ld failed reads or writes\n", failures); return 1; }
    printf("%.1f\n", runs / busy);
    return 0;
}
