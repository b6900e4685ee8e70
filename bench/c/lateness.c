/* C baseline for timer lateness (benchmark (d)).
 *
 * N periodic timerfds (default 100, period 1 ms) in one epoll instance, one
 * thread collecting for a while. Lateness of each delivery = time after
 * epoll_wait returns - (timer start + period * cumulative expirations read).
 * Usage: lateness [milliseconds [timers [period_us]]]
 * Prints "p50_ns p99_ns max_ns events expirations" on stdout.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    long ms = argc > 1 ? atol(argv[1]) : 1000;
    int n = argc > 2 ? atoi(argv[2]) : 100;
    long period_ns = (argc > 3 ? atol(argv[3]) : 1000) * 1000L;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    int *fd = calloc(n, sizeof *fd);
    int64_t *start = calloc(n, sizeof *start), *cum = calloc(n, sizeof *cum);
    size_t cap = (size_t) n * (ms * 1000000L / period_ns + 10) + 1000, count = 0;
    int64_t *late = malloc(cap * sizeof *late);
    struct itimerspec its = {.it_interval = {0, period_ns}, .it_value = {0, period_ns}};
    for (int i = 0; i < n; i++) {
        fd[i] = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (fd[i] < 0) die("timerfd_create");
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t) i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd[i], &ev) < 0) die("epoll_ctl");
        start[i] = now_ns();
        if (timerfd_settime(fd[i], 0, &its, NULL) < 0) die("timerfd_settime");
    }
    int64_t end = now_ns() + ms * 1000000L, t;
    long events = 0, expirations = 0;
    struct epoll_event out[256];
    do {
        int r = epoll_wait(ep, out, 256, -1);
        if (r < 0) die("epoll_wait");
        t = now_ns();
        for (int k = 0; k < r; k++) {
            int i = (int) out[k].data.u32;
            uint64_t exp;
            if (read(fd[i], &exp, sizeof exp) != sizeof exp) continue;
            cum[i] += (int64_t) exp;
            if (count < cap) late[count++] = t - (start[i] + cum[i] * period_ns);
            events++;
            expirations += (long) exp;
        }
    } while (t < end);
    qsort(late, count, sizeof *late, cmp);
    size_t i50 = (size_t) (0.50 * count + 0.999999) - 1, i99 = (size_t) (0.99 * count + 0.999999) - 1;
    printf("%lld %lld %lld %ld %ld\n", (long long) late[i50], (long long) late[i99], (long long) late[count - 1],
           events, expirations);
    return 0;
}
