package io.jkqueue.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * Interleaved rounds: every round runs each variant once, so that a noisy
 * machine slows all variants alike. Round r starts at the r-th variant (in
 * the order they were added) and goes round, so that no variant always runs
 * first, or always right after the same one. Results are compared per round
 * (the ratio of two variants measured seconds apart) and summarised by
 * median, min and max.
 */
public final class Rounds {
    private final Map<String, DoubleSupplier> variants = new LinkedHashMap<>();
    private final Map<String, List<Double>> results = new LinkedHashMap<>();

    /** A variant: one call = one round, returning the measured value (e.g. ns per operation). */
    public Rounds add(String name, DoubleSupplier round) {
        variants.put(name, round);
        results.put(name, new ArrayList<>());
        return this;
    }

    /** Runs {@code warmup} unrecorded rounds, then {@code rounds} recorded ones. */
    public Rounds run(int warmup, int rounds, String unit) {
        List<String> names = new ArrayList<>(variants.keySet());
        int n = names.size();
        for (int r = -warmup; r < rounds; r++) {
            StringBuilder line = new StringBuilder(r < 0 ? "  warm-up " : String.format("  round %2d ", r + 1));
            double[] x = new double[n];
            for (int k = 0; k < n; k++) {
                int v = Math.floorMod(r + k, n);
                x[v] = variants.get(names.get(v)).getAsDouble();
            }
            for (int v = 0; v < n; v++) {   // printed in the order added, whatever order they ran in
                if (r >= 0) {
                    results.get(names.get(v)).add(x[v]);
                }
                line.append(String.format(Locale.ROOT, "  %s=%.1f", names.get(v), x[v]));
            }
            System.out.println(line.append(' ').append(unit));
        }
        return this;
    }

    public double[] values(String name) {
        return results.get(name).stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Per-round ratio a/b. */
    public double[] ratio(String a, String b) {
        double[] x = values(a);
        double[] y = values(b);
        double[] r = new double[x.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = x[i] / y[i];
        }
        return r;
    }

    /** {median, min, max}. */
    public static double[] stats(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        double median = n == 0 ? Double.NaN : (n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2);
        return new double[] {median, n == 0 ? Double.NaN : s[0], n == 0 ? Double.NaN : s[n - 1]};
    }

    /** "median 12.3 (min 11.0, max 14.2)". */
    public static String describe(double[] v, String fmt) {
        double[] s = stats(v);
        return String.format(Locale.ROOT, "median " + fmt + " (min " + fmt + ", max " + fmt + ")", s[0], s[1], s[2]);
    }

    /** Percentile (0..100) of sorted values, nearest rank. */
    public static long percentile(long[] sorted, int n, double p) {
        if (n == 0) {
            return 0;
        }
        int idx = (int) Math.ceil(p / 100.0 * n) - 1;
        return sorted[Math.max(0, Math.min(n - 1, idx))];
    }

    /** Reads an integer option "--name=value" from args, or the default. */
    public static long opt(String[] args, String name, long def) {
        String s = optString(args, name, null);
        return s == null ? def : Long.parseLong(s.replace("_", ""));
    }

    public static String optString(String[] args, String name, String def) {
        String prefix = "--" + name + "=";
        for (String a : args) {
            if (a.startsWith(prefix)) {
                return a.substring(prefix.length());
            }
        }
        return def;
    }

    /** A row of the final summary table that bench/run.sh collects: benchmark | result | target | verdict. */
    public static void summary(String benchmark, String result, String target, String verdict) {
        System.out.println("SUMMARY " + benchmark + " | " + result + " | " + target + " | " + verdict);
    }

    /** "median 1.234 [min 1.100, max 1.300]". */
    public static String brief(double[] v, String fmt) {
        double[] s = stats(v);
        return String.format(Locale.ROOT, "median " + fmt + " [min " + fmt + ", max " + fmt + "]", s[0], s[1], s[2]);
    }

    public static String verdict(boolean met) {
        return met ? "MET" : "NOT MET";
    }
}
