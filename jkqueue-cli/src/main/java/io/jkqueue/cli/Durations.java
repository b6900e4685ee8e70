package io.jkqueue.cli;

import java.time.Duration;
import java.util.Locale;

/** Durations as a person types them: 250ms, 2s, 1m, 1h, 10us, 500ns, 0, or ISO-8601 (PT1.5S). */
final class Durations {
    private Durations() {}

    static Duration parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.equals("0")) { // no unit needed for nothing: --timeout 0 polls once
                return Duration.ZERO;
            }
            if (t.startsWith("pt") || t.startsWith("p")) {
                return Duration.parse(s.trim().toUpperCase(Locale.ROOT));
            }
            if (t.endsWith("ns")) {
                return Duration.ofNanos(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            if (t.endsWith("us")) {
                return Duration.ofNanos(Math.round(Double.parseDouble(t.substring(0, t.length() - 2)) * 1e3));
            }
            if (t.endsWith("ms")) {
                return Duration.ofNanos(Math.round(Double.parseDouble(t.substring(0, t.length() - 2)) * 1e6));
            }
            double v = Double.parseDouble(t.substring(0, t.length() - 1));
            return switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofNanos(Math.round(v * 1e9));
                case 'm' -> Duration.ofNanos(Math.round(v * 60e9));
                case 'h' -> Duration.ofNanos(Math.round(v * 3600e9));
                default -> throw new IllegalArgumentException();
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a duration: " + s + " (try 500ms, 2s, 1m or PT1S)");
        }
    }
}
