package dev.elfmend.resolve;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.List;
import java.util.Set;

/**
 * Preferences and extra rules for resolution. {@code preferred} names store paths (base names) or
 * package names ("openssl") chosen first; {@code profileClosure} holds store paths reachable from the
 * configured profiles, chosen next; then the newest version wins.
 */
public record ResolveConfig(List<String> preferred, Set<String> profileClosure, List<ExtraLibraries> extraLibraries) {

    /**
     * Libraries a binary loads with dlopen, for files whose path (inside the root) matches a glob. A glob
     * that does not start with {@code /} matches at any depth, like a .gitignore pattern: both
     * {@code vsce-sign} and {@code *}{@code /vsce-sign} match {@code /home/u/.vscode-server/.../bin/vsce-sign}.
     */
    public record ExtraLibraries(String glob, List<String> libraries) {
        public ExtraLibraries {
            libraries = List.copyOf(libraries);
        }

        boolean matches(String pathInRoot) {
            Path p = Path.of(pathInRoot);
            if (matcher(glob).matches(p)) {
                return true;
            }
            return !glob.startsWith("/") && (matcher("**/" + glob).matches(p)
                    || p.getFileName() != null && matcher(glob).matches(p.getFileName()));
        }

        private static PathMatcher matcher(String glob) {
            return FileSystems.getDefault().getPathMatcher("glob:" + glob);
        }
    }

    public ResolveConfig {
        preferred = List.copyOf(preferred);
        profileClosure = Set.copyOf(profileClosure);
        extraLibraries = List.copyOf(extraLibraries);
    }

    public static ResolveConfig defaults() {
        return new ResolveConfig(List.of(), Set.of(), List.of());
    }
}
