package dev.elfmend.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.fixup.AtomicReplace;
import dev.elfmend.fixup.ElfFiles;
import dev.elfmend.testing.ElfmendJvm;
import dev.elfmend.testing.ForeignBinaries;
import dev.elfmend.testing.LoggedProcess;
import dev.elfmend.testing.NixRoot;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Readelf;
import dev.elfmend.testing.RegistryBinaries;
import dev.elfmend.testing.TreeVersions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety of whole runs: {@code elfmend fix} over a tree of executables and libraries, in a JVM of its
 * own, SIGKILLed hundreds of times at random moments spread over its patching window, and the daemon killed
 * while it patches a drop. After every kill each file is byte for byte its original or its fully patched
 * version, never anything else; the next start removes the temp files the killed run left and finishes the job.
 * {@code -Delfmend.crashKills=N} sets the number of kills of {@code fix} (default 300),
 * {@code -Delfmend.crashNodeKills} those of a tree with node (default 10), {@code -Delfmend.crashDaemonKills}
 * those of the daemon (default 10), and {@code -Delfmend.crashSeed} replays a run's random moments.
 */
class SigkillHarnessTest {

    private static final int FIX_KILLS = Integer.getInteger("elfmend.crashKills", 300);
    private static final int NODE_KILLS = Integer.getInteger("elfmend.crashNodeKills", 10);
    private static final int DAEMON_KILLS = Integer.getInteger("elfmend.crashDaemonKills", 10);
    private static final long SEED = Long.getLong("elfmend.crashSeed", System.currentTimeMillis());
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final int CALIBRATION_RUNS = 5;

    @TempDir
    static Path shared;

    static NixRoot nix;
    static List<ForeignBinaries.Kind> kinds;
    static List<String> launcherFlags;

    @BeforeAll
    static void buildRoot() {
        nix = NixRoot.create(shared);
        kinds = ForeignBinaries.kinds(shared.resolve("gcc"));
        launcherFlags = ElfmendJvm.launcherOptions(shared.resolve("elfmend.jsa"));
        System.out.println("elfmend runs as: " + ElfmendJvm.describe() + "; seed " + SEED
                + " (replay with -Delfmend.crashSeed=" + SEED + ")");
    }

    @Test
    void fixKilledAtRandomMomentsLeavesEveryFileOriginalOrPatchedAndTheNextRunFinishes() throws Exception {
        campaign("fix", FixTarget.of("app", false), FIX_KILLS, new Random(SEED));
    }

    @Test
    void fixOfATreeWithNodeKilledAtRandomMomentsLeavesEveryFileOriginalOrPatched() throws Exception {
        campaign("fix (with node)", FixTarget.of("with-node", true), NODE_KILLS, new Random(SEED + 1));
    }

    /**
     * A run killed after it patched some files but before it saved its journal: the run that finishes the job
     * must still know those files' originals, or {@code undo} can never restore them.
     */
    @Test
    void undoAfterAKilledFixAndARunThatFinishedRestoresEveryFile() throws Exception {
        FixTarget target = FixTarget.of("undo", false);
        TreeVersions tree = target.tree();
        runFixToTheEnd(target, "undo reference");
        FixTarget fresh = new FixTarget(tree, shared.resolve("state-undo-killed"),
                nix.host("/nix/var/nix/gcroots/elfmend-undo-killed"));
        tree.restoreAll();
        Map<String, Object> keys = tree.fileKeys();
        Process fix = startFix(fresh);
        killAt(fix, awaitFirstReplaced(fix, tree, keys));
        TreeVersions.State killed = tree.state("killed after its first patch");
        assertFalse(killed.patched().isEmpty(), "the killed run patched a file");

        assertEquals(0, finish(startFix(fresh)), "the run after the kill");
        tree.state("after the run that finished").assertAllPatched();
        Processes.Result undo = Processes.command(ElfmendJvm.command(launcherFlags, List.of("undo", "--root",
                nix.root().toString(), "--state-dir", fresh.stateDir().toString(), "--gcroots-dir",
                fresh.gcRoots().toString(), tree.dir().toString()))).runOk();

        List<String> stillPatched = new ArrayList<>();
        for (String file : tree.files()) {
            Path now = tree.dir().resolve(file);
            Path was = tree.pristine(file);
            if (!Readelf.programHeaders(now).interpreter().equals(Readelf.programHeaders(was).interpreter())
                    || !Readelf.dynamic(now).runpath().equals(Readelf.dynamic(was).runpath())
                    || !Readelf.dynamic(now).rpath().equals(Readelf.dynamic(was).rpath())) {
                stillPatched.add(file);
            }
        }
        assertEquals(List.of(), stillPatched, "files undo did not restore; the killed run had patched "
                + killed.patched() + "\n" + undo.out());
    }

    @Test
    void watchKilledWhilePatchingADropIsCleanedUpAndFinishedByTheRestartedDaemon() throws Exception {
        FixTarget reference = FixTarget.of("reference", false);
        runFixToTheEnd(reference, "reference");
        Path tree = Files.createDirectories(nix.host("/home/u/.vscode-server"));
        Path tempDir = tree.resolve(ElfFiles.TEMP_DIR);
        Path state = shared.resolve("state-daemon");
        Random random = new Random(SEED + 2);
        Outcomes outcomes = new Outcomes();
        List<Long> spans = new ArrayList<>();
        Set<String> stateTemps = new TreeSet<>();
        LoggedProcess daemon = startDaemon(tree, state);
        try {
            // The first rounds run to the end: they measure how long the daemon takes from its first replaced
            // file or temp file to the last replaced file.
            for (int round = 0; round < CALIBRATION_RUNS + DAEMON_KILLS; round++) {
                Path drop = tree.resolve("drop-" + round);
                TreeVersions staged = reference.tree().copyOriginalsTo(nix.host("/home/u/staging-" + round));
                Map<String, Object> keys = staged.fileKeys();
                Files.move(staged.dir(), drop, StandardCopyOption.ATOMIC_MOVE);
                TreeVersions dropped = staged.movedTo(drop);
                long first = awaitFirstChange(daemon.process(), dropped, tempDir, keys, Set.of());
                if (round < CALIBRATION_RUNS) {
                    spans.add(awaitAllReplaced(dropped, keys) - first);
                    awaitAllPatched(dropped);
                    assertNoTempFiles(tree, "after the daemon patched a drop");
                    deleteTree(drop);
                    continue;
                }
                if (round == CALIBRATION_RUNS) {
                    System.out.printf("daemon: %d files, %d bytes; patching window %s ms (first change to last "
                            + "replaced file); %d kills%n", dropped.files().size(), dropped.bytes(), millis(spans),
                            DAEMON_KILLS);
                }
                long delay = (long) (random.nextDouble() * median(spans));
                killAt(daemon.process(), first + delay);
                AfterKill after = AfterKill.of(dropped, tempDir, Set.of(), "daemon round " + round + ", killed "
                        + delay / 1_000 + " µs into patching");
                outcomes.add(daemon.process().exitValue(), after);
                Set<String> stateLeftovers = tempFilesIn(state);
                stateTemps.addAll(stateLeftovers);
                daemon = startDaemon(tree, state);
                // The restart cleans up before it watches: by its log line about the tree the temp files are gone.
                assertEquals(Set.of(), intersection(entries(tempDir), after.temps()),
                        "temp files of the killed daemon are still there after the restart");
                awaitAllPatched(dropped);
                assertNoTempFiles(tree, "after the restarted daemon finished round " + round);
                assertEquals(Set.of(), intersection(tempFilesIn(state), stateLeftovers),
                        "temp files the killed daemon left in its state directory " + state + " are still there");
                deleteTree(drop);
            }
        } finally {
            daemon.close();
        }
        System.out.println("daemon: " + outcomes.summary() + "; temp files killed daemons left in the state "
                + "directory: " + stateTemps);
        assertTrue(DAEMON_KILLS == 0 || outcomes.midPatch() > 0,
                "no kill landed while the daemon was patching: " + outcomes.summary());
    }

    // ---------------------------------------------------------------- the fix campaign

    /**
     * Calibrates, then kills {@code fix} {@code kills} times: each run is watched until patching shows (a
     * replaced file or a new temp file) and killed after a random delay within the measured time from there
     * to the end of the run (journal and GC roots included). Then one more run must finish the job.
     */
    private void campaign(String name, FixTarget target, int kills, Random random) throws Exception {
        TreeVersions tree = target.tree();
        Path tempDir = target.tempDir();
        runFixToTheEnd(target, name); // warms the class-data archive and the index cache, records the patched bytes
        List<Long> spans = new ArrayList<>();
        for (int i = 0; i < CALIBRATION_RUNS; i++) {
            tree.restoreAll();
            Process fix = startFix(target);
            long first = awaitFirstChange(fix, tree, tempDir, tree.fileKeys(), Set.of());
            assertEquals(0, finish(fix), name + " calibration run");
            spans.add(System.nanoTime() - first);
            tree.state(name + " calibration").assertAllPatched();
        }
        long window = median(spans);
        System.out.printf("%s: %d files, %d bytes; patching window %s ms (first change to exit); %d kills%n",
                name, tree.files().size(), tree.bytes(), millis(spans), kills);

        tree.restoreAll();
        Outcomes outcomes = new Outcomes();
        Set<String> leftovers = Set.of();
        long began = System.nanoTime();
        for (int kill = 0; kill < kills; kill++) {
            long delay = (long) (random.nextDouble() * window);
            Map<String, Object> keys = tree.fileKeys();
            Process fix = startFix(target);
            killAt(fix, awaitFirstChange(fix, tree, tempDir, keys, leftovers) + delay);
            AfterKill after = AfterKill.of(tree, tempDir, leftovers, name + " kill " + kill + ", " + delay / 1_000
                    + " µs into patching");
            outcomes.add(fix.exitValue(), after);
            // Temp files stay for the next start to remove; patched files go back to their originals.
            leftovers = after.temps();
            after.state().patched().forEach(tree::restore);
        }
        System.out.printf("%s: %s; %.1f s%n", name, outcomes.summary(), (System.nanoTime() - began) / 1e9);

        Set<String> stateTemps = tempFilesIn(target.stateDir());
        assertEquals(0, finish(startFix(target)), "the run after the last kill");
        AfterKill.of(tree, tempDir, leftovers, name + " after the last kill and one more run").state()
                .assertAllPatched();
        assertNoTempFiles(tree.dir(), "after the run that followed the last kill");
        System.out.println(name + ": temp files killed runs left in the state directory: " + stateTemps);
        assertEquals(Set.of(), intersection(tempFilesIn(target.stateDir()), stateTemps),
                "temp files killed runs left in the state directory " + target.stateDir() + " are still there");
        assertTrue(kills == 0 || outcomes.midPatch() > 0, "no kill landed mid-patch: " + outcomes.summary());
    }

    /** Runs {@code fix} on the originals to the end and records the patched version of every file. */
    private void runFixToTheEnd(FixTarget target, String name) throws Exception {
        target.tree().restoreAll();
        assertEquals(0, finish(startFix(target)), name + ": fix");
        target.tree().recordPatched(name + ": fix");
        assertNoTempFiles(target.tree().dir(), name + " after an uninterrupted run");
    }

    private Process startFix(FixTarget target) throws IOException {
        List<String> args = List.of("fix", "--root", nix.root().toString(), "--cache-dir",
                shared.resolve("cache").toString(), "--state-dir", target.stateDir().toString(), "--gcroots-dir",
                target.gcRoots().toString(), target.tree().dir().toString());
        return new ProcessBuilder(ElfmendJvm.command(launcherFlags, args)).redirectErrorStream(true)
                .redirectOutput(lastOutput().toFile()).start();
    }

    /** Where the latest {@code fix} run writes its output (each run replaces it). */
    private static Path lastOutput() {
        return shared.resolve("fix.out");
    }

    /** Waits for the run to end; returns its exit status, failing with the run's output unless it is 0. */
    private static int finish(Process fix) throws IOException, InterruptedException {
        assertTrue(fix.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS), "fix did not end within " + PATIENCE);
        assertEquals(0, fix.exitValue(), () -> "fix failed: " + readQuietly(lastOutput()));
        return fix.exitValue();
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    private LoggedProcess startDaemon(Path tree, Path state) throws InterruptedException {
        List<String> args = List.of("watch", "--root", nix.root().toString(), "--tree", tree.toString(),
                "--cache-dir", shared.resolve("cache").toString(), "--state-dir", state.toString(),
                "--gcroots-dir", nix.host("/nix/var/nix/gcroots/elfmend-daemon").toString());
        LoggedProcess daemon = LoggedProcess.start(
                ElfmendJvm.command(ElfmendJvm.unitOptions("elfmend.service", null), args));
        daemon.awaitLine(l -> l.contains("INFO  watching " + tree), PATIENCE);
        return daemon;
    }

    // ---------------------------------------------------------------- trees and outcomes

    /** Relative path -> source: small files three times in extension-like directories, big ones once. */
    private static Map<String, Path> layout(boolean withNode) {
        Map<String, Path> files = new LinkedHashMap<>();
        for (ForeignBinaries.Kind kind : kinds) {
            if (kind.source().toFile().length() < 1 << 20) {
                for (String ext : List.of("e1", "e2", "e3")) {
                    files.put("extensions/" + ext + "/" + kind.fileName(), kind.source());
                }
            } else {
                files.put("big/" + kind.fileName(), kind.source());
            }
        }
        if (withNode) {
            files.put("bin/node", RegistryBinaries.nodeLinux("x64"));
        }
        return files;
    }

    /** A tree for {@code fix} in the root, with its own state and GC-roots directories. */
    private record FixTarget(TreeVersions tree, Path stateDir, Path gcRoots) {
        static FixTarget of(String name, boolean withNode) {
            TreeVersions tree = TreeVersions.create(nix.host("/home/u/" + name), shared.resolve("pristine-" + name),
                    layout(withNode));
            return new FixTarget(tree, shared.resolve("state-" + name), nix.host("/nix/var/nix/gcroots/elfmend-" + name));
        }

        Path tempDir() {
            return tree.dir().resolve(ElfFiles.TEMP_DIR);
        }
    }

    /** The tree right after a kill: each file's version, the temp files, and whether patching had begun. */
    private record AfterKill(TreeVersions.State state, Set<String> temps, boolean began) {
        /**
         * Fails when a file is neither original nor patched, and when patching had begun while temp files of
         * the kill before ({@code leftovers}) are still there: a start removes them before it patches.
         */
        static AfterKill of(TreeVersions tree, Path tempDir, Set<String> leftovers, String when) throws IOException {
            TreeVersions.State state = tree.state(when);
            Set<String> temps = entries(tempDir);
            boolean began = !state.patched().isEmpty() || !leftovers.containsAll(temps);
            if (began) {
                assertEquals(Set.of(), intersection(temps, leftovers), when + ": patching began while temp files "
                        + "of the kill before were still in " + tempDir);
            }
            return new AfterKill(state, temps, began);
        }
    }

    /** What the kills found. */
    private static final class Outcomes {
        private int kills;
        private int finished;
        private int beforePatching;
        private int midPatch;
        private int mixed;
        private int withTemps;
        private int afterPatching;
        private final Map<Integer, Integer> patchedCounts = new TreeMap<>();

        void add(int exit, AfterKill after) {
            kills++;
            TreeVersions.State s = after.state();
            patchedCounts.merge(s.patched().size(), 1, Integer::sum);
            if (exit == 0) {
                finished++;
                assertEquals(Set.of(), after.temps(), s.when() + ": a run that finished left temp files");
                return;
            }
            boolean temps = after.began() && !after.temps().isEmpty();
            withTemps += temps ? 1 : 0;
            mixed += s.mixed() ? 1 : 0;
            if (!after.began()) {
                beforePatching++;
            } else if (s.mixed() || temps || s.patched().isEmpty()) {
                midPatch++;
            } else {
                afterPatching++;
            }
        }

        int midPatch() {
            return midPatch;
        }

        String summary() {
            return kills + " kills: " + midPatch + " mid-patch (" + mixed + " left the tree mixed original/patched, "
                    + withTemps + " left temp files), " + beforePatching + " before patching began, " + afterPatching
                    + " after every file was patched, " + finished + " after the run had finished; "
                    + "patched files per kill " + patchedCounts;
        }
    }

    // ---------------------------------------------------------------- waiting, killing, looking

    /**
     * Polls until patching shows (a temp file that is not a leftover, or a file replaced: its inode differs
     * from {@code keys}) and returns when (nanoTime); fails if the process ends or nothing shows in time.
     */
    private static long awaitFirstChange(Process process, TreeVersions tree, Path tempDir, Map<String, Object> keys,
                                         Set<String> leftovers) throws IOException {
        long end = System.nanoTime() + PATIENCE.toNanos();
        while (leftovers.containsAll(entries(tempDir)) && keys.equals(tree.fileKeys())) {
            if (!process.isAlive()) {
                throw new AssertionError("elfmend ended (exit " + process.exitValue() + ") without patching "
                        + tree.dir());
            }
            assertTrue(System.nanoTime() < end, "no patching seen in " + tree.dir() + " within " + PATIENCE);
            LockSupport.parkNanos(500_000);
        }
        return System.nanoTime();
    }

    /** Polls until a file of {@code tree} was replaced (its inode differs from {@code keys}); returns when. */
    private static long awaitFirstReplaced(Process process, TreeVersions tree, Map<String, Object> keys) {
        long end = System.nanoTime() + PATIENCE.toNanos();
        while (keys.equals(tree.fileKeys())) {
            assertTrue(process.isAlive() && System.nanoTime() < end, "no file in " + tree.dir() + " was replaced");
            LockSupport.parkNanos(200_000);
        }
        return System.nanoTime();
    }

    /** Polls until every file of {@code tree} was replaced (its inode differs from {@code keys}); returns when. */
    private static long awaitAllReplaced(TreeVersions tree, Map<String, Object> keys) {
        long end = System.nanoTime() + PATIENCE.toNanos();
        while (true) {
            Map<String, Object> now = tree.fileKeys();
            if (keys.entrySet().stream().noneMatch(e -> e.getValue().equals(now.get(e.getKey())))) {
                return System.nanoTime();
            }
            assertTrue(System.nanoTime() < end, "not every file in " + tree.dir() + " was replaced within " + PATIENCE);
            LockSupport.parkNanos(500_000);
        }
    }

    /** Bounded poll until every file is its patched version (the daemon at work). */
    private static void awaitAllPatched(TreeVersions tree) throws InterruptedException {
        long end = System.nanoTime() + PATIENCE.toNanos();
        for (TreeVersions.State s; !(s = tree.state("waiting for " + tree.dir())).original().isEmpty(); ) {
            assertTrue(System.nanoTime() < end, "not patched after " + PATIENCE.toSeconds() + " s: " + s.original());
            Thread.sleep(5);
        }
    }

    /** SIGKILL at {@code nanoTime} (or at once if that has passed), then wait until the process is gone. */
    private static void killAt(Process process, long nanoTime) throws InterruptedException {
        for (long left; (left = nanoTime - System.nanoTime()) > 0 && process.isAlive(); ) {
            LockSupport.parkNanos(Math.min(left, 1_000_000));
        }
        process.destroyForcibly();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "process survived SIGKILL");
    }

    /** Names in {@code dir} (empty when it does not exist). */
    private static Set<String> entries(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return Set.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        } catch (NoSuchFileException e) {
            return Set.of(); // removed while listing: the run ended
        }
    }

    private static Set<String> tempFilesIn(Path dir) throws IOException {
        Set<String> out = new TreeSet<>(entries(dir));
        out.removeIf(n -> !(n.startsWith(AtomicReplace.TEMP_PREFIX) && n.endsWith(AtomicReplace.TEMP_SUFFIX)));
        return out;
    }

    /** No elfmend temp file anywhere under {@code tree} (its temp directory included). */
    private static void assertNoTempFiles(Path tree, String when) throws IOException {
        try (Stream<Path> s = Files.walk(tree)) {
            List<Path> temps = s.filter(p -> p.getFileName().toString().startsWith(AtomicReplace.TEMP_PREFIX)
                    && p.getFileName().toString().endsWith(AtomicReplace.TEMP_SUFFIX)).toList();
            assertEquals(List.of(), temps, "temp files " + when);
        }
    }

    private static Set<String> intersection(Set<String> a, Set<String> b) {
        Set<String> out = new TreeSet<>(a);
        out.retainAll(b);
        return out;
    }

    private static long median(List<Long> values) {
        return values.stream().sorted().toList().get(values.size() / 2);
    }

    private static String millis(List<Long> nanos) {
        return nanos.stream().map(n -> String.format("%.1f", n / 1e6)).collect(Collectors.joining(", ", "[", "]"));
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
