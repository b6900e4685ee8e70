/* C baseline for the cross-thread ping-pong (benchmark (a)).
 *
 * Two threads, two eventfds, each eventfd in its own epoll instance.
 * A: write(efd_b) -> epoll_wait(ep_a) -> read(efd_a)
 * B: epoll_wait(ep_b) -> read(efd_b) -> write(efd_a)
 * Usage: pingpong [round_trips]; prints ns per round trip on stdout.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static int efd_a, efd_b, ep_a, ep_b;
static long n;

static void die(const char *what) { perror(what); exit(1); }

static void wait_and_read(int ep, int efd) {
    struct epoll_event ev;
    for (;;) {
        int r = epoll_wait(ep, &ev, 1, -1);
        if (r == 1) break;
        if (r < 0) die("epoll_wait");
    }
    uint64_t v;
    if (read(efd, &v, sizeof v) != sizeof v) die("read");
}

static void signal_fd(int efd) {
    uint64_t one = 1;
    if (write(efd, &one, sizeof one) != sizeof one) die("write");
}

static void *partner(void *arg) {
    (void) arg;
    for (long i = 0; i < n; i++) {
        wait_and_read(ep_b, efd_b);
        signal_fd(efd_a);
    }
    return NULL;
}

static int make_epoll(int efd) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = efd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) < 0) die("epoll_ctl");
    return ep;
}

int main(int argc, char **argv) {
    n = argc > 1 ? atol(argv[1]) : 200000;
    efd_a = eventfd(0, EFD_CLOEXEC);
    efd_b = eventfd(0, EFD_CLOEXEC);
    if (efd_a < 0 || efd_b < 0) die("eventfd");
    ep_a = make_epoll(efd_a);
    ep_b = make_epoll(efd_b);
    pthread_t t;
    if (pthread_create(&t, NULL, partner, NULL)) die("pthread_create");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) {
        signal_fd(efd_b);
        wait_and_read(ep_a, efd_a);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_join(t, NULL);
    double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
    printf("%.1f\n", ns / n);
    return 0;
}
