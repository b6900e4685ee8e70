package io.jkqueue;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.jkqueue.KEvent.*;
import static org.assertj.core.api.Assertions.assertThat;

/** -Djkqueue.kq_calloutmax, read at class initialisation, in a JVM of its own. */
class CalloutLimitPropertyTest {

    /** Adds timers until one fails; prints how many fit and the errno of the first that did not. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            try (KQueue a = KQueue.open(); KQueue b = KQueue.open()) {
                int added = 0;
                for (int i = 0; i < 100; i++) {
                    KQueue kq = i % 2 == 0 ? a : b; // the limit is per JVM, not per kqueue
                    try {
                        kq.kevent(new KEvent[] {KEvent.of(i, EVFILT_TIMER, EV_ADD, 0, 60_000, null)}, null, Duration.ZERO);
                        added++;
                    } catch (KQueueException e) {
                        System.out.println(added + " " + e.errno());
                        return;
                    }
                }
                System.out.println(added + " none");
            }
        }
    }

    @Test
    void theLimitIsPerJvmAndConfigurable() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(java, "-Djkqueue.kq_calloutmax=7", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Child.class.getName())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(child.getInputStream().readAllBytes()).trim();
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).isEqualTo("7 ENOMEM");
    }
}
