package io.jkqueue.cli;

import java.util.Locale;

/** Linux signal names and numbers: USR1, SIGUSR1, usr1 and 10 are one signal. */
final class SignalNames {
    private SignalNames() {}

    private static final String[] NAMES = {null, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE",
            "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP",
            "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"};

    static int number(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        n = n.startsWith("SIG") ? n.substring(3) : n;
        for (int i = 1; i < NAMES.length; i++) {
            if (NAMES[i].equals(n)) {
                return i;
            }
        }
        try {
            return Integer.parseInt(n);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("no signal " + name);
        }
    }

    static String name(int signo) {
        return signo > 0 && signo < NAMES.length ? NAMES[signo] : Integer.toString(signo);
    }
}
