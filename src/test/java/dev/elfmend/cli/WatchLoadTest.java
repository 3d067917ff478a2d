package dev.elfmend.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.fixup.AtomicReplace;
import dev.elfmend.fixup.ElfFiles;
import dev.elfmend.fixup.Fixer;
import dev.elfmend.testing.ElfmendJvm;
import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.ForeignBinaries;
import dev.elfmend.testing.LoggedProcess;
import dev.elfmend.testing.NixRoot;
import dev.elfmend.testing.Processes;
import dev.elfmend.watch.WatchDaemon;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The daemon under load, as a real process with the JVM flags of {@code systemd/elfmend.service} and a
 * 128 MB heap: 10,000 files (200 of them foreign ELF executables and libraries, the rest scripts, data and
 * images of mixed sizes in nested directories) extracted by tar into a watched tree at once. Every ELF file
 * gets patched, nothing is missed ({@code check} afterwards finds nothing to fix), the heap stays within its
 * limit, no temp file stays and no file is added. Prints files per second; the benchmark is
 * {@code bench/watch-load.sh}. And when a drop is bigger than the daemon's queue, the overflow costs one
 * rescan, not one per file the queue turned away.
 */
class WatchLoadTest {

    static final int FILES = 10_000;
    static final int ELF_FILES = 200;
    static final String HEAP_LIMIT = "-Xmx128m";
    private static final long HEAP_LIMIT_BYTES = 128L << 20;
    private static final Duration PATIENCE = Duration.ofMinutes(5);
    private static final Pattern GC_LINE = Pattern.compile("(\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");

    @TempDir
    static Path shared;

    static NixRoot nix;

    @BeforeAll
    static void buildRoot() {
        nix = NixRoot.create(shared);
    }

    @Test
    void tenThousandFilesDroppedAtOnceAreAllHandledWithinA128MegabyteHeap() throws Exception {
        Path drop = Files.createDirectories(shared.resolve("drop"));
        Map<String, ForeignBinaries.Kind> elves = writeDrop(drop, ForeignBinaries.kinds(shared.resolve("gcc")));
        Path tarball = shared.resolve("drop.tar");
        Processes.runOk("tar", "-cf", tarball.toString(), "-C", drop.toString(), ".");
        Path tree = Files.createDirectories(nix.host("/home/u/.vscode-server"));
        Path gcLog = shared.resolve("gc.log");
        List<String> jvm = new ArrayList<>(ElfmendJvm.unitOptions("elfmend.service", HEAP_LIMIT));
        jvm.add("-Xlog:gc:file=" + gcLog);
        List<String> args = List.of("watch", "--root", nix.root().toString(), "--tree", tree.toString(),
                "--cache-dir", shared.resolve("cache").toString(), "--state-dir", shared.resolve("state").toString(),
                "--gcroots-dir", nix.host("/nix/var/nix/gcroots/elfmend-load").toString());

        try (LoggedProcess daemon = LoggedProcess.start(ElfmendJvm.command(jvm, args))) {
            daemon.awaitLine(l -> l.contains("INFO  watching " + tree), Duration.ofSeconds(60));
            long t0 = System.nanoTime();
            Processes.command("tar", "-xf", tarball.toString(), "-C", tree.toString()).timeout(PATIENCE).runOk();
            long extracted = System.nanoTime();
            long end = t0 + PATIENCE.toNanos();
            while (patched(daemon, tree).size() < ELF_FILES) {
                if (!daemon.process().isAlive()) {
                    throw new AssertionError("the daemon died under load, " + daemon.exitReport() + "\nGC log: "
                            + tail(gcLog));
                }
                assertTrue(System.nanoTime() < end, patched(daemon, tree).size() + " of " + ELF_FILES
                        + " patched after " + PATIENCE.toMinutes() + " min:\n" + daemon.log());
                Thread.sleep(10);
            }
            long done = System.nanoTime();
            double seconds = (done - t0) / 1e9;

            assertEquals(new TreeSet<>(elves.keySet()), patched(daemon, tree), "the files the daemon patched");
            CliRun check = CliRun.of("check", "--root", nix.root().toString(), "--cache-dir",
                    shared.resolve("check-cache").toString(), tree.toString());
            assertEquals(0, check.exit(), "check after the load finds something to fix:\n" + check);
            assertTrue(check.out().contains(ELF_FILES + " ELF files: " + ELF_FILES + " fine"), check.out());
            assertEquals(regularFiles(drop), regularFiles(tree), "files in the tree: none added, none lost");
            assertNonElfFilesUntouched(drop, tree, elves.keySet());
            assertEquals(List.of(), tempFiles(tree), "temp files left in the tree");
            runSomeInTheRoot(tree, elves);

            assertTrue(daemon.process().isAlive(), "the daemon died:\n" + daemon.log());
            long rssPeakKb = statusKb(daemon.pid(), "VmHWM:");
            assertEquals(0, daemon.count(l -> l.contains("OutOfMemoryError")), daemon.log());
            assertEquals(143, daemon.terminate(Duration.ofSeconds(15)), "exit status on SIGTERM");
            long[] heap = heapPeak(gcLog);
            System.out.printf("watch load: %d files (%d ELF) extracted by tar in %.2f s, all ELF files patched "
                            + "%.2f s after tar started: %.0f files/s; heap peak %.1f MB used of %.1f MB committed "
                            + "(%s, %d collections); peak RSS %.1f MB; %d warnings%n",
                    FILES, ELF_FILES, (extracted - t0) / 1e9, seconds, FILES / seconds, heap[0] / 1048576.0,
                    heap[1] / 1048576.0, HEAP_LIMIT, heap[2], rssPeakKb / 1024.0,
                    daemon.count(l -> l.contains(" WARN ")));
            daemon.lines().stream().filter(l -> l.contains(" WARN ") && !l.contains(" patched ")).limit(5)
                    .forEach(l -> System.out.println("  daemon: " + l));
            assertTrue(heap[2] > 0, "the GC log " + gcLog + " shows no collection");
            assertTrue(heap[0] <= HEAP_LIMIT_BYTES, "heap peak " + heap[0] + " bytes");
        }
    }

    /**
     * More files at once than the daemon's queue holds (a slow disk keeps the workers busy while thousands of
     * events arrive; here a small queue and one worker): the overflow falls back to a rescan, with one warning,
     * and every ELF file is still patched. One rescan covers every file the full queue turned away, so each ELF
     * file is looked at a handful of times, not once per turned-away file.
     */
    @Test
    void aFullQueueFallsBackToOneRescanNotOnePerTurnedAwayFile(@TempDir Path work) throws Exception {
        Path tree = Files.createDirectories(nix.host("/home/u/.cursor-server"));
        Path drop = Files.createDirectories(work.resolve("drop"));
        Path hello = Fixtures.compile("hello", Fixtures.Variant.PIE);
        int elves = 0;
        for (int i = 0; i < 3000; i++) {
            Path dir = Files.createDirectories(drop.resolve("d" + i % 50));
            if (i % 50 == 0) {
                Files.copy(hello, dir.resolve("tool" + i), StandardCopyOption.COPY_ATTRIBUTES);
                elves++;
            } else {
                Files.writeString(dir.resolve("f" + i + ".json"), "{\"i\": " + i + "}");
            }
        }
        WatchCommand cmd = new WatchCommand();
        new CommandLine(cmd).parseArgs("--root", nix.root().toString(), "--cache-dir",
                work.resolve("cache").toString(), "--state-dir", work.resolve("state").toString(), "--gcroots-dir",
                nix.host("/nix/var/nix/gcroots/elfmend-overflow").toString());
        Map<Path, Integer> handled = new ConcurrentHashMap<>();
        Set<Path> patched = ConcurrentHashMap.newKeySet();
        List<String> warnings = new CopyOnWriteArrayList<>();
        try (WatchDaemon daemon = WatchDaemon.builder().trees(List.of(tree))
                .environment(new DaemonEnvironment(cmd.store)).queueCapacity(16).workers(1)
                .supervisionInterval(Duration.ofMillis(200)).listener(new WatchDaemon.Listener() {
                    @Override
                    public void fileDone(Fixer.FileResult r) {
                        handled.merge(r.file(), 1, Integer::sum);
                        if (r.outcome() == Fixer.Outcome.PATCHED) {
                            patched.add(r.file());
                        }
                    }

                    @Override
                    public void warning(String message) {
                        warnings.add(message);
                    }
                }).build().start()) {
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!daemon.watchedTrees().contains(tree)) {
                assertTrue(System.nanoTime() < end, "tree not watched");
                Thread.sleep(20);
            }
            Processes.runOk("cp", "-a", drop.toString(), tree.resolve("drop").toString());
            while (patched.size() < elves) {
                assertTrue(System.nanoTime() < end, patched.size() + " of " + elves + " patched after 60 s; backlog "
                        + daemon.backlog() + "; most looks at one file: " + handled.values().stream()
                        .mapToInt(Integer::intValue).max().orElse(0) + "; warnings " + warnings);
                Thread.sleep(20);
            }
            boolean idle = daemon.awaitIdle(Duration.ofSeconds(60));
            int most = handled.values().stream().mapToInt(Integer::intValue).max().orElse(0);
            System.out.println("full queue: " + elves + " ELF files patched; most looks at one file: " + most
                    + "; idle: " + idle + "; warnings: " + warnings);
            assertEquals(1, warnings.size(), "one warning for the overflow: " + warnings);
            assertTrue(idle, "the daemon is still busy a minute after the last patch (backlog " + daemon.backlog()
                    + "); most looks at one file so far: " + most);
            assertTrue(most <= 5, "an ELF file was looked at " + most + " times: a rescan per turned-away file");
        }
    }

    // ---------------------------------------------------------------- the drop

    /**
     * Writes the drop with bench/LoadDrop.java (the benchmark's load, so the two cannot drift apart):
     * {@link #ELF_FILES} foreign ELF files of the kinds it names, each in a directory of its own, and the
     * rest non-ELF files of mixed sizes. Returns the ELF files by relative path.
     */
    static Map<String, ForeignBinaries.Kind> writeDrop(Path drop, List<ForeignBinaries.Kind> kinds) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "bench/LoadDrop.java", drop.toString()));
        Map<String, ForeignBinaries.Kind> byName = new LinkedHashMap<>();
        for (String name : List.of("hello", "hello-nopie", "sigmask", "libgreetm.so.1", "watcher.node", "protoc",
                "libvips")) {
            // each name stands for the first kind whose file name starts with it (hello before hello-nopie)
            ForeignBinaries.Kind kind = kinds.stream().filter(k -> k.fileName().equals(name)).findFirst()
                    .orElseGet(() -> kinds.stream().filter(k -> k.fileName().startsWith(name)).findFirst().orElseThrow());
            byName.put(name, kind);
            command.add(name + "=" + kind.source());
        }
        Map<String, ForeignBinaries.Kind> elves = new LinkedHashMap<>();
        for (String line : Processes.runOk(command.toArray(String[]::new)).out().split("\n")) {
            String[] kindAndFile = line.split("\t");
            elves.put(kindAndFile[1], byName.get(kindAndFile[0]));
        }
        assertEquals(ELF_FILES, elves.size());
        try (Stream<Path> all = Files.walk(drop)) {
            assertEquals(FILES, all.filter(Files::isRegularFile).count());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return elves;
    }

    // ---------------------------------------------------------------- checks

    /** Relative paths of the files under {@code tree} the daemon logged as patched. */
    private static Set<String> patched(LoggedProcess daemon, Path tree) {
        String prefix = "patched " + tree + "/";
        return daemon.lines().stream().filter(l -> l.contains(prefix))
                .map(l -> l.substring(l.indexOf(prefix) + prefix.length()).split("[: ]")[0])
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Relative paths of the regular files under {@code dir}, elfmend's temp directory left out. */
    private static Set<String> regularFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString())
                    .filter(p -> !p.startsWith(ElfFiles.TEMP_DIR + "/")).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static void assertNonElfFilesUntouched(Path drop, Path tree, Set<String> elves) throws IOException {
        List<String> changed = new ArrayList<>();
        for (String file : regularFiles(drop)) {
            if (!elves.contains(file) && Files.mismatch(drop.resolve(file), tree.resolve(file)) != -1) {
                changed.add(file);
            }
        }
        assertEquals(List.of(), changed, "non-ELF files the daemon changed");
    }

    private static List<Path> tempFiles(Path tree) throws IOException {
        try (Stream<Path> s = Files.walk(tree)) {
            return s.filter(p -> p.getFileName().toString().startsWith(AtomicReplace.TEMP_PREFIX)
                    && p.getFileName().toString().endsWith(AtomicReplace.TEMP_SUFFIX)).toList();
        }
    }

    /** Runs the first file of every runnable kind inside the NixOS-like root. */
    private static void runSomeInTheRoot(Path tree, Map<String, ForeignBinaries.Kind> elves) {
        Set<String> ran = new TreeSet<>();
        elves.forEach((file, kind) -> {
            if (kind.runnable() && ran.add(kind.fileName())) {
                List<String> command = new ArrayList<>(List.of("/" + nix.root().relativize(tree.resolve(file))));
                command.addAll(kind.args());
                Processes.Result r = nix.chroot(command.toArray(String[]::new));
                assertEquals(0, r.exit(), file + " does not run in the root: " + r.err());
                assertTrue(r.out().startsWith(kind.outputPrefix()), file + " printed " + r.out());
            }
        });
        assertEquals(Set.of("hello", "hello-nopie", "protoc", "sigmask"), ran);
    }

    /** {used before a collection at its peak, committed at its peak, collections} in bytes from a -Xlog:gc file. */
    static long[] heapPeak(Path gcLog) throws IOException {
        long used = 0;
        long committed = 0;
        long collections = 0;
        for (String line : Files.readAllLines(gcLog)) {
            Matcher m = GC_LINE.matcher(line);
            if (m.find()) {
                collections++;
                used = Math.max(used, bytes(m.group(1), m.group(2)));
                committed = Math.max(committed, bytes(m.group(5), m.group(6)));
            }
        }
        return new long[] {used, committed, collections};
    }

    private static long bytes(String number, String unit) {
        long n = Long.parseLong(number);
        return switch (unit) {
            case "K" -> n << 10;
            case "M" -> n << 20;
            default -> n << 30;
        };
    }

    private static String tail(Path file) throws IOException {
        if (!Files.exists(file)) {
            return "(none)";
        }
        List<String> lines = Files.readAllLines(file);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
    }

    private static long statusKb(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
