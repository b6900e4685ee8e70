package io.jkqueue.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code jkq}: the jkqueue command line. */
@Command(name = "jkq", mixinStandardHelpOptions = true, version = "jkq 0.1.0",
        description = "FreeBSD's kqueue for the JVM, from the shell.",
        subcommands = {Watch.class, Run.class})
public final class Jkq {

    public static void main(String[] args) {
        System.exit(cli().execute(args.length == 0 ? new String[] {"watch"} : args));
    }

    /** The command line, its subcommands and how it reports errors. */
    static CommandLine cli() {
        CommandLine cli = new CommandLine(new Jkq(), new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                return cls == Watch.class ? cls.cast(new Watch(System.out))
                        : cls == Run.class ? cls.cast(new Run(System.err)) : CommandLine.defaultFactory().create(cls);
            }
        });
        // jkq run make test: what follows the first word that is not an option is the command's
        cli.getSubcommands().get("run").setStopAtPositional(true);
        cli.setParameterExceptionHandler((e, args1) -> {
            // the message and where to look, not the whole usage text
            CommandLine cmd = e.getCommandLine();
            cmd.getErr().println("jkq: " + e.getMessage());
            cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
            return cmd.getCommandSpec().exitCodeOnInvalidInput();
        });
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("jkq: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 2;
        });
        return cli;
    }
}
