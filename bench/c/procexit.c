/* C baseline for child exit -> notification (the procexit row).
 *
 * Per sample, as ProcExit does: fork + exec sh -c 'echo r; read x' with its
 * stdin and stdout on pipes, wait for its "r" (it is then blocked in read),
 * pidfd_open it and add the pidfd to an epoll instance (the registration,
 * before the trigger), take the time, close the child's stdin (sh sees end
 * of file and exits), epoll_wait on the pidfd, take the exit status, take
 * the time.
 * Usage: procexit [samples] [mode]; prints the samples' latencies in ns, one line.
 * mode plain (the default): no other thread; the status from waitid(P_PIDFD), which reaps.
 * mode waiter: a second thread is blocked in waitid(P_PID, WEXITED | WNOWAIT) on the
 *   same child before the trigger, as any program's thread waiting for its child is (so
 *   the exit wakes two threads); the status from waitid(P_PIDFD) as in plain.
 * mode reaper: the second thread reaps the child (waitpid, as the JDK's "process reaper"
 *   thread does for a ProcessBuilder child) and the status comes from the pidfd's record
 *   of the exit (PIDFD_GET_INFO, Linux 6.15), as jkqueue reads it.
 * Usage: procexit parent: no samples of its own; the parent of the JVM's samples of a
 *   process it did not start, so that no JDK reaper is woken by the exit. Per line read
 *   on stdin, it starts sh -c 'echo $$; read x' with its own stdin and stdout (the child
 *   prints its pid, then reads the next line the JVM writes, and exits) and reaps it with
 *   waitpid, as the reaper of C+reaper does; end of file ends it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* struct pidfd_info of Linux 6.15 (linux/pidfd.h, PIDFD_INFO_SIZE_VER0) */
struct pidfd_info_v0 {
    uint64_t mask, cgroupid;
    uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
    int32_t exit_code;
};
#define PIDFD_GET_INFO_REQ _IOWR(0xFF, 11, struct pidfd_info_v0)
#define PIDFD_INFO_EXIT_BIT (1ULL << 3)

enum { PLAIN, WAITER, REAPER };

static void die(const char *what) { perror(what); exit(1); }

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct waiter {
    pid_t pid;
    int reap;
    pid_t tid;
    volatile int started;
};

static void *wait_child(void *arg) {
    struct waiter *w = arg;
    w->tid = (pid_t) syscall(SYS_gettid);
    __atomic_store_n(&w->started, 1, __ATOMIC_RELEASE);
    if (w->reap) {
        int status;
        if (waitpid(w->pid, &status, 0) != w->pid) die("waitpid");
    } else {
        siginfo_t si = {0};
        /* ECHILD: the main thread reaped the child before this thread ran */
        if (waitid(P_PID, (id_t) w->pid, &si, WEXITED | WNOWAIT) < 0 && errno != ECHILD) die("waitid WNOWAIT");
    }
    return NULL;
}

/* Until the thread sleeps (state S in /proc): it is then in its wait, as the JDK's reaper is by the time of the trigger. */
static void await_sleeping(pid_t tid) {
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int) tid);
    for (;;) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) die("open stat");
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0) die("read stat");
        buf[n] = 0;
        char *p = strrchr(buf, ')');
        if (p && p[1] == ' ' && p[2] == 'S') return;
        sched_yield();
    }
}

/* The wait(2) status the kernel keeps for a reaped process; -1 until it is reaped
 * (ESRCH in the middle of the reaping, when the task is unhashed but its exit not yet recorded). */
static int kept_status(int pidfd) {
    struct pidfd_info_v0 info = {.mask = PIDFD_INFO_EXIT_BIT};
    if (ioctl(pidfd, PIDFD_GET_INFO_REQ, &info) < 0) {
        if (errno == ESRCH) return -1;
        die("PIDFD_GET_INFO");
    }
    return (info.mask & PIDFD_INFO_EXIT_BIT) ? info.exit_code : -1;
}

static int64_t sample(int ep, int mode) {
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
    pthread_t thread;
    struct waiter w = {.pid = pid, .reap = mode == REAPER};
    if (mode != PLAIN) {
        if (pthread_create(&thread, NULL, wait_child, &w) != 0) die("pthread_create");
        while (!__atomic_load_n(&w.started, __ATOMIC_ACQUIRE)) sched_yield();
        await_sleeping(w.tid);
    }
    int64_t t0 = now_ns();
    close(in[1]);
    for (;;) {
        int r = epoll_wait(ep, &ev, 1, -1);
        if (r == 1) break;
        if (r < 0) die("epoll_wait");
    }
    int status;
    if (mode == REAPER) {
        while ((status = kept_status(pidfd)) < 0) sched_yield();   /* the reaper has not reaped it yet */
    } else {
        siginfo_t si = {0};
        if (waitid(P_PIDFD, pidfd, &si, WEXITED) < 0) die("waitid");
        status = si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8 : -1;
    }
    int64_t t1 = now_ns();
    if (status != 1 << 8) {   /* read x fails at end of file: exit status 1 */
        fprintf(stderr, "procexit: unexpected wait status %#x\n", status);
        exit(1);
    }
    if (mode != PLAIN && pthread_join(thread, NULL) != 0) die("pthread_join");
    close(pidfd);   /* leaves the epoll set with it */
    close(out[0]);
    return t1 - t0;
}

/* procexit parent: reads a line itself only between children, so that each child reads the JVM's trigger. */
static int serve(void) {
    for (;;) {
        char c;
        ssize_t r;
        while ((r = read(0, &c, 1)) == 1 && c != '\n') {
        }
        if (r == 0) return 0;
        if (r < 0) die("read");
        pid_t pid = fork();
        if (pid < 0) die("fork");
        if (pid == 0) {
            execl("/bin/sh", "sh", "-c", "echo $$; read x", (char *) NULL);
            _exit(127);
        }
        int status;
        if (waitpid(pid, &status, 0) != pid) die("waitpid");
        if (status != 0) {
            fprintf(stderr, "procexit parent: unexpected wait status %#x\n", status);
            return 1;
        }
    }
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "parent")) return serve();
    int n = argc > 1 ? atoi(argv[1]) : 15;
    const char *m = argc > 2 ? argv[2] : "plain";
    int mode = !strcmp(m, "plain") ? PLAIN : !strcmp(m, "waiter") ? WAITER : !strcmp(m, "reaper") ? REAPER : -1;
    if (mode < 0) {
        fprintf(stderr, "usage: procexit [samples] [plain|waiter|reaper]\n");
        return 2;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    int64_t *ns = malloc((size_t) n * sizeof *ns);
    for (int i = 0; i < n; i++) ns[i] = sample(ep, mode);
    for (int i = 0; i < n; i++) printf(i ? " %lld" : "%lld", (long long) ns[i]);
    printf("\n");
    return 0;
}
