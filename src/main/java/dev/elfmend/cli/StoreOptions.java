package dev.elfmend.cli;

import dev.elfmend.fixup.FsRootLookup;
import dev.elfmend.fixup.IndexStore;
import dev.elfmend.fixup.StateLocations;
import dev.elfmend.resolve.ResolveConfig;
import dev.elfmend.resolve.Resolver;
import dev.elfmend.store.ProfileClosure;
import dev.elfmend.store.StoreScanner;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options shared by the commands that work against a store: where it is, where state goes, preferences. */
final class StoreOptions {

    @Mixin
    RootOption root;

    @Option(names = "--store-dir", paramLabel = "DIR", defaultValue = StoreScanner.DEFAULT_STORE_DIR,
            description = "The store as seen inside the root. Default: /nix/store.")
    String storeDir;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Where the journal lives. Default: <root>/var/lib/elfmend as root, else $XDG_STATE_HOME/elfmend.")
    Path stateDir;

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Where the store index is cached. Default: /var/cache/elfmend as root, else $XDG_CACHE_HOME/elfmend.")
    Path cacheDir;

    @Option(names = "--gcroots-dir", paramLabel = "DIR",
            description = "Directory for GC roots. Default: <root>/nix/var/nix/gcroots/elfmend (per-user/<user>/elfmend for users).")
    Path gcRootsDir;

    @Option(names = "--prefer", paramLabel = "PACKAGE",
            description = "Prefer libraries from this package or store path (repeatable, in order).")
    List<String> prefer = new ArrayList<>();

    @Option(names = "--profile", paramLabel = "PATH",
            description = "Prefer libraries in the closure of this profile (repeatable). Default: "
                    + "/run/current-system/sw, ~/.nix-profile, /nix/var/nix/profiles/default.")
    List<String> profiles = new ArrayList<>();

    @Option(names = "--extra-libraries", paramLabel = "GLOB=LIB[,LIB...]",
            description = "Files matching GLOB load these libraries with dlopen; add their directories "
                    + "to the run path (repeatable), e.g. '*/vsce-sign=libssl.so.3,libcrypto.so.3'.")
    List<String> extraLibraries = new ArrayList<>();

    Path root() {
        return root.root.toAbsolutePath().normalize();
    }

    /**
     * The tree state files (journal, GC roots) are written inside without following links: the root
     * when it is not the host's own (a container through /proc/PID/root, an image layer), else null.
     */
    Path stateRoot() {
        Path root = root();
        return root.equals(Path.of("/")) ? null : root;
    }

    StateLocations locations() {
        String user = System.getProperty("user.name", "user");
        boolean superuser = "root".equals(user);
        StateLocations d = StateLocations.defaults(root(), superuser, user, System.getenv());
        return new StateLocations(stateDir != null ? stateDir.resolve("journal") : d.journal(),
                cacheDir != null ? cacheDir.resolve(d.indexCache().getFileName()) : d.indexCache(),
                gcRootsDir != null ? gcRootsDir : d.gcRoots());
    }

    /** Removes the temp files a killed run left beside the journal and the index cache. */
    void removeStrayStateTempFiles() throws IOException {
        StateLocations locations = locations();
        for (Path file : java.util.List.of(locations.journal(), locations.indexCache())) {
            Path dir = file.toAbsolutePath().getParent();
            if (dir != null) {
                dev.elfmend.fixup.AtomicReplace.removeStrayTempFiles(dir);
            }
        }
    }

    IndexStore.Loaded loadIndex(boolean rebuild) throws IOException {
        return IndexStore.load(root(), storeDir, locations().indexCache(), rebuild);
    }

    ResolveConfig resolveConfig() {
        List<String> profileList = new ArrayList<>(profiles);
        if (profileList.isEmpty()) {
            profileList.add("/run/current-system/sw");
            profileList.add(System.getProperty("user.home", "/root") + "/.nix-profile");
            profileList.add("/nix/var/nix/profiles/default");
        }
        Set<String> closure = ProfileClosure.of(root(), storeDir, profileList);
        List<ResolveConfig.ExtraLibraries> extras = new ArrayList<>();
        for (String rule : extraLibraries) {
            int eq = rule.indexOf('=');
            if (eq <= 0 || eq == rule.length() - 1) {
                throw new IllegalArgumentException("--extra-libraries wants GLOB=LIB[,LIB...], got " + rule);
            }
            extras.add(new ResolveConfig.ExtraLibraries(rule.substring(0, eq),
                    Arrays.asList(rule.substring(eq + 1).split(","))));
        }
        return new ResolveConfig(prefer, closure, extras);
    }

    Resolver resolver(IndexStore.Loaded index) {
        return new Resolver(index.index(), new FsRootLookup(root()), resolveConfig());
    }
}
