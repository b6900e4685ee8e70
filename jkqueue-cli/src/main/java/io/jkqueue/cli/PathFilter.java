package io.jkqueue.cli;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.PatternSyntaxException;

/**
 * --include and --exclude: java.nio {@code glob:} patterns matched against a
 * path relative to the watched directory ({@code *} stays within one name,
 * {@code **} crosses directories). An excluded path is neither reported nor
 * watched, and an excluded directory is not descended into; with includes
 * given, only an included path is reported, while every directory that is
 * not excluded is still descended (its entries may be included).
 */
final class PathFilter {
    static final PathFilter ALL = new PathFilter(List.of(), List.of());

    private final List<PathMatcher> include = new ArrayList<>();
    private final List<PathMatcher> exclude = new ArrayList<>();

    /** @throws IllegalArgumentException for a bad glob, naming its option: "--exclude a{b: not a glob: ..." */
    PathFilter(List<String> includes, List<String> excludes) {
        for (String g : includes) {
            include.add(matcher("--include", g));
        }
        for (String g : excludes) {
            exclude.add(matcher("--exclude", g));
        }
    }

    private static PathMatcher matcher(String option, String glob) {
        try {
            return FileSystems.getDefault().getPathMatcher("glob:" + glob);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(option + " " + glob + ": not a glob: " + e.getDescription());
        }
    }

    /** Whether the path is excluded: not reported, not watched, not descended. */
    boolean excluded(Path relative) {
        for (PathMatcher m : exclude) {
            if (m.matches(relative)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a change of the path is reported: not excluded, and included when includes were given. */
    boolean reported(Path relative) {
        if (excluded(relative)) {
            return false;
        }
        if (include.isEmpty()) {
            return true;
        }
        for (PathMatcher m : include) {
            if (m.matches(relative)) {
                return true;
            }
        }
        return false;
    }
}
