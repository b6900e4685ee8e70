package io.jkqueue.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** jkq run's options, checked before anything is watched or run. */
class RunOptionsTest {
    private static Run parsed(String... args) {
        CommandLine cli = Jkq.cli();
        String[] all = new String[args.length + 1];
        all[0] = "run";
        System.arraycopy(args, 0, all, 1, args.length);
        cli.parseArgs(all);
        return cli.getSubcommands().get("run").getCommand();
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "--debounce | -1s   | --debounce -1s: must not be negative",
            "--debounce | soon  | --debounce soon: not a duration: soon (try 500ms, 2s, 1m or PT1S)",
            "--debounce | P1000000D | --debounce P1000000D: too long",
            "--grace    | -1ms  | --grace -1ms: must not be negative",
            "--grace    | later | --grace later: not a duration: later (try 500ms, 2s, 1m or PT1S)",
            "--events   | write,frob | --events write,frob: no event frob (one of delete,write,extend,attrib,link,"
                    + "rename,revoke,open,close,close_write,read)",
            "--count    | 0     | --count 0: must be at least 1",
            "--include  | a[b   | --include a[b: not a glob: Missing ']",
            "--exclude  | a{b   | --exclude a{b: not a glob: Missing '}"})
    void aBadValueIsAUsageError(String option, String value, String message) {
        Run run = parsed(option, value, "--", "true");
        assertThatThrownBy(run::validate).isInstanceOf(ParameterException.class).hasMessage(message);
    }

    @Test
    void zeroIsAGoodDebounceAndGrace() {
        assertThatCode(() -> parsed("--debounce", "0", "--grace", "0", "--count", "1", "--", "true").validate())
                .doesNotThrowAnyException();
    }

    @Test
    void theCommandIsEverythingFromItsFirstWordOn() {
        Run run = parsed("--file", "a", "--restart", "make", "-k", "--file", "b");
        assertThat(run.command).containsExactly("make", "-k", "--file", "b");
        assertThat(run.files).containsExactly(Path.of("a"));
        assertThat(run.restart).isTrue();
        assertThat(parsed("--", "--odd-name", "x").command).containsExactly("--odd-name", "x");
    }

    @Test
    void aCommandIsRequired() {
        assertThatThrownBy(() -> parsed("--file", "a")).isInstanceOf(ParameterException.class)
                .hasMessageContaining("Missing required parameter: 'CMD'");
    }

    @Test
    void byDefaultOpeningOrReadingAFileIsNoChange() {
        Run run = parsed("true");
        run.validate();
        assertThat(VnodeEvents.parse("delete,write,extend,attrib,link,rename,revoke")).isEqualTo(Run.DEFAULT_NOTES);
        assertThat(List.of(run.debounce, run.grace)).containsExactly("100ms", "5s");
    }
}
