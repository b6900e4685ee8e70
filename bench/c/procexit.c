/* C baseline for child exit -> notification (the procexit row).
 *
 * Per sample, as ProcExit does: fork + exec sh -c 'echo r; read x' with its
 * stdin and stdout on pipes, wait for its "r" (it is then blocked in read),
 * pidfd_open it and add the pidfd to an epoll instance (the registration,
 * before the trigger), take the time, close the child's stdin (sh sees end
 * of file and exits), epoll_wait on the pidfd, waitid(P_PIDFD) for the exit
 * status, take the time.
 * Usage: procexit [samples]; prints the samples' latencies in ns, one line.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static void die(const char *what) { perror(what); exit(1); }

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t sample(int ep) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) die("pipe2");
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0) _exit(127);
        execl("/bin/sh", "sh", "-c", "echo r; read x", (char *) NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    char line[2];
    if (read(out[0], line, 2) != 2 || line[0] != 'r') die("the child did not start");
    int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) die("pidfd_open");
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = pidfd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, pidfd, &ev) < 0) die("epoll_ctl");
    int64_t t0 = now_ns();
    close(in[1]);
    for (;;) {
        int r = epoll_wait(ep, &ev, 1, -1);
        if (r == 1) break;
        if (r < 0) die("epoll_wait");
    }
    siginfo_t si = {0};
    if (waitid(P_PIDFD, pidfd, &si, WEXITED) < 0) die("waitid");
    int64_t t1 = now_ns();
    if (si.si_code != CLD_EXITED || si.si_status != 1)   /* read x fails at end of file */ {
        fprintf(stderr, "procexit: unexpected exit (code %d, status %d)\n", si.si_code, si.si_status);
        exit(1);
    }
    close(pidfd);   /* leaves the epoll set with it */
    close(out[0]);
    return t1 - t0;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 15;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    int64_t *ns = malloc((size_t) n * sizeof *ns);
    for (int i = 0; i < n; i++) ns[i] = sample(ep);
    for (int i = 0; i < n; i++) printf(i ? " %lld" : "%lld", (long long) ns[i]);
    printf("\n");
    return 0;
}
