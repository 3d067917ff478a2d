package dev.elfmend.fixup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.elf.Binaries;
import dev.elfmend.elf.ElfEdits;
import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.Fixtures.Variant;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Readelf;
import dev.elfmend.testing.RegistryBinaries;
import dev.elfmend.testing.Requirements;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Patching files on disk: the result is what was asked and runs, the file's identity (mode, owner, group) is
 * kept, a no-op touches nothing at all, symlinks are refused, a running program can be patched, and a file
 * replaced by someone else while we worked is patched again from its new content.
 */
class ElfPatcherTest {

    private static final String NIX_RPATH = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz1-gcc-13.3.0-lib/lib";

    @Test
    void editThatChangesNothingTouchesNothing(@TempDir Path dir) throws IOException {
        Path exe = Binaries.copy(Fixtures.compile("hello", Variant.RUNPATH), dir.resolve("bin"));
        String attributes = "unix:ino,size,lastModifiedTime,ctime,mode";
        Map<String, Object> before = Files.readAttributes(exe, attributes);
        Map<String, Object> dirBefore = Files.readAttributes(exe.getParent(), attributes);
        byte[] bytes = Files.readAllBytes(exe);

        ElfPatcher.Result result = new ElfPatcher(null).patch(exe, ElfEdits.builder()
                .interpreter(Readelf.programHeaders(exe).interpreter().orElseThrow())
                .runPath(Fixtures.SEARCH_PATH).addNeeded("libc.so.6").removeNeeded("libnone.so").build());

        assertFalse(result.changed());
        assertArrayEquals(bytes, Files.readAllBytes(exe));
        assertEquals(before, Files.readAttributes(exe, attributes), "same file, same mtime and ctime");
        assertEquals(dirBefore, Files.readAttributes(exe.getParent(), attributes), "not even a temp file was made");
    }

    @ParameterizedTest(name = "mode {0}")
    @ValueSource(ints = {0755, 0700, 0555, 04711})
    void modeIsKept(int mode, @TempDir Path dir) throws IOException {
        Path exe = Binaries.copy(Fixtures.compile("hello", Variant.PIE), dir);
        Files.setAttribute(exe, "unix:mode", mode);

        ElfPatcher.Result result = new ElfPatcher(null).patch(exe, ElfEdits.builder().runPath(NIX_RPATH).build());

        assertTrue(result.changed());
        assertEquals(mode, (int) Files.getAttribute(exe, "unix:mode") & 07777);
        assertEquals(NIX_RPATH, Readelf.dynamic(exe).runpath().orElseThrow());
    }

    @Test
    void ownerAndGroupAreKept(@TempDir Path dir) throws IOException {
        Requirements.requireRoot();
        Path exe = Binaries.copy(Fixtures.compile("hello", Variant.NO_PIE), dir);
        Files.setAttribute(exe, "unix:uid", 4321);
        Files.setAttribute(exe, "unix:gid", 8765);
        Files.setAttribute(exe, "unix:mode", 0750);

        new ElfPatcher(null).patch(exe, ElfEdits.builder().runPath(NIX_RPATH).addNeeded("libm.so.6").build());

        Map<String, Object> a = Files.readAttributes(exe, "unix:uid,gid,mode");
        assertEquals(4321, a.get("uid"));
        assertEquals(8765, a.get("gid"));
        assertEquals(0750, (int) a.get("mode") & 07777);
        assertEquals(Fixtures.HELLO_OUTPUT, Binaries.run(exe).out());
    }

    @Test
    void symlinkIsRefusedAndItsTargetUntouched(@TempDir Path dir) throws IOException {
        Path exe = Binaries.copy(Fixtures.compile("hello", Variant.PIE), dir);
        byte[] bytes = Files.readAllBytes(exe);
        Object mtime = Files.getLastModifiedTime(exe);
        Path link = Files.createSymbolicLink(dir.resolve("link"), exe);

        IOException e = assertThrows(IOException.class, () -> new ElfPatcher(null).patch(link,
                ElfEdits.builder().runPath(NIX_RPATH).build()));

        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertArrayEquals(bytes, Files.readAllBytes(exe));
        assertEquals(mtime, Files.getLastModifiedTime(exe));
        assertTrue(Files.isSymbolicLink(link));
        AtomicReplaceTest.assertNoTempFiles(dir);
    }

    @Test
    void outputFileGetsTheEditAndTheSourceStays(@TempDir Path dir) throws IOException {
        Path exe = Binaries.copy(Fixtures.compile("hello", Variant.PIE), dir);
        byte[] bytes = Files.readAllBytes(exe);
        Path out = dir.resolve("patched");

        new ElfPatcher(null).patch(exe, out, ElfEdits.builder().runPath(NIX_RPATH).build());

        assertArrayEquals(bytes, Files.readAllBytes(exe));
        assertEquals(NIX_RPATH, Readelf.dynamic(out).runpath().orElseThrow());
        assertEquals(Fixtures.HELLO_OUTPUT, Binaries.run(out).out());
    }

    /**
     * A program that is running (cat, blocked reading its stdin) is patched: writing to its file would fail
     * with ETXTBSY, replacing it does not; the running process carries on and new runs use the new file.
     */
    @Test
    void runningExecutableIsPatchedWithoutTextFileBusy(@TempDir Path dir) throws Exception {
        Path cat = Binaries.copy(Path.of("/bin/cat").toRealPath(), dir.resolve("bin"));
        Path loader = Binaries.hostLoaderCopy(cat, Binaries.longDirectory(dir.resolve("loader"), 150));
        Process running = new ProcessBuilder(cat.toString()).start();
        try {
            waitUntilExecuting(running, cat);
            FileSystemException busy = assertThrows(FileSystemException.class,
                    () -> FileChannel.open(cat, StandardOpenOption.WRITE).close());
            assertTrue(String.valueOf(busy.getReason()).contains("busy"), busy.toString());

            ElfPatcher.Result result = new ElfPatcher(null).patch(cat, ElfEdits.builder()
                    .interpreter(loader.toString()).runPath(NIX_RPATH).build());
            assertTrue(result.changed());

            OutputStream stdin = running.getOutputStream();
            stdin.write("still running\n".getBytes(StandardCharsets.UTF_8));
            stdin.flush();
            BufferedReader stdout = new BufferedReader(new InputStreamReader(running.getInputStream(),
                    StandardCharsets.UTF_8));
            assertEquals("still running", stdout.readLine());
            stdin.close();
            assertTrue(running.waitFor(10, TimeUnit.SECONDS));
            assertEquals(0, running.exitValue());
        } finally {
            running.destroyForcibly();
        }
        assertEquals(loader.toString(), Readelf.programHeaders(cat).interpreter().orElseThrow());
        Path input = Files.writeString(dir.resolve("input"), "new run\n");
        Processes.Result again = Binaries.run(cat, input.toString());
        assertEquals("new run\n", again.out(), again.err());
    }

    /**
     * Someone replaces the file after we read it and before our rename: the patcher notices, starts over from
     * the new content, and the result is the new content patched, not the old one (a lost update).
     */
    @Test
    void fileReplacedWhileBeingPatchedIsPatchedAgainFromItsNewContent(@TempDir Path dir) throws IOException {
        Path exe = Binaries.copy(Fixtures.compile("hello", Variant.PIE), dir.resolve("bin"));
        Path replacement = Fixtures.compile("hello", Variant.RPATH);
        AtomicInteger attempts = new AtomicInteger();
        ElfPatcher patcher = new ElfPatcher(null, (source, copy) -> {
            if (attempts.incrementAndGet() == 1) {
                Path staged = Files.copy(replacement, dir.resolve("staged"), StandardCopyOption.COPY_ATTRIBUTES);
                Files.move(staged, source, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        });

        ElfPatcher.Result result = patcher.patch(exe, ElfEdits.builder().addNeeded("libm.so.6").build());

        assertEquals(2, attempts.get());
        assertTrue(result.changed());
        Readelf.Dynamic dynamic = Readelf.dynamic(exe);
        assertEquals(List.of("libm.so.6", "libc.so.6"), dynamic.needed());
        assertEquals(Fixtures.SEARCH_PATH, dynamic.rpath().orElseThrow(), "the replacement's content, patched");
        AtomicReplaceTest.assertNoTempFiles(exe.getParent());
    }

    @Test
    void fileThatKeepsChangingIsGivenUpOnWithTheOtherWritersContentKept(@TempDir Path dir) throws IOException {
        Path exe = Binaries.copy(Fixtures.compile("hello", Variant.PIE), dir.resolve("bin"));
        AtomicInteger attempts = new AtomicInteger();
        ElfPatcher patcher = new ElfPatcher(null, (source, copy) -> {
            attempts.incrementAndGet();
            Files.setLastModifiedTime(source, java.nio.file.attribute.FileTime.fromMillis(attempts.get() * 1000L));
        });

        assertThrows(AtomicReplace.ConcurrentChangeException.class, () -> patcher.patch(exe,
                ElfEdits.builder().runPath(NIX_RPATH).build()));

        assertEquals(3, attempts.get());
        assertTrue(Readelf.dynamic(exe).runpath().isEmpty());
        assertArrayEquals(Files.readAllBytes(Fixtures.compile("hello", Variant.PIE)), Files.readAllBytes(exe));
        AtomicReplaceTest.assertNoTempFiles(exe.getParent());
    }

    @Test
    void temporaryDirectoryIsUsedAndLeftEmpty(@TempDir Path dir) throws IOException {
        Path exe = Binaries.copy(Fixtures.compile("hello", Variant.PIE), dir.resolve("tree/sub"));
        Path temps = dir.resolve(".elfmend-work");
        AtomicInteger seen = new AtomicInteger();
        ElfPatcher patcher = new ElfPatcher(temps, (source, copy) -> {
            try (var files = Files.list(temps)) {
                seen.addAndGet((int) files.count());
            }
            try (var files = Files.list(exe.getParent())) {
                assertEquals(1, files.count(), "nothing is added beside the file while working");
            }
        });

        patcher.patch(exe, ElfEdits.builder().runPath(NIX_RPATH).build());

        assertEquals(1, seen.get(), "the temp file lived in the temp directory");
        AtomicReplaceTest.assertNoTempFiles(temps);
        assertEquals(Fixtures.HELLO_OUTPUT, Binaries.run(exe).out());
    }

    /**
     * Memory does not grow with file size: node (125 MB) is patched, then patched again (which rebuilds the
     * segment holding its 7.8 MB string table), by an elfmend JVM whose heap is far smaller than the file.
     */
    @Test
    void nodeIsPatchedWithAHeapMuchSmallerThanTheFile(@TempDir Path dir) throws Exception {
        Path node = Binaries.copy(RegistryBinaries.nodeLinux("x64"), dir);
        List<String> heap = List.of("-Xmx40m");
        String store = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz0-glibc-2.40-66";

        Process first = CrashSafetyTest.runElfmend(heap, List.of("--set-interpreter",
                store + "/lib/ld-linux-x86-64.so.2", "--set-rpath", store + "/lib"), node);
        assertEquals(0, first.waitFor(), "first patch within " + heap);
        Process second = CrashSafetyTest.runElfmend(heap, List.of("--set-rpath", store + "/lib:/more",
                "--add-needed", "libm.so.6"), node);
        assertEquals(0, second.waitFor(), "second patch within " + heap);

        assertEquals(store + "/lib:/more", Readelf.dynamic(node).runpath().orElseThrow());
        assertTrue(Files.size(node) > 3 * 40 * 1024 * 1024);
    }

    private static void waitUntilExecuting(Process process, Path file) throws Exception {
        Path exe = Path.of("/proc", Long.toString(process.pid()), "exe");
        for (int i = 0; i < 500; i++) {
            try {
                if (Files.readSymbolicLink(exe).equals(file)) {
                    return;
                }
            } catch (IOException notYet) {
                // the process is still being set up
            }
            Thread.sleep(10);
        }
        throw new AssertionError(file + " did not start");
    }
}
