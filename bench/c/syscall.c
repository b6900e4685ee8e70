/* What one system call costs on this machine: getppid, which does nothing
 * in the kernel, in a loop. Every C baseline and every jkqueue path that
 * enters the kernel pays this per call; where it is high (page-table
 * isolation, a paravirtualized guest) the ratios that count system calls move.
 * Usage: syscall [N]; prints nanoseconds per call (the best of 5 runs of N).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long nanos(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 200000;
    double best = 1e18;
    for (int run = 0; run < 5; run++) {
        long long t0 = nanos();
        for (long i = 0; i < n; i++) {
            syscall(SYS_getppid);
        }
        double per = (double) (nanos() - t0) / n;
        best = per < best ? per : best;
    }
    printf("%.0f\n", best);
    return 0;
}
