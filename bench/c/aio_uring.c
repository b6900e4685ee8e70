/* C baseline for the AIO benchmark: 4 KiB random reads of a file through
 * io_uring on raw system calls (no liburing), QD reads kept in flight.
 *
 * Usage: aio_uring FILE QD MILLIS [direct|pread]
 * Reads at random 4 KiB-aligned offsets of FILE for MILLIS ms, resubmitting
 * each read as its CQE is reaped (one io_uring_enter submits the new SQEs and
 * waits for at least one CQE). With "direct" the file is opened O_DIRECT
 * (the page cache is bypassed). With "pread" there is no ring: one pread per
 * read, whatever QD, the floor of any interface that makes one system call
 * per read. Prints reads per second on its last line; exits 2 when O_DIRECT
 * is refused by the file system.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096

static void die(const char *what) { perror(what); exit(1); }

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_random(void) {   /* xorshift64 */
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return rng;
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* One pread per read, for MILLIS ms: reads per second. */
static int read_one_by_one(int fd, uint64_t blocks, double millis) {
    static char buffer[BLOCK] __attribute__((aligned(BLOCK)));
    long done = 0;
    double start = now_ms(), end = start + millis;
    do {
        for (int i = 0; i < 64; i++, done++) {   /* the clock read once per 64 reads */
            if (pread(fd, buffer, BLOCK, (off_t) ((next_random() % blocks) * BLOCK)) != BLOCK) die("pread");
        }
    } while (now_ms() < end);
    printf("%.0f\n", done / ((now_ms() - start) / 1e3));
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: aio_uring FILE QD MILLIS [direct|pread]\n"); return 1; }
    unsigned qd = (unsigned) atoi(argv[2]);
    double millis = atof(argv[3]);
    int direct = argc > 4 && strcmp(argv[4], "direct") == 0;
    int fd = open(argv[1], O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
    if (fd < 0) {
        if (direct && errno == EINVAL) { fprintf(stderr, "O_DIRECT refused\n"); return 2; }
        die("open");
    }
    struct stat st;
    if (fstat(fd, &st) < 0) die("fstat");
    uint64_t blocks = st.st_size / BLOCK;
    if (argc > 4 && strcmp(argv[4], "pread") == 0) {
        return read_one_by_one(fd, blocks, millis);
    }

    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    int ring = (int) syscall(__NR_io_uring_setup, qd, &p);
    if (ring < 0) die("io_uring_setup");
    size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    if (p.features & IORING_FEAT_SINGLE_MMAP) sq_size = cq_size = sq_size > cq_size ? sq_size : cq_size;
    char *sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
    if (sq == MAP_FAILED) die("mmap sq");
    char *cq = (p.features & IORING_FEAT_SINGLE_MMAP) ? sq
            : mmap(NULL, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
    if (cq == MAP_FAILED) die("mmap cq");
    struct io_uring_sqe *sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
            MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
    if (sqes == MAP_FAILED) die("mmap sqes");
    _Atomic unsigned *sq_tail = (_Atomic unsigned *) (sq + p.sq_off.tail);
    unsigned sq_mask = *(unsigned *) (sq + p.sq_off.ring_mask);
    unsigned *sq_array = (unsigned *) (sq + p.sq_off.array);
    _Atomic unsigned *cq_head = (_Atomic unsigned *) (cq + p.cq_off.head);
    _Atomic unsigned *cq_tail = (_Atomic unsigned *) (cq + p.cq_off.tail);
    unsigned cq_mask = *(unsigned *) (cq + p.cq_off.ring_mask);
    struct io_uring_cqe *cqes = (struct io_uring_cqe *) (cq + p.cq_off.cqes);

    char *buffers;
    if (posix_memalign((void **) &buffers, BLOCK, (size_t) qd * BLOCK) != 0) die("posix_memalign");
    unsigned tail = atomic_load_explicit(sq_tail, memory_order_relaxed);

    long done = 0;
    unsigned to_submit = 0;
    for (unsigned i = 0; i < qd; i++) {   /* fill the queue: buffer i belongs to the read with user_data i */
        struct io_uring_sqe *sqe = &sqes[tail & sq_mask];
        memset(sqe, 0, sizeof *sqe);
        sqe->opcode = IORING_OP_READ;
        sqe->fd = fd;
        sqe->off = (next_random() % blocks) * BLOCK;
        sqe->addr = (uint64_t) (uintptr_t) (buffers + (size_t) i * BLOCK);
        sqe->len = BLOCK;
        sqe->user_data = i;
        sq_array[tail & sq_mask] = tail & sq_mask;
        tail++;
        to_submit++;
    }
    double start = now_ms(), end = start + millis;
    for (;;) {
        atomic_store_explicit(sq_tail, tail, memory_order_release);
        int r = (int) syscall(__NR_io_uring_enter, ring, to_submit, 1, IORING_ENTER_GETEVENTS, NULL, 0);
        if (r < 0 && errno != EINTR) die("io_uring_enter");
        to_submit = 0;
        unsigned head = atomic_load_explicit(cq_head, memory_order_relaxed);
        unsigned ctail = atomic_load_explicit(cq_tail, memory_order_acquire);
        int stop = now_ms() >= end;
        for (; head != ctail; head++) {
            struct io_uring_cqe *cqe = &cqes[head & cq_mask];
            if (cqe->res != BLOCK) { fprintf(stderr, "read: %d\n", cqe->res); return 1; }
            done++;
            if (stop) continue;
            struct io_uring_sqe *sqe = &sqes[tail & sq_mask];
            memset(sqe, 0, sizeof *sqe);
            sqe->opcode = IORING_OP_READ;
            sqe->fd = fd;
            sqe->off = (next_random() % blocks) * BLOCK;
            sqe->addr = (uint64_t) (uintptr_t) (buffers + cqe->user_data * BLOCK);
            sqe->len = BLOCK;
            sqe->user_data = cqe->user_data;
            sq_array[tail & sq_mask] = tail & sq_mask;
            tail++;
            to_submit++;
        }
        atomic_store_explicit(cq_head, head, memory_order_release);
        if (stop) break;
    }
    double elapsed = now_ms() - start;
    printf("%.0f\n", done / (elapsed / 1e3));
    return 0;
}
