/* C baseline for the same-thread trigger + collect (benchmark (b)).
 *
 * The Linux work equivalent to one kevent call that triggers an EVFILT_USER
 * knote and collects it: write(eventfd) -> epoll_wait(timeout 0) -> read(eventfd).
 * Usage: samethread [iterations]; prints ns per iteration on stdout.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (efd < 0 || ep < 0) die("setup");
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = efd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) < 0) die("epoll_ctl");
    uint64_t one = 1, v;
    long got = 0;
    for (int pass = 0; pass < 2; pass++) {          /* pass 0 warms up */
        long iters = pass == 0 ? n / 10 + 1 : n;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long i = 0; i < iters; i++) {
            if (write(efd, &one, sizeof one) != sizeof one) die("write");
            struct epoll_event out;
            int r = epoll_wait(ep, &out, 1, 0);
            if (r != 1) die("epoll_wait");
            if (read(efd, &v, sizeof v) != sizeof v) die("read");
            got += r;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (pass == 1) {
            double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
            printf("%.1f\n", ns / iters);
        }
    }
    return got > 0 ? 0 : 1;
}
