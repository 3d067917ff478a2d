package dev.elfmend.fixup;

import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;

/**
 * Where elfmend keeps its state for a root: the journal (per root, inside it), the index cache (on
 * the machine running elfmend) and the GC roots directory (in the root's store).
 */
public record StateLocations(Path journal, Path indexCache, Path gcRoots) {

    /**
     * Defaults: as root, journal in {@code <root>/var/lib/elfmend}, cache in {@code /var/cache/elfmend},
     * roots in {@code <root>/nix/var/nix/gcroots/elfmend}; as a user, journal and cache under the XDG
     * state and cache directories, roots under {@code gcroots/per-user/<user>/elfmend}.
     */
    public static StateLocations defaults(Path root, boolean superuser, String user, Map<String, String> env) {
        Path home = Path.of(env.getOrDefault("HOME", "/"));
        boolean hostRoot = root.toAbsolutePath().normalize().equals(Path.of("/"));
        String key = hostRoot ? "host" : HexFormat.of().formatHex(
                Integer.toString(root.toAbsolutePath().normalize().toString().hashCode()).getBytes());
        Path cacheBase = superuser ? Path.of("/var/cache/elfmend")
                : Path.of(env.getOrDefault("XDG_CACHE_HOME", home.resolve(".cache").toString())).resolve("elfmend");
        Path journal;
        if (superuser || !hostRoot) {
            journal = root.resolve("var/lib/elfmend/journal");
        } else {
            journal = Path.of(env.getOrDefault("XDG_STATE_HOME", home.resolve(".local/state").toString()))
                    .resolve("elfmend/journal");
        }
        Path gcroots = superuser ? root.resolve("nix/var/nix/gcroots/elfmend")
                : root.resolve("nix/var/nix/gcroots/per-user").resolve(user).resolve("elfmend");
        return new StateLocations(journal, cacheBase.resolve("index-" + key + ".bin"), gcroots);
    }
}
