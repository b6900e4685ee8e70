package io.jkqueue.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** --include and --exclude: globs on the path relative to the watched directory. */
class PathFilterTest {
    @Test
    void withoutGlobsEverythingIsReported() {
        assertThat(PathFilter.ALL.reported(Path.of("a/b.txt"))).isTrue();
        assertThat(PathFilter.ALL.excluded(Path.of("a"))).isFalse();
    }

    @Test
    void anIncludeReportsOnlyWhatMatchesTheRelativePath() {
        PathFilter f = new PathFilter(List.of("*.txt", "src/**.java"), List.of());
        assertThat(f.reported(Path.of("a.txt"))).isTrue();
        assertThat(f.reported(Path.of("a.md"))).isFalse();
        assertThat(f.reported(Path.of("sub/a.txt"))).as("* stays within one name").isFalse();
        assertThat(f.reported(Path.of("src/io/A.java"))).as("** crosses directories").isTrue();
        assertThat(f.excluded(Path.of("sub"))).as("a directory not included is still descended").isFalse();
    }

    @Test
    void anExcludeWinsOverAnInclude() {
        PathFilter f = new PathFilter(List.of("**.txt", "*.txt"), List.of("build", "**.tmp.txt"));
        assertThat(f.reported(Path.of("a.txt"))).isTrue();
        assertThat(f.reported(Path.of("a.tmp.txt"))).isFalse();
        assertThat(f.excluded(Path.of("build"))).isTrue();
        assertThat(f.excluded(Path.of("sub/build"))).as("a glob matches the whole relative path").isFalse();
    }

    @Test
    void aBadGlobIsAUsageError() {
        Watch watch = new Watch(new PrintStream(new ByteArrayOutputStream()));
        new CommandLine(watch).parseArgs("--include", "*.txt", "--exclude", "a{b");
        assertThatThrownBy(watch::validate).isInstanceOf(ParameterException.class)
                .hasMessage("--exclude a{b: not a glob: Missing '}");
    }
}
