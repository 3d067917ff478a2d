package dev.elfmend.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.fixup.Fixer;
import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.NixRoot;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Readelf;
import dev.elfmend.testing.RegistryBinaries;
import dev.elfmend.watch.WatchDaemon;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The daemon on disk, in a NixOS-like root with a real store: files dropped into watched trees get
 * patched without any other action. Waits are bounded polls, never fixed sleeps.
 */
class WatchCommandTest {

    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @TempDir
    static Path shared;

    static NixRoot nix;

    @TempDir
    Path work;

    private WatchDaemon daemon;
    private final List<Fixer.FileResult> results = new CopyOnWriteArrayList<>();
    private final List<String> warnings = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void buildRoot() {
        nix = NixRoot.create(shared);
    }

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
    }

    private WatchDaemon start(Path... trees) throws IOException {
        return start(Duration.ofMillis(25), trees);
    }

    private WatchDaemon start(Duration settle, Path... trees) throws IOException {
        WatchCommand cmd = new WatchCommand();
        new CommandLine(cmd).parseArgs("--root", nix.root().toString(), "--cache-dir", work.resolve("cache").toString(),
                "--state-dir", work.resolve("state").toString(), "--gcroots-dir",
                nix.host("/nix/var/nix/gcroots/elfmend-test").toString());
        daemon = WatchDaemon.builder().trees(List.of(trees)).environment(new DaemonEnvironment(cmd.store))
                .supervisionInterval(Duration.ofMillis(200)).settle(settle)
                .listener(new WatchDaemon.Listener() {
                    @Override
                    public void fileDone(Fixer.FileResult r) {
                        results.add(r);
                    }

                    @Override
                    public void warning(String message) {
                        warnings.add(message);
                    }
                }).build().start();
        return daemon;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + PATIENCE.toNanos();
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("timed out waiting for " + what);
    }

    private static boolean runsInRoot(String pathInRoot) {
        return nix.chroot(pathInRoot, "--version").exit() == 0;
    }

    @Test
    void nodeExtractedByTarIntoAWatchedTreeRunsWithoutAnyOtherAction() throws Exception {
        Path tree = nix.host("/home/u/.vscode-server");
        Files.createDirectories(tree);
        start(tree);
        await("tree watched", () -> daemon.watchedTrees().contains(tree));
        Path tarball = work.resolve("server.tar");
        Path src = Files.createDirectories(work.resolve("src/bin/c1"));
        Files.copy(RegistryBinaries.nodeLinux("x64"), src.resolve("node"));
        Processes.runOk("tar", "-cf", tarball.toString(), "-C", work.resolve("src").toString(), "bin");

        Processes.runOk("tar", "-xf", tarball.toString(), "-C", tree.toString());

        await("node runs in the root", () -> runsInRoot("/home/u/.vscode-server/bin/c1/node"));
        assertTrue(nix.chroot("/home/u/.vscode-server/bin/c1/node", "--version").out().startsWith("v22."));
    }

    @Test
    void vscodeStagingSequenceSucceedsOnTheFirstTryAndTheFileCountNeverChanges() throws Exception {
        Path tree = nix.host("/home/u/.vscode-server");
        Files.createDirectories(tree.resolve("bin"));
        start(tree);
        await("tree watched", () -> daemon.watchedTrees().contains(tree));
        // A server tarball shaped like VS Code's own: node first, then thousands of files (~150 MB).
        Path src = Files.createDirectories(work.resolve("pkg/c2"));
        Files.copy(RegistryBinaries.nodeLinux("x64"), src.resolve("node"));
        byte[] chunk = ("module.exports = 1;\n").repeat(2500).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int i = 0; i < 3000; i++) {
            Path f = src.resolve("out/m" + (i % 50) + "/f" + i + ".js");
            Files.createDirectories(f.getParent());
            Files.write(f, chunk);
        }
        Path tarball = work.resolve("vscode-server.tar");
        Processes.runOk("tar", "-cf", tarball.toString(), "-C", src.toString(), "node", "out");
        long expectedFiles;
        try (Stream<Path> s = Files.walk(src)) {
            expectedFiles = s.filter(Files::isRegularFile).count();
        }
        Path staging = tree.resolve("bin/c2.staging");
        Files.createDirectories(staging);
        Set<Long> counts = ConcurrentHashMap.newKeySet();
        Thread counter = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try (Stream<Path> s = Files.walk(staging)) {
                    counts.add(s.filter(Files::isRegularFile).count());
                } catch (IOException | RuntimeException e) {
                    return;
                }
            }
        });

        Processes.runOk("tar", "-xf", tarball.toString(), "-C", staging.toString());
        counter.start();
        Processes.Result first = nix.chroot("/home/u/.vscode-server/bin/c2.staging/node", "--version");
        Thread.sleep(300);
        counter.interrupt();
        counter.join();
        Files.move(staging, tree.resolve("bin/c2"));

        assertEquals(0, first.exit(), "first run after extraction: " + first.err());
        assertEquals(Set.of(expectedFiles), counts, "file count of the extracted directory while the daemon worked");
        assertTrue(runsInRoot("/home/u/.vscode-server/bin/c2/node"));
    }

    /** A settle time no test waits for: a file taken before it did not wait for quiet. */
    private static final Duration LONG_SETTLE = Duration.ofSeconds(40);

    private Path vscodeServerWatchedWithALongSettleTime() throws Exception {
        Path tree = nix.host("/home/u/.vscode-server");
        Files.createDirectories(tree);
        start(LONG_SETTLE, tree);
        await("tree watched", () -> daemon.watchedTrees().contains(tree));
        return tree;
    }

    /** node at {@code at}, last written days ago (as a download or an archive's member is). */
    private static Path oldNode(Path at) throws IOException {
        Files.copy(RegistryBinaries.nodeLinux("x64"), at);
        Files.setLastModifiedTime(at, java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minus(Duration.ofDays(3))));
        return at;
    }

    private static void awaitRunsBeforeTheSettleTime(String pathInRoot, long t0) throws InterruptedException {
        await("node runs in the root", () -> runsInRoot(pathInRoot));
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertTrue(took.compareTo(LONG_SETTLE) < 0, "patched after " + took + ", not before the settle time " + LONG_SETTLE);
    }

    @Test
    void aFinishedFileRenamedIntoPlaceIsPatchedWithoutWaitingForTheSettleTime() throws Exception {
        Path tree = vscodeServerWatchedWithALongSettleTime();
        Path staging = oldNode(nix.host("/home/u/node.download"));

        long t0 = System.nanoTime();
        Files.move(staging, tree.resolve("node"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);

        awaitRunsBeforeTheSettleTime("/home/u/.vscode-server/node", t0);
    }

    /**
     * GNU tar sets a file's times, owner and mode through the open descriptor and then closes it; no
     * event says when. Whether the last event reaches the daemon after the close (the file is finished)
     * or before it (the file is closing, and probed for its writer for a few milliseconds), node must be
     * taken long before the settle time, and not before tar's chmod (the copy would keep tar's 0600
     * creation mode).
     */
    @Test
    void nodeExtractedByTarIsTakenWhenTarClosesItNotAfterTheSettleTime() throws Exception {
        Path tree = vscodeServerWatchedWithALongSettleTime();
        Path src = oldNode(Files.createDirectories(work.resolve("src/bin/c3")).resolve("node"));
        Path tarball = work.resolve("server.tar");
        Processes.runOk("tar", "-cf", tarball.toString(), "-C", work.resolve("src").toString(), "bin");

        long t0 = System.nanoTime();
        Processes.runOk("tar", "-xf", tarball.toString(), "-C", tree.toString());

        awaitRunsBeforeTheSettleTime("/home/u/.vscode-server/bin/c3/node", t0);
        assertEquals(Files.getPosixFilePermissions(src), Files.getPosixFilePermissions(tree.resolve("bin/c3/node")),
                "the mode tar set survives");
    }

    @Test
    void treesCreatedAfterStartDeletedAndRecreatedKeepBeingWatched() throws Exception {
        Path tree = nix.host("/home/u/.cursor-server");
        start(tree);
        Files.createDirectories(tree);
        await("new tree watched", () -> daemon.watchedTrees().contains(tree));
        nix.install(Fixtures.compile("hello", Fixtures.Variant.PIE), "/home/u/.cursor-server/hello");
        await("hello patched", () -> interpreterInStore(nix.host("/home/u/.cursor-server/hello")));

        Processes.runOk("rm", "-rf", tree.toString());
        await("deleted tree released", () -> !daemon.watchedTrees().contains(tree));
        Files.createDirectories(tree);
        await("re-created tree watched", () -> daemon.watchedTrees().contains(tree));
        nix.install(Fixtures.compile("hello", Fixtures.Variant.NO_PIE), "/home/u/.cursor-server/again");
        await("file in re-created tree patched", () -> interpreterInStore(nix.host("/home/u/.cursor-server/again")));
        assertEquals(0, nix.chroot("/home/u/.cursor-server/again").exit());
    }

    @Test
    void fiveThousandFilesDroppedAtOnceAreAllHandled() throws Exception {
        Path tree = nix.host("/home/u/.windsurf-server");
        Files.createDirectories(tree);
        start(tree);
        await("tree watched", () -> daemon.watchedTrees().contains(tree));
        Path drop = Files.createDirectories(work.resolve("drop"));
        Path hello = Fixtures.compile("hello", Fixtures.Variant.PIE);
        int elves = 0;
        for (int i = 0; i < 5000; i++) {
            Path dir = Files.createDirectories(drop.resolve("d" + (i % 100)));
            if (i % 50 == 0) {
                Files.copy(hello, dir.resolve("tool" + i));
                elves++;
            } else {
                Files.writeString(dir.resolve("f" + i + ".json"), "{\"i\": " + i + "}");
            }
        }
        Processes.runOk("cp", "-a", drop.toString(), tree.resolve("drop").toString());
        int expected = elves;
        await("all ELF files patched", () -> patchedUnder(tree) == expected);
        daemon.awaitIdle(PATIENCE);
        assertEquals(expected, patchedUnder(tree));
    }

    @Test
    void aGarbageCollectedGlibcIsReplacedWhenANewOneArrives() throws Exception {
        Path tree = nix.host("/home/u/.vscodium-server");
        Files.createDirectories(tree);
        start(tree);
        await("tree watched", () -> daemon.watchedTrees().contains(tree));
        nix.install(Fixtures.compile("hello", Fixtures.Variant.PIE), "/home/u/.vscodium-server/hello");
        Path hello = nix.host("/home/u/.vscodium-server/hello");
        await("hello patched", () -> interpreterInStore(hello));
        String before = Readelf.programHeaders(hello).interpreter().orElseThrow();
        String oldGlibc = before.substring("/nix/store/".length()).split("/")[0];

        String newGlibc = nix.addGlibc("glibc-" + NixRoot.hostGlibcVersion() + "-rebuilt");
        nix.nixStore("--delete", "--ignore-liveness", NixRoot.inStore(oldGlibc));
        assertFalse(nix.exists(oldGlibc));

        await("re-patched to the new glibc", () -> {
            try {
                return Readelf.programHeaders(hello).interpreter().orElse("").contains(newGlibc);
            } catch (RuntimeException e) {
                return false;
            }
        });
        assertEquals(0, nix.chroot("/home/u/.vscodium-server/hello").exit());
    }

    private static boolean interpreterInStore(Path file) {
        try {
            return Files.exists(file) && Readelf.programHeaders(file).interpreter().orElse("").startsWith("/nix/store/");
        } catch (RuntimeException | AssertionError e) {
            return false;
        }
    }

    private long patchedUnder(Path tree) {
        return results.stream().filter(r -> r.outcome() == Fixer.Outcome.PATCHED && r.file().startsWith(tree))
                .map(Fixer.FileResult::file).distinct().count();
    }
}
