package dev.elfmend.fixup;

import dev.elfmend.elf.ElfEdits;
import dev.elfmend.resolve.BinaryFacts;
import dev.elfmend.resolve.FhsRetarget;
import dev.elfmend.resolve.PatchPlan;
import dev.elfmend.resolve.Resolver;
import dev.elfmend.store.RootedFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The one-shot pipeline behind {@code fix} and {@code check}: find ELF files by content under the
 * given paths, resolve each against the store, patch what needs it through {@link ElfPatcher}, record
 * the originals in the journal and keep the store paths in use as GC roots. The daemon calls
 * {@link #fixFile} for single files through the same steps.
 */
public final class Fixer {

    /** Which way binaries are retargeted. */
    public enum Target { NIX, FHS }

    /** What happened to one file. */
    public enum Outcome { PATCHED, WOULD_PATCH, OK, UNRESOLVED, SKIPPED, FAILED }

    /**
     * The result for one file. {@code warnings} are what the user must hear about even when it went
     * well (a file split from its hard links) or why a file was left alone on purpose (a privileged file).
     */
    public record FileResult(Path file, String pathInRoot, Outcome outcome, PatchPlan plan, List<String> changes,
                             String error, List<String> warnings) {
        public FileResult {
            warnings = List.copyOf(warnings);
        }

        public FileResult(Path file, String pathInRoot, Outcome outcome, PatchPlan plan, List<String> changes,
                          String error) {
            this(file, pathInRoot, outcome, plan, changes, error, List.of());
        }
    }

    /** Receives results as they happen (the CLI prints, the daemon logs). */
    public interface Listener {
        default void fileDone(FileResult result) {}

        default void fileFound(Path file) {}

        /** Something about the walk itself (a tree too deep to search to its end), said once. */
        default void warning(String message) {}
    }

    private final Path root;
    private final String storeDir;
    private final Resolver resolver;
    private final FhsRetarget fhs;
    private final Target target;
    private final boolean dryRun;
    private final Journal journal;
    private final FilePolicy policy;

    /** A fixer with the {@linkplain FilePolicy#DEFAULT default policy}: nothing privileged, nothing hard-linked. */
    public Fixer(Path root, String storeDir, Resolver resolver, FhsRetarget fhs, Target target, boolean dryRun,
                 Journal journal) {
        this(root, storeDir, resolver, fhs, target, dryRun, journal, FilePolicy.DEFAULT);
    }

    public Fixer(Path root, String storeDir, Resolver resolver, FhsRetarget fhs, Target target, boolean dryRun,
                 Journal journal, FilePolicy policy) {
        this.root = root.toAbsolutePath().normalize();
        this.storeDir = storeDir;
        this.resolver = resolver;
        this.fhs = fhs;
        this.target = target;
        this.dryRun = dryRun;
        this.journal = journal;
        this.policy = policy;
    }

    /** The same fixer planning only: it writes nothing and records nothing. */
    public Fixer dryRun() {
        return new Fixer(root, storeDir, resolver, fhs, target, true, null, policy);
    }

    /** The same fixer (same journal) with another policy. */
    public Fixer withPolicy(FilePolicy newPolicy) {
        return new Fixer(root, storeDir, resolver, fhs, target, dryRun, journal, newPolicy);
    }

    /** Walks every path, fixing (or, dry, planning) each ELF file found. */
    public List<FileResult> run(List<Path> paths, Listener listener) throws IOException {
        List<FileResult> results = new ArrayList<>();
        for (Path start : paths) {
            Path abs = start.toAbsolutePath().normalize();
            if (!Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
                throw new java.nio.file.NoSuchFileException(start.toString(), null, "no such file or directory");
            }
            if (RootedFiles.inRoot(root, abs) == null) {
                throw new IOException(start + " is outside the root " + root);
            }
            Path tempDir = tempDirFor(abs);
            AtomicReplace.removeStrayTempFiles(tempDir);
            List<Path> files = new ArrayList<>();
            ElfFiles.walk(abs, f -> {
                files.add(f);
                listener.fileFound(f);
            }, listener::warning);
            try {
                results.addAll(fixAll(files, tempDir, listener));
            } finally {
                removeIfEmpty(tempDir);
            }
        }
        return results;
    }

    /**
     * Fixes files on a couple of threads: each patch mostly waits for its fsync, so two at a time
     * roughly halve a tree's wall time. Results come back in the order of {@code files}.
     */
    private List<FileResult> fixAll(List<Path> files, Path tempDir, Listener listener) throws IOException {
        int threads = Math.min(files.size(), Math.max(2, Runtime.getRuntime().availableProcessors()));
        if (threads <= 1) {
            List<FileResult> out = new ArrayList<>();
            for (Path f : files) {
                FileResult r = fixFile(f, tempDir);
                out.add(r);
                listener.fileDone(r);
            }
            return out;
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "elfmend-fix");
            t.setDaemon(true);
            return t;
        });
        try {
            List<java.util.concurrent.Future<FileResult>> jobs = new ArrayList<>();
            for (Path f : files) {
                jobs.add(pool.submit(() -> {
                    FileResult r = fixFile(f, tempDir);
                    synchronized (listener) {
                        listener.fileDone(r);
                    }
                    return r;
                }));
            }
            List<FileResult> out = new ArrayList<>();
            for (java.util.concurrent.Future<FileResult> job : jobs) {
                out.add(job.get());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Fixes one file of the tree whose temp directory is {@code tempDir} (its hidden directory at the
     * tree's root, see {@link #tempDirFor}): below that root no link is followed, and the tree's owner
     * decides whose files a run as root may touch.
     */
    public FileResult fixFile(Path file, Path tempDir) {
        String inRoot = RootedFiles.inRoot(root, file);
        if (inRoot == null) {
            return new FileResult(file, null, Outcome.FAILED, null, List.of(), "outside the root " + root);
        }
        if (inRoot.startsWith(storeDir + "/")) {
            return new FileResult(file, inRoot, Outcome.SKIPPED, PatchPlan.skipped("inside the store"), List.of(), null);
        }
        Path tree = tempDir.toAbsolutePath().normalize().getParent();
        try {
            ElfPatcher.Guard guard = policy.guard(tree, FilePolicy.requiredOwner(tree));
            // Decided here on the file as it is, so check and --dry-run tell it too; the patcher decides
            // again on the very file it replaces.
            FileState state;
            try (SourceFile source = SourceFile.open(tree, file)) {
                state = source.state();
                guard.check(source.path(), state, source::capability);
            }
            BinaryFacts facts;
            try (OpenElf open = OpenElf.open(file, false)) {
                facts = BinaryFacts.of(inRoot, open.elf());
            }
            PatchPlan plan = target == Target.FHS ? fhs.plan(facts) : resolver.plan(facts);
            if (plan.status() == PatchPlan.Status.SKIPPED) {
                return new FileResult(file, inRoot, Outcome.SKIPPED, plan, List.of(), null);
            }
            if (!plan.changes()) {
                keepJournalCurrent(inRoot, plan);
                Outcome o = plan.status() == PatchPlan.Status.UNRESOLVABLE ? Outcome.UNRESOLVED : Outcome.OK;
                return new FileResult(file, inRoot, o, plan, List.of(), null);
            }
            ElfEdits.Builder edits = ElfEdits.builder();
            if (plan.interpreter() != null) {
                edits.interpreter(plan.interpreter());
            }
            if (plan.runPath() != null) {
                edits.runPath(plan.runPath());
            }
            List<String> changes = describe(facts, plan);
            if (dryRun) {
                return new FileResult(file, inRoot, plan.status() == PatchPlan.Status.UNRESOLVABLE
                        ? Outcome.UNRESOLVED : Outcome.WOULD_PATCH, plan, changes, null);
            }
            Journal.Entry previous = journal == null ? null : journal.get(inRoot);
            writeAhead(facts, plan);
            ElfPatcher.Result result;
            try {
                result = new ElfPatcher(tree, tempDir, guard, (source, copy) -> { }, () -> { })
                        .patch(file, edits.build());
            } catch (IOException | RuntimeException e) {
                forget(inRoot, previous);
                throw e;
            }
            if (!result.changed()) {
                forget(inRoot, previous);
            }
            Outcome o = plan.status() == PatchPlan.Status.UNRESOLVABLE ? Outcome.UNRESOLVED : Outcome.PATCHED;
            List<String> warnings = result.changed() && state.links() > 1
                    ? List.of(FilePolicy.detached(state.links())) : List.of();
            return new FileResult(file, inRoot, o, plan, result.changes(), null, warnings);
        } catch (FilePolicy.RefusedException e) {
            return new FileResult(file, inRoot, Outcome.SKIPPED, PatchPlan.skipped(e.getMessage()), List.of(), null,
                    List.of(e.getMessage()));
        } catch (IOException | RuntimeException e) {
            return new FileResult(file, inRoot, Outcome.FAILED, null, List.of(),
                    e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
    }

    private static List<String> describe(BinaryFacts facts, PatchPlan plan) {
        List<String> out = new ArrayList<>();
        if (plan.interpreter() != null) {
            out.add("interpreter " + facts.interpreter() + " -> " + plan.interpreter());
        }
        if (plan.runPath() != null) {
            String current = facts.runPath() != null ? facts.runPath() : facts.rPath();
            out.add("runpath " + (current == null ? "(none)" : current) + " -> " + plan.runPath());
        }
        return out;
    }

    /**
     * Records the file's originals and what it is about to become, durably, before it is replaced: a run
     * killed right after the rename still leaves {@code undo} what it needs.
     */
    private synchronized void writeAhead(BinaryFacts facts, PatchPlan plan) throws IOException {
        if (journal == null) {
            return;
        }
        Journal.Entry existing = journal.get(facts.pathInRoot());
        String interp = plan.interpreter() != null ? plan.interpreter() : facts.interpreter();
        String runPath = plan.runPath() != null ? plan.runPath() : facts.runPath() != null ? facts.runPath()
                : facts.rPath();
        Set<String> stores = target == Target.NIX ? plan.storePaths() : Set.of();
        String currentRunPath = facts.runPath() != null ? facts.runPath() : facts.rPath();
        if (existing != null && !(Objects.equals(facts.interpreter(), existing.patchedInterpreter())
                && Objects.equals(currentRunPath, existing.patchedRunPath()))) {
            existing = null; // a new file at the same path (an update): its own originals count, not the old ones
        }
        if (existing == null) {
            existing = new Journal.Entry(facts.pathInRoot(), facts.interpreter(), facts.runPath(), facts.rPath(),
                    facts.needed(), null, null, Set.of());
        }
        journal.writeAhead(existing.withPatched(interp, runPath, stores));
    }

    /** The file was not replaced after all: the journal says about it what it said before. */
    private synchronized void forget(String inRoot, Journal.Entry previous) {
        if (journal == null) {
            return;
        }
        if (previous != null) {
            journal.put(previous);
        } else {
            journal.remove(inRoot);
        }
    }

    private synchronized void keepJournalCurrent(String inRoot, PatchPlan plan) {
        if (journal == null || target != Target.NIX) {
            return;
        }
        Journal.Entry e = journal.get(inRoot);
        if (e != null && !e.storePaths().equals(plan.storePaths())) {
            journal.put(e.withPatched(e.patchedInterpreter(), e.patchedRunPath(), plan.storePaths()));
        }
    }

    /** Temp files for a tree go to a hidden directory at its root (a file's: beside it). */
    public static Path tempDirFor(Path start) {
        Path dir = Files.isDirectory(start, LinkOption.NOFOLLOW_LINKS) ? start : start.getParent();
        return dir.resolve(ElfFiles.TEMP_DIR);
    }

    static void removeIfEmpty(Path dir) {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // not empty (another run works there) or gone: fine either way
        }
    }

    /** Store paths every journal entry still depends on, for GC roots (entries of vanished files are dropped). */
    public Set<String> liveStorePaths() {
        Set<String> out = new LinkedHashSet<>();
        if (journal == null) {
            return out;
        }
        for (Journal.Entry e : journal.entries()) {
            if (mayExist(e.path())) {
                out.addAll(e.storePaths());
            } else {
                journal.remove(e.path());
            }
        }
        return out;
    }

    /**
     * Whether the journal's file may still be there. A name that is not UTF-8 reached the journal with
     * its odd bytes replaced, so it cannot be looked up again: its store paths stay roots rather than
     * being collected from under a patched file.
     */
    private boolean mayExist(String pathInRoot) {
        if (pathInRoot.indexOf('\ufffd') >= 0) {
            return true;
        }
        try {
            return Files.exists(RootedFiles.host(root, pathInRoot), LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.InvalidPathException e) {
            return true; // not expressible in this locale's charset (LANG=C): cannot tell, so keep
        }
    }
}
