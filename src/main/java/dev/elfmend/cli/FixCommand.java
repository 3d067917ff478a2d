package dev.elfmend.cli;

import dev.elfmend.fixup.FilePolicy;
import dev.elfmend.fixup.Fixer;
import dev.elfmend.fixup.GcRoots;
import dev.elfmend.fixup.IndexStore;
import dev.elfmend.fixup.Journal;
import dev.elfmend.fixup.StateLocations;
import dev.elfmend.resolve.FhsRetarget;
import dev.elfmend.resolve.Resolver;
import dev.elfmend.fixup.FsRootLookup;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code elfmend fix}: make every foreign ELF file under the paths runnable against the store. */
@Command(name = "fix", mixinStandardHelpOptions = true,
        description = "Find ELF files by content under PATHs and patch their interpreter and run path so "
                + "they run against the Nix store (or, with --target fhs, on an ordinary distribution).")
final class FixCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    @Mixin
    PolicyOptions policy;

    @Option(names = "--dry-run", description = "Show what would change; change nothing.")
    boolean dryRun;

    @Option(names = "--strict", description = "Exit with status 4 when anything stays unresolved.")
    boolean strict;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Option(names = "--target", paramLabel = "nix|fhs", defaultValue = "nix",
            description = "nix (default): retarget to the store; fhs: retarget Nix-built binaries to the "
                    + "standard loader and library directories of an ordinary distribution.")
    String target;

    @Parameters(paramLabel = "PATH", arity = "1..*", description = "Files or directory trees.")
    List<Path> paths;

    @Override
    public Integer call() throws IOException {
        Fixer.Target t = switch (target) {
            case "nix" -> Fixer.Target.NIX;
            case "fhs" -> Fixer.Target.FHS;
            default -> throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--target must be nix or fhs, not " + target);
        };
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        StateLocations locations = store.locations();
        if (!dryRun) {
            store.removeStrayStateTempFiles();
        }
        Resolver resolver = null;
        if (t == Fixer.Target.NIX) {
            // Retargeting away from the store needs no index (and the target system may have no store).
            IndexStore.Loaded index = store.loadIndex(false);
            if (index.cacheProblem() != null) {
                err.println("elfmend: warning: " + index.cacheProblem());
            }
            resolver = store.resolver(index);
        }
        Journal journal = Journal.load(store.stateRoot(), locations.journal());
        Fixer fixer = new Fixer(store.root(), store.storeDir, resolver,
                new FhsRetarget(new FsRootLookup(store.root()), store.storeDir), t, dryRun, journal, policy.policy());
        Progress progress = new Progress(err, json);
        List<Fixer.FileResult> results = fixer.run(paths, new Fixer.Listener() {
            @Override
            public void fileFound(Path file) {
                progress.found();
            }

            @Override
            public void fileDone(Fixer.FileResult r) {
                progress.done();
                if (!json) {
                    FixReport.printLine(out, r, dryRun);
                }
            }

            @Override
            public void warning(String message) {
                err.println("elfmend: warning: " + message);
            }
        });
        progress.finish();
        String rootsNote = null;
        if (!dryRun) {
            // Inside another root (a container's), state goes in without following its links: they point
            // wherever that root's owner wants, the host's /etc included.
            Path stateRoot = store.stateRoot();
            journal.save();
            if (t == Fixer.Target.NIX) {
                try {
                    int[] changed = new GcRoots(stateRoot, locations.gcRoots(), store.storeDir)
                            .sync(fixer.liveStorePaths());
                    journal.save();
                    rootsNote = changed[0] + " GC roots added, " + changed[1] + " removed";
                } catch (IOException e) {
                    err.println("elfmend: warning: cannot update GC roots in " + locations.gcRoots() + ": "
                            + e.getMessage() + " (patched files may break after nix-collect-garbage)");
                }
            }
        }
        Map<Fixer.Outcome, Integer> counts = FixReport.count(results);
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            List<Object> files = new ArrayList<>();
            results.forEach(r -> files.add(FixReport.toJson(r)));
            m.put("files", files);
            Map<String, Object> summary = new LinkedHashMap<>();
            counts.forEach((k, v) -> summary.put(k.name().toLowerCase(java.util.Locale.ROOT), v));
            m.put("summary", summary);
            out.println(Json.write(m));
        } else {
            out.println(FixReport.summary(results.size(), counts, dryRun) + (rootsNote == null ? "" : "; " + rootsNote));
        }
        out.flush();
        if (counts.getOrDefault(Fixer.Outcome.FAILED, 0) > 0) {
            return ExitCodes.FAILURE;
        }
        if (strict && counts.getOrDefault(Fixer.Outcome.UNRESOLVED, 0) > 0) {
            return ExitCodes.UNRESOLVED;
        }
        return ExitCodes.OK;
    }

    /** Which files that elfmend leaves alone by default it may patch ({@link FilePolicy}); fix, check and watch share them. */
    static final class PolicyOptions {
        @Option(names = "--allow-privileged", description = "Also patch set-user-ID, set-group-ID and "
                + "capability-carrying executables; their bits and capabilities are kept.")
        boolean allowPrivileged;

        @Option(names = "--allow-hardlinks", description = "Also patch files with other hard links: this name "
                + "gets the patched file, the other names keep the original (a warning says so).")
        boolean allowHardLinks;

        FilePolicy policy() {
            return new FilePolicy(allowPrivileged, allowHardLinks);
        }
    }

    /** A one-line progress counter on stderr when it is a terminal and the tree is big. */
    static final class Progress {
        private final PrintWriter err;
        private final boolean enabled;
        private int found;
        private int done;
        private long last;

        Progress(PrintWriter err, boolean json) {
            this.err = err;
            this.enabled = !json && System.console() != null && System.getenv("TERM") != null;
        }

        void found() {
            found++;
        }

        void done() {
            done++;
            long now = System.nanoTime();
            if (enabled && found > 200 && now - last > 100_000_000L) {
                last = now;
                err.printf("\r%d/%d ELF files", done, found);
                err.flush();
            }
        }

        void finish() {
            if (enabled && found > 200) {
                err.print("\r\033[K");
                err.flush();
            }
        }
    }
}
