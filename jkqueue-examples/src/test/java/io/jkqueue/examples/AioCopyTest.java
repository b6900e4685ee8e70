package io.jkqueue.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** The AIO copier on real temporary files: the copy has the source's bytes. */
class AioCopyTest {

    private static Path randomFile(Path dir, String name, int size) throws Exception {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return Files.write(dir.resolve(name), b);
    }

    @Test
    void copiesEveryByteWithManyBlocksInFlight(@TempDir Path dir) throws Exception {
        Path src = randomFile(dir, "src", 8 * 1024 * 1024 + 12_345);   // a short last block
        Path dst = dir.resolve("dst");
        List<String> lines = new CopyOnWriteArrayList<>();
        long n = AioCopy.copy(src, dst, 16, 64 * 1024, Duration.ofMillis(1), lines::add);
        assertThat(n).isEqualTo(Files.size(src));
        assertThat(Files.mismatch(src, dst)).as("first differing byte").isEqualTo(-1);
        assertThat(lines).last().asString().endsWith("(100%)");
    }

    @Test
    void moreSlotsThanBlocksAndAnEmptyFile(@TempDir Path dir) throws Exception {
        Path small = randomFile(dir, "small", 1000);
        Path copy = dir.resolve("small-copy");
        Files.write(copy, new byte[5000]);   // truncated by the copy
        assertThat(AioCopy.copy(small, copy, 8, 4096, Duration.ofSeconds(1), s -> { })).isEqualTo(1000);
        assertThat(Files.mismatch(small, copy)).isEqualTo(-1);

        Path empty = Files.createFile(dir.resolve("empty"));
        Path emptyCopy = dir.resolve("empty-copy");
        assertThat(AioCopy.copy(empty, emptyCopy, 4, 4096, Duration.ofSeconds(1), s -> { })).isZero();
        assertThat(Files.size(emptyCopy)).isZero();
    }
}
