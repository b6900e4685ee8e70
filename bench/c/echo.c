/* C baseline for the echo bench (EchoBench): the echo server with the
 * fewest system calls a poller allows, so that its rate under the same load
 * generator is the ceiling of what any server can reach there.
 *
 * W threads, each with its own level-triggered epoll instance holding the
 * listening socket (EPOLLEXCLUSIVE: one of them wakes per connection) and
 * the connections it accepted. A ready connection is read once into a
 * 16 KiB buffer and what came is written back (spinning while the peer is
 * slow to read), as EchoServer and SelectorEchoServer do it; a read of 0
 * or an error closes it. One epoll_wait per batch of up to 1,024 events.
 * Usage: echo W; listens on 127.0.0.1 at a port of the kernel's choosing,
 * prints the port on stdout, and serves until its stdin reaches end of file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 1024
#define BUF 16384

static int listen_fd;

static void die(const char *what) { perror(what); exit(1); }

static void accept_all(int ep) {
    for (;;) {
        int c = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) return;
            die("accept4");
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = c};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) < 0) die("epoll_ctl");
    }
}

static void echo(int fd, char *buf) {
    ssize_t n = read(fd, buf, BUF);
    if (n <= 0) {
        if (n < 0 && errno == EAGAIN) return;
        close(fd);   /* also leaves the epoll set */
        return;
    }
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(fd, buf + off, n - off);
        if (w > 0) {
            off += w;
        } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
            close(fd);
            return;
        }
    }
}

static void *work(void *unused) {
    (void) unused;
    char buf[BUF];
    struct epoll_event events[BATCH];
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    struct epoll_event lev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = listen_fd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &lev) < 0) die("epoll_ctl listen");
    for (;;) {
        int n = epoll_wait(ep, events, BATCH, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            if (events[i].data.fd == listen_fd) {
                accept_all(ep);
            } else {
                echo(events[i].data.fd, buf);
            }
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    int workers = argc > 1 ? atoi(argv[1]) : 1;
    if (workers <= 0) die("W");
    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd < 0) die("socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
    socklen_t len = sizeof a;
    if (bind(listen_fd, (struct sockaddr *) &a, sizeof a) < 0 || listen(listen_fd, 1024) < 0
            || getsockname(listen_fd, (struct sockaddr *) &a, &len) < 0) {
        die("listen");
    }
    printf("%d\n", ntohs(a.sin_port));
    fflush(stdout);
    for (int i = 0; i < workers; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, work, NULL) != 0) die("pthread_create");
    }
    char c;
    while (read(0, &c, 1) > 0) {
    }
    return 0;
}
