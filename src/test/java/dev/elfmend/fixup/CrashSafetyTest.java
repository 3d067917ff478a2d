package dev.elfmend.fixup;

import dev.elfmend.testing.Digests;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.elf.Binaries;
import dev.elfmend.elf.ByteSources;
import dev.elfmend.elf.ElfEdits;
import dev.elfmend.elf.ElfFile;
import dev.elfmend.elf.ElfReader;
import dev.elfmend.elf.ElfRewriter;
import dev.elfmend.elf.Rewrite;
import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.Fixtures.Variant;
import dev.elfmend.testing.RegistryBinaries;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A patch interrupted at any point leaves the original intact: a failure injected after each operation of a
 * real rewrite, a failure just before the rename, and elfmend killed with SIGKILL at spread-out moments
 * while patching node. After every interruption the file is either the original or the finished result,
 * byte for byte, and no temp file is left (or, after a kill, the start-up cleanup removes it).
 */
class CrashSafetyTest {

    private static final String NIX_LOADER =
            "/nix/store/0123456789abcdfghijklmnpqrsvwxyz0-glibc-2.40-66/lib/ld-linux-x86-64.so.2";
    private static final String NIX_RPATH = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz1-gcc-13.3.0-lib/lib"
            + ":/nix/store/0123456789abcdfghijklmnpqrsvwxyz0-glibc-2.40-66/lib";

    /** Thrown by the injected failure, so the test knows the failure it sees is its own. */
    private static final class Injected extends IOException {
        private static final long serialVersionUID = 1L;

        Injected(int index) {
            super("injected failure after op " + index);
        }
    }

    static Stream<Arguments> growingEdits() {
        return Stream.of(
                Arguments.of(Variant.PIE, ElfEdits.builder().interpreter(NIX_LOADER).runPath(NIX_RPATH)
                        .addNeeded("libm.so.6").build()),
                Arguments.of(Variant.NO_PIE, ElfEdits.builder().interpreter(NIX_LOADER).runPath(NIX_RPATH).build()),
                Arguments.of(Variant.PIE_32, ElfEdits.builder().runPath(NIX_RPATH).replaceNeeded("libc.so.6",
                        "libc.so.6.renamed").build()),
                Arguments.of(Variant.RPATH, ElfEdits.builder().runPath("/short").build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("growingEdits")
    void failureAfterAnyOperationLeavesTheOriginal(Variant variant, ElfEdits edits, @TempDir Path dir)
            throws IOException {
        Path exe = Binaries.copy(Fixtures.compile("hello", variant), dir);
        byte[] original = Files.readAllBytes(exe);
        Map<String, Object> identity = Files.readAttributes(exe, "unix:ino,lastModifiedTime,ctime,mode");
        Rewrite rewrite;
        try (FileChannel ch = FileChannel.open(exe)) {
            ElfFile elf = ElfReader.read(ByteSources.of(ch));
            rewrite = ElfRewriter.plan(elf, ByteSources.of(ch), edits);
        }
        assertTrue(rewrite.ops().size() >= 2, "a rewrite with several operations: " + rewrite.ops().size());

        for (int failAt = 0; failAt <= rewrite.ops().size(); failAt++) {
            List<Rewrite.Op> done = rewrite.ops().subList(0, failAt);
            Rewrite partial = new Rewrite(rewrite.newSize(), done, rewrite.changes(), rewrite.grew(),
                    rewrite.expected());
            int index = failAt;
            IOException e = assertThrows(IOException.class, () -> AtomicReplace.replace(exe, exe, null,
                    (in, copy) -> {
                        ElfPatcher.apply(partial, in, copy);
                        throw new Injected(index);
                    }));
            // Stopping short of the planned size is itself caught before anything is renamed.
            assertTrue(e instanceof Injected || e.getMessage().contains("planned"), e.toString());
            assertArrayEquals(original, Files.readAllBytes(exe), "after op " + failAt);
            assertEquals(identity, Files.readAttributes(exe, "unix:ino,lastModifiedTime,ctime,mode"));
            AtomicReplaceTest.assertNoTempFiles(dir);
        }
    }

    /** The last moment: edited, fsynced and verified, then a failure before the rename. */
    @Test
    void failureJustBeforeTheRenameLeavesTheOriginal(@TempDir Path dir) throws IOException {
        Path exe = Binaries.copy(Fixtures.compile("hello", Variant.PIE), dir);
        byte[] original = Files.readAllBytes(exe);
        ElfPatcher patcher = new ElfPatcher(null, (source, copy) -> {
            throw new IOException("disk full, say");
        });

        assertThrows(IOException.class, () -> patcher.patch(exe, ElfEdits.builder().interpreter(NIX_LOADER)
                .runPath(NIX_RPATH).build()));

        assertArrayEquals(original, Files.readAllBytes(exe));
        AtomicReplaceTest.assertNoTempFiles(dir);
    }

    /**
     * {@code elfmend patchelf} on node (125 MB) in its own JVM, killed with SIGKILL while its temp file exists
     * (the copy, the edit, the fsync, the check before the rename), at delays spread over that window: the file
     * is the original or the finished result, never anything in between.
     */
    @Test
    void killedAtAnyMomentLeavesTheOriginalOrTheResult(@TempDir Path dir) throws Exception {
        Path node = RegistryBinaries.nodeLinux("x64");
        Path work = Files.createDirectories(dir.resolve("work"));
        Path file = work.resolve("node");
        List<String> args = List.of("--set-interpreter", NIX_LOADER, "--set-rpath", NIX_RPATH);

        Files.copy(node, file);
        String originalHash = sha256(file);
        Process first = runElfmend(args, file);
        long appeared = waitForTempFile(work, first);
        while (tempFileExists(work)) {
            Thread.sleep(1);
        }
        long window = Math.max(1, (System.nanoTime() - appeared) / 1_000_000);
        assertEquals(0, first.waitFor(), "the uninterrupted run succeeds");
        String patchedHash = sha256(file);
        assertTrue(!patchedHash.equals(originalHash), "the edit changes the file");

        List<String> seen = new ArrayList<>();
        int killedMidWrite = 0;
        for (int i = 0; i < 8; i++) {
            Files.copy(node, file, StandardCopyOption.REPLACE_EXISTING);
            Process process = runElfmend(args, file);
            waitForTempFile(work, process);
            long delay = window * i / 8;
            Thread.sleep(delay);
            process.destroyForcibly(); // SIGKILL
            assertTrue(process.waitFor(30, TimeUnit.SECONDS));
            String hash = sha256(file);
            assertTrue(hash.equals(originalHash) || hash.equals(patchedHash), "after a kill " + delay
                    + " ms into the write the file is neither the original nor the result");
            boolean midWrite = AtomicReplace.removeStrayTempFiles(work) > 0;
            killedMidWrite += midWrite ? 1 : 0;
            seen.add(delay + "ms:" + (hash.equals(originalHash) ? "original" : "patched")
                    + (midWrite ? "+temp" : ""));
            try (Stream<Path> left = Files.list(work)) {
                assertEquals(List.of(file), left.toList(), "start-up cleanup leaves only the file");
            }
        }
        System.out.println("kills during a " + window + " ms write window patching node: " + seen);
        assertTrue(killedMidWrite >= 4, "most kills must land while the temp file exists: " + seen);
    }

    /** Waits until elfmend's temp file appears in {@code dir}; returns when (System.nanoTime). */
    private static long waitForTempFile(Path dir, Process process) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!tempFileExists(dir)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("no temp file appeared in " + dir + " (exit " + (process.isAlive()
                        ? "still running" : process.exitValue()) + ")");
            }
            Thread.sleep(1);
        }
        return System.nanoTime();
    }

    private static boolean tempFileExists(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(p -> p.getFileName().toString().startsWith(AtomicReplace.TEMP_PREFIX));
        }
    }

    /** {@code elfmend patchelf ARGS FILE} in a JVM of its own, with {@code jvmOptions} (e.g. a heap limit). */
    static Process runElfmend(List<String> jvmOptions, List<String> args, Path file) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.elfmend.cli.Main", "patchelf"));
        command.addAll(args);
        command.add(file.toString());
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static Process runElfmend(List<String> args, Path file) throws IOException {
        return runElfmend(List.of(), args, file);
    }

    private static String sha256(Path file) throws IOException {
        return Digests.sha256(file);
    }
}
