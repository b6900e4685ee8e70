/* C baseline for file write -> notification (the vnode row).
 *
 * As VnodeLatency does: one thread blocked in epoll_wait on an inotify
 * descriptor watching a file for IN_MODIFY; the main thread, 0.2 ms after
 * the previous sample, takes the time and writes 8 bytes at offset 0 of the
 * file (it does not grow); the waiter returns from epoll_wait, reads the
 * event and takes the time, which it passes back through a pipe.
 * Usage: vnode [samples]; prints the samples' latencies in ns, one line.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

static int ino, ep, back[2];

static void die(const char *what) { perror(what); exit(1); }

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *waiter(void *arg) {
    (void) arg;
    char buf[sizeof(struct inotify_event) + NAME_MAX + 1] __attribute__((aligned(8)));
    for (;;) {
        struct epoll_event ev;
        int r = epoll_wait(ep, &ev, 1, -1);
        if (r < 0) die("epoll_wait");
        if (r == 0) continue;
        if (read(ino, buf, sizeof buf) <= 0) die("read inotify");
        int64_t t1 = now_ns();
        if (write(back[1], &t1, sizeof t1) != sizeof t1) die("write");
    }
    return NULL;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 200;
    char dir[] = "/tmp/jkq-vnode-c.XXXXXX", path[64];
    if (!mkdtemp(dir)) die("mkdtemp");
    snprintf(path, sizeof path, "%s/f", dir);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) die("open");
    char data[8] = {0};
    if (pwrite(fd, data, 8, 0) != 8) die("pwrite");
    ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (ino < 0) die("inotify_init1");
    if (inotify_add_watch(ino, path, IN_MODIFY) < 0) die("inotify_add_watch");
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ino};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, ino, &ev) < 0) die("epoll_ctl");
    if (pipe2(back, O_CLOEXEC) < 0) die("pipe2");
    pthread_t t;
    if (pthread_create(&t, NULL, waiter, NULL)) die("pthread_create");
    int64_t *ns = malloc((size_t) n * sizeof *ns);
    struct timespec gap = {0, 200000};
    for (int i = 0; i < n; i++) {
        nanosleep(&gap, NULL);
        int64_t t0 = now_ns(), t1;
        if (pwrite(fd, data, 8, 0) != 8) die("pwrite");
        if (read(back[0], &t1, sizeof t1) != sizeof t1) die("read");
        ns[i] = t1 - t0;
    }
    for (int i = 0; i < n; i++) printf(i ? " %lld" : "%lld", (long long) ns[i]);
    printf("\n");
    close(fd);
    unlink(path);
    rmdir(dir);
    return 0;
}
