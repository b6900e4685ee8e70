/* C floor for the timers benchmark (c): what sleeping and waking alone costs.
 *
 * Sleeps and wakes N times, evenly over one second, the way a kqueue's
 * sleeper does between callouts: timerfd_settime at the next absolute
 * deadline, then epoll_wait until it fires. Nothing else is done per wake-up.
 * Usage: wakeups N; prints the process CPU time it took, in nanoseconds.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>

static void die(const char *what) { perror(what); exit(1); }

static long long nanos(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 10000;
    if (n <= 0) die("N");
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (ep < 0 || tfd < 0) die("setup");
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = tfd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) < 0) die("epoll_ctl");
    long long interval = 1000000000LL / n;
    long long cpu0 = nanos(CLOCK_PROCESS_CPUTIME_ID);
    long long next = nanos(CLOCK_MONOTONIC);
    for (long i = 0; i < n; i++) {
        next += interval;
        struct itimerspec its = {.it_value = {.tv_sec = next / 1000000000LL, .tv_nsec = next % 1000000000LL}};
        if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0) die("timerfd_settime");
        struct epoll_event out;
        if (epoll_wait(ep, &out, 1, -1) < 0) die("epoll_wait");
    }
    printf("%lld\n", nanos(CLOCK_PROCESS_CPUTIME_ID) - cpu0);
    return 0;
}
