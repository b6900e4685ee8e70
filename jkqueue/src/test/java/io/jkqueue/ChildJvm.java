package io.jkqueue;

import org.junit.jupiter.api.extension.BeforeAllCallback;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.jkqueue.Kq.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

/** A child JVM running a test's nested main class, possibly as another user. */
public final class ChildJvm {
    private ChildJvm() {}

    /** The prefix that runs a command as nobody, with no groups (needs root). */
    static final List<String> NOBODY = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");

    static boolean isRoot() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream()
                .anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[2].equals("0"));   // effective uid
    }

    /** The java command for {@code main} with {@code args}, on a class path of jkqueue's classes and these tests'. */
    static List<String> javaCommand(Class<?> main, String... args) {
        return javaCommand(List.of(), main, args);
    }

    /** The same, with {@code jvmOptions} (such as -Djkqueue.kernel.disable=...). */
    public static List<String> javaCommand(List<String> jvmOptions, Class<?> main, String... args) {
        // OldKernel, which a child may install, is a JUnit extension
        String classPath = Stream.of(KQueue.class, main, BeforeAllCallback.class)
                .map(c -> {
                    try {
                        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                })
                .distinct().collect(Collectors.joining(":"));
        // no hsperfdata file: in a pid namespace the child is pid 1, and /tmp/hsperfdata_<user>/1 may be another's
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-XX:-UsePerfData"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classPath, main.getName()));
        command.addAll(List.of(args));
        return command;
    }

    static List<String> with(List<String> prefix, List<String> command) {
        List<String> all = new ArrayList<>(prefix);
        all.addAll(command);
        return all;
    }

    /** Runs {@code command} to its end; its standard output, lines, after checking that it exited 0. */
    public static List<String> run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("%s ended", command).isTrue();
            assertThat(p.exitValue()).as("exit status of %s; it said:%n%s", command, out).isZero();
            return out.lines().toList();
        } finally {
            p.destroyForcibly();
        }
    }
}
