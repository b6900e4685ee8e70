#!/usr/bin/env bash
# Runs jkqueue's benchmarks and prints a summary table.
#
#   bench/run.sh pingpong|samethread|timers|lateness|alloc|virtual|libevent|idle|churn|echo|vnode|procexit|empty|aio|io|all [-- extra harness options]
#
# io = libevent idle churn echo vnode procexit empty; all = everything.
# aio reads a 1 GiB file it creates once at bench-results/aio-1GiB.dat (BENCH_AIO_FILE overrides).
#
# Environment: BENCH_JVM_OPTS adds JVM options to every harness;
# BENCH_SKIP_BUILD=1 skips the Maven build (uses the existing
# jkqueue-bench/target/benchmarks.jar); BENCH_ROUNDS overrides the number of
# interleaved rounds of pingpong/samethread/timers.
# Logs go to bench-results/<date>/ (not committed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

usage() {
    echo "usage: bench/run.sh pingpong|samethread|timers|lateness|alloc|virtual|libevent|idle|churn|echo|vnode|procexit|empty|aio|io|all [-- harness options]" >&2
    exit 2
}
[ $# -ge 1 ] || usage
WHAT="$1"; shift
case "$WHAT" in pingpong|samethread|timers|lateness|alloc|virtual|libevent|idle|churn|echo|vnode|procexit|empty|aio|io|all) ;; *) usage ;; esac
[ "${1:-}" = "--" ] && shift
EXTRA=("$@")

# --- a JDK >= 25, found the way the Maven build finds it ---------------------
java_major() {   # prints the feature version of the JDK at $1, or nothing
    local home="$1" v=""
    [ -x "$home/bin/java" ] || return 0
    if [ -f "$home/release" ]; then
        v="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")"
    fi
    if [ -z "$v" ]; then
        v="$("$home/bin/java" -version 2>&1 | sed -n '1s/.*version "\([0-9]*\).*/\1/p')"
    fi
    echo "$v"
}
find_jdk() {
    local c m
    for c in "${JAVA_HOME:-}" /usr/lib/jvm/* "$HOME"/.jdks/*; do
        [ -n "$c" ] && [ -d "$c" ] || continue
        m="$(java_major "$c")"
        if [ -n "$m" ] && [ "$m" -ge 25 ]; then
            echo "$c"
            return 0
        fi
    done
    return 1
}
if ! JDK="$(find_jdk)"; then
    echo "bench/run.sh: no JDK >= 25 found (looked in \$JAVA_HOME, /usr/lib/jvm/*, ~/.jdks/*)" >&2
    exit 1
fi
JAVA="$JDK/bin/java"
echo "JDK: $JDK ($("$JAVA" -version 2>&1 | head -1))"

# --- build -------------------------------------------------------------------
JAR="$ROOT/jkqueue-bench/target/benchmarks.jar"
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    echo "building: mvn -B -q -DskipTests package"
    BUILD_LOG="$(mktemp)"
    if ! mvn -B -q -DskipTests package >"$BUILD_LOG" 2>&1; then
        cat "$BUILD_LOG" >&2
        echo "bench/run.sh: build failed" >&2
        exit 1
    fi
    rm -f "$BUILD_LOG"
fi
[ -f "$JAR" ] || { echo "bench/run.sh: $JAR missing (build failed?)" >&2; exit 1; }
if [ -n "$(find jkqueue/src/main jkqueue-bench/src -newer "$JAR" -type f 2>/dev/null | head -1)" ]; then
    echo "WARNING: sources are newer than $JAR: the numbers below are for an older build" >&2
fi

CBIN="$ROOT/jkqueue-bench/target/c"
mkdir -p "$CBIN"
command -v gcc >/dev/null || { echo "bench/run.sh: gcc not found (the C baselines need it)" >&2; exit 1; }
gcc -O2 -Wall -pthread -o "$CBIN/pingpong" bench/c/pingpong.c
gcc -O2 -Wall -o "$CBIN/samethread" bench/c/samethread.c
gcc -O2 -Wall -o "$CBIN/lateness" bench/c/lateness.c
gcc -O2 -Wall -o "$CBIN/libevent" bench/c/libevent.c
gcc -O2 -Wall -o "$CBIN/aio_uring" bench/c/aio_uring.c
gcc -O2 -Wall -pthread -o "$CBIN/procexit" bench/c/procexit.c
gcc -O2 -Wall -pthread -o "$CBIN/vnode" bench/c/vnode.c
gcc -O2 -Wall -o "$CBIN/wakeups" bench/c/wakeups.c
gcc -O2 -Wall -pthread -o "$CBIN/echo" bench/c/echo.c
gcc -O2 -Wall -o "$CBIN/syscall" bench/c/syscall.c

OUT="$ROOT/bench-results/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
: > "$SUMMARY"
# what a system call costs here sets every ratio that counts them: recorded with each run
SYSCALL_NS="$("$CBIN/syscall")"
echo "this machine: one system call (getppid, in C) takes $SYSCALL_NS ns"
echo "machine: one system call (getppid, C) | $SYSCALL_NS ns | | " >> "$SUMMARY"
# BENCH_JVM_OPTS: more JVM options for every harness, e.g. -Djkqueue.kernel.disable=epoll_pwait2 to measure
# the wait path of kernels before 5.11
read -r -a EXTRA_JVM <<< "${BENCH_JVM_OPTS:-}"
JVM=(--enable-native-access=ALL-UNNAMED -XX:+UseG1GC "${EXTRA_JVM[@]}")
# the harnesses that register descriptors need Fd.of, which reads the JDK's private descriptor fields
JVM_FD=("${JVM[@]}" --add-opens java.base/sun.nio.ch=ALL-UNNAMED --add-opens java.base/java.io=ALL-UNNAMED)
ROUNDS_OPT=()
[ -n "${BENCH_ROUNDS:-}" ] && ROUNDS_OPT=("--rounds=$BENCH_ROUNDS")

harness() {   # harness LOGNAME [taskset args --] JVM-ARGS... -- CLASS ARGS...
    local name="$1" log="$OUT/$1.log" rc=0; shift
    { "$@" 2>&1 | tee "$log"; } || rc=$?
    grep '^SUMMARY ' "$log" | sed 's/^SUMMARY //' >> "$SUMMARY" || true
    if [ "$rc" -ne 0 ]; then
        echo "$name | FAILED (exit $rc), see $log | | FAILED" >> "$SUMMARY"
    fi
    return 0
}

jmh() {   # jmh LOGNAME JMH-ARGS...
    local name="$1" log="$OUT/$1.log" rc=0; shift
    { "$JAVA" --sun-misc-unsafe-memory-access=allow -jar "$JAR" -foe true "$@" 2>&1 | tee "$log"; } || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "JMH $name | FAILED (exit $rc), see $log | | FAILED" >> "$SUMMARY"
    fi
    # "SameThreadBench.triggerAndCollect  avgt  5  123.456 ± 1.234  ns/op" (and :gc.* rows with -prof gc)
    # (of the -prof gc rows only gc.alloc.rate.norm, bytes per operation, is kept)
    awk -v tag="$name" '/^SameThreadBench\.[A-Za-z]+(:gc\.alloc\.rate\.norm)? +avgt/ {
            b = $1; sub(/^SameThreadBench\./, "", b);
            r = $4; for (i = 5; i <= NF; i++) r = r " " $i;
            t = ""; v = "";
            if (b ~ /gc\.alloc\.rate\.norm/) { t = "0 B/op"; v = ($4 == "≈" || $4 + 0 < 1) ? "MET" : "NOT MET" }
            print "JMH " tag " " b " | " r " | " t " | " v }' "$log" >> "$SUMMARY"
}

run_pingpong() {
    echo; echo "### (a) cross-thread ping-pong, pinned to CPU 0"
    harness pingpong taskset -c 0 "$JAVA" "${JVM[@]}" -Xmx512m -cp "$JAR" io.jkqueue.bench.PingPong \
        "--c-pingpong=$CBIN/pingpong" "${ROUNDS_OPT[@]}" "${EXTRA[@]}"
}

run_samethread() {
    echo; echo "### (b) same-thread trigger + collect: JMH"
    jmh samethread-jmh 'SameThreadBench\.triggerAndCollect'
    local ns
    ns="$(awk '/^SameThreadBench\.triggerAndCollect +avgt/ {print $4}' "$OUT/samethread-jmh.log" | tail -1)"
    if [ -n "$ns" ]; then
        awk -v ns="$ns" 'BEGIN { printf "(b) same-thread JMH triggerAndCollect | %.3f us/op | <= 0.3 us | %s\n",
                                  ns / 1000, (ns <= 300 ? "MET" : "NOT MET") }' >> "$SUMMARY"
    fi
    echo; echo "### (b) same-thread trigger + collect vs C eventfd+epoll, interleaved rounds"
    harness samethread "$JAVA" "${JVM[@]}" -Xmx512m -cp "$JAR" io.jkqueue.bench.SameThread \
        "--c-samethread=$CBIN/samethread" "${ROUNDS_OPT[@]}" "${EXTRA[@]}"
}

run_timers() {
    echo; echo "### (c) 1,000,000 one-shot timers vs ScheduledThreadPoolExecutor"
    harness timers "$JAVA" "${JVM[@]}" -Xms3g -Xmx3g -Djkqueue.kq_calloutmax=2000000 -cp "$JAR" \
        io.jkqueue.bench.Timers "--c-wakeups=$CBIN/wakeups" "${ROUNDS_OPT[@]}" "${EXTRA[@]}"
}

run_lateness() {
    echo; echo "### (d) lateness of 100 periodic 1 ms timers"
    harness lateness "$JAVA" "${JVM[@]}" -Xmx512m -cp "$JAR" io.jkqueue.bench.TimerLateness \
        "--c-lateness=$CBIN/lateness" "${EXTRA[@]}"
}

run_alloc() {
    echo; echo "### (e) allocation per kevent(KEventList, KEventList, long) call"
    harness alloc "$JAVA" "${JVM_FD[@]}" -Xmx512m -cp "$JAR" io.jkqueue.bench.Allocation "${EXTRA[@]}"
    echo; echo "### (e) JMH -prof gc for (b)"
    jmh alloc-jmh 'SameThreadBench' -prof gc
}

run_libevent() {
    echo; echo "### libevent bench: N socket pairs, 100 active, jkqueue vs Selector vs Netty epoll"
    harness libevent "$JAVA" "${JVM_FD[@]}" -Xmx1g -cp "$JAR" io.jkqueue.bench.LibeventBench \
        "--c-libevent=$CBIN/libevent" "${ROUNDS_OPT[@]}" "${EXTRA[@]}"
}

run_idle() {
    echo; echo "### one ready event among 10,000 vs 10 idle registrations"
    harness idle "$JAVA" "${JVM_FD[@]}" -Xmx512m -cp "$JAR" io.jkqueue.bench.Idle "${ROUNDS_OPT[@]}" "${EXTRA[@]}"
}

run_churn() {
    echo; echo "### register + delete churn"
    harness churn "$JAVA" "${JVM_FD[@]}" -Xmx512m -cp "$JAR" io.jkqueue.bench.Churn "${ROUNDS_OPT[@]}" "${EXTRA[@]}"
}

run_echo() {
    echo; echo "### echo servers under 1,000 connections: examples EchoServer vs a Selector echo server"
    harness echo "$JAVA" "${JVM_FD[@]}" -Xmx1g -cp "$JAR" io.jkqueue.bench.EchoBench "--c-echo=$CBIN/echo" \
        "${ROUNDS_OPT[@]}" "${EXTRA[@]}"
}

run_vnode() {
    echo; echo "### file write -> EVFILT_VNODE vs WatchService, pinned to CPU 0"
    harness vnode taskset -c 0 "$JAVA" "${JVM_FD[@]}" -Xmx512m -cp "$JAR" io.jkqueue.bench.VnodeLatency \
        "--c-vnode=$CBIN/vnode" "${ROUNDS_OPT[@]}" "${EXTRA[@]}"
}

run_procexit() {
    echo; echo "### child exit -> EVFILT_PROC vs Process.onExit()/waitFor(), pinned to CPU 0"
    harness procexit taskset -c 0 "$JAVA" "${JVM_FD[@]}" -Xmx512m -cp "$JAR" io.jkqueue.bench.ProcExit \
        "--c-procexit=$CBIN/procexit" "${ROUNDS_OPT[@]}" "${EXTRA[@]}"
}

run_virtual() {
    echo; echo "### 10,000 virtual threads parked in kevent: heap per waiter, time for close() to wake them all"
    harness virtual "$JAVA" "${JVM[@]}" -Xmx1g -cp "$JAR" io.jkqueue.bench.VirtualWaiters "${EXTRA[@]}"
}

run_empty() {
    echo; echo "### TCP write -> EVFILT_EMPTY drain report, by idle gap, pinned to CPU 0"
    harness empty taskset -c 0 "$JAVA" "${JVM_FD[@]}" -Xmx512m -cp "$JAR" io.jkqueue.bench.EmptyLatency "${EXTRA[@]}"
}

run_aio() {
    echo; echo "### 4 KiB random reads of a 1 GiB cached file at queue depth 1, 32, 256: C io_uring vs jkqueue Aio vs AsynchronousFileChannel vs FileChannel threads, and C and jkqueue with O_DIRECT"
    harness aio "$JAVA" "${JVM_FD[@]}" -Xmx1g -cp "$JAR" io.jkqueue.bench.AioBench "--c-aio-uring=$CBIN/aio_uring" \
        "--file=${BENCH_AIO_FILE:-$ROOT/bench-results/aio-1GiB.dat}" "${ROUNDS_OPT[@]}" "${EXTRA[@]}"
}

run_io() {
    run_libevent; run_idle; run_churn; run_echo; run_vnode; run_procexit; run_empty
}

case "$WHAT" in
    libevent) run_libevent ;;
    idle) run_idle ;;
    churn) run_churn ;;
    echo) run_echo ;;
    vnode) run_vnode ;;
    procexit) run_procexit ;;
    empty) run_empty ;;
    aio) run_aio ;;
    virtual) run_virtual ;;
    io) run_io ;;
    pingpong) run_pingpong ;;
    samethread) run_samethread ;;
    timers) run_timers ;;
    lateness) run_lateness ;;
    alloc) run_alloc ;;
    all) run_pingpong; run_samethread; run_timers; run_lateness; run_alloc; run_virtual; run_io; run_aio ;;
esac

echo
echo "================================ summary ================================"
{ echo "benchmark | result | target | verdict"; cat "$SUMMARY"; } | column -t -s '|' -o '|' | tee "$OUT/summary-table.txt"
echo "(logs: $OUT)"
