package dev.elfmend.fixup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.Requirements;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The one write path: an edited copy renamed over the original. The original is never written to, so a
 * failure at any point, a symlink, or a concurrent writer leaves it as it was, and no temp file stays behind.
 */
class AtomicReplaceTest {

    private static final byte[] CONTENT = "original content\n".getBytes(StandardCharsets.UTF_8);

    /** Overwrites the first bytes of the copy. */
    private static final AtomicReplace.Editor EDIT = (original, copy) -> copy.write(ByteBuffer.wrap(
            "EDITED".getBytes(StandardCharsets.UTF_8)), 0);

    @ParameterizedTest(name = "mode {0}")
    @ValueSource(ints = {0755, 0700, 0644, 0600, 04755, 02750, 0555})
    void modeIsKept(int mode, @TempDir Path dir) throws IOException {
        Path file = write(dir.resolve("f"), CONTENT);
        Files.setAttribute(file, "unix:mode", mode);

        AtomicReplace.replace(file, file, null, EDIT);

        assertEquals(mode, (int) Files.getAttribute(file, "unix:mode") & 07777);
        assertTrue(Files.readString(file).startsWith("EDITED"));
        assertNoTempFiles(dir);
    }

    @Test
    void ownerAndGroupAreKept(@TempDir Path dir) throws IOException {
        Requirements.requireRoot();
        Path file = write(dir.resolve("f"), CONTENT);
        Files.setAttribute(file, "unix:uid", 12345);
        Files.setAttribute(file, "unix:gid", 23456);
        Files.setAttribute(file, "unix:mode", 04750);

        AtomicReplace.replace(file, file, null, EDIT);

        Map<String, Object> a = Files.readAttributes(file, "unix:uid,gid,mode");
        assertEquals(12345, a.get("uid"));
        assertEquals(23456, a.get("gid"));
        assertEquals(04750, (int) a.get("mode") & 07777, "set-uid survives the chown");
    }

    @Test
    void theFileIsReplacedNotWritten(@TempDir Path dir) throws IOException {
        Path file = write(dir.resolve("f"), CONTENT);
        Path hardLink = Files.createLink(dir.resolve("hard-link"), file);
        Object inode = Files.getAttribute(file, "unix:ino");

        AtomicReplace.replace(file, file, null, EDIT);

        assertNotEquals(inode, Files.getAttribute(file, "unix:ino"));
        assertArrayEquals(CONTENT, Files.readAllBytes(hardLink), "readers holding the old file still see it whole");
    }

    @Test
    void symlinkAtThePathIsRefusedAndItsTargetUntouched(@TempDir Path dir) throws IOException {
        Path target = write(dir.resolve("target"), CONTENT);
        FileTime mtime = Files.getLastModifiedTime(target);
        Path link = Files.createSymbolicLink(dir.resolve("link"), target.getFileName());

        IOException e = assertThrows(IOException.class, () -> AtomicReplace.replace(link, link, null, EDIT));

        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertTrue(Files.isSymbolicLink(link));
        assertArrayEquals(CONTENT, Files.readAllBytes(target));
        assertEquals(mtime, Files.getLastModifiedTime(target));
        assertNoTempFiles(dir);
    }

    @Test
    void symlinkAsOutputIsRefused(@TempDir Path dir) throws IOException {
        Path source = write(dir.resolve("source"), CONTENT);
        Path elsewhere = write(dir.resolve("elsewhere"), CONTENT);
        Path output = Files.createSymbolicLink(dir.resolve("output"), elsewhere);

        assertThrows(IOException.class, () -> AtomicReplace.replace(source, output, null, EDIT));

        assertArrayEquals(CONTENT, Files.readAllBytes(elsewhere));
        assertTrue(Files.isSymbolicLink(output));
        assertNoTempFiles(dir);
    }

    @Test
    void outputGetsTheEditAndTheSourceStays(@TempDir Path dir) throws IOException {
        Path source = write(dir.resolve("source"), CONTENT);
        Files.setAttribute(source, "unix:mode", 0751);
        Path output = dir.resolve("out");

        AtomicReplace.replace(source, output, null, EDIT);

        assertArrayEquals(CONTENT, Files.readAllBytes(source));
        assertTrue(Files.readString(output).startsWith("EDITED"));
        assertEquals(0751, (int) Files.getAttribute(output, "unix:mode") & 07777);
    }

    @Test
    void failingEditorLeavesTheOriginalAsItWas(@TempDir Path dir) throws IOException {
        Path file = write(dir.resolve("f"), CONTENT);
        Map<String, Object> before = Files.readAttributes(file, "unix:ino,lastModifiedTime,ctime,mode");

        IOException e = assertThrows(IOException.class, () -> AtomicReplace.replace(file, file, null,
                (original, copy) -> {
                    EDIT.edit(original, copy);
                    throw new IOException("injected");
                }));
        assertEquals("injected", e.getMessage());
        assertThrows(IllegalStateException.class, () -> AtomicReplace.replace(file, file, null, (original, copy) -> {
            throw new IllegalStateException("unchecked failures too");
        }));

        assertArrayEquals(CONTENT, Files.readAllBytes(file));
        assertEquals(before, Files.readAttributes(file, "unix:ino,lastModifiedTime,ctime,mode"));
        assertNoTempFiles(dir);
    }

    @Test
    void fileReplacedByAnotherWriterMeanwhileIsDetected(@TempDir Path dir) throws IOException {
        Path file = write(dir.resolve("f"), CONTENT);
        byte[] theirs = "written by someone else\n".getBytes(StandardCharsets.UTF_8);

        assertThrows(AtomicReplace.ConcurrentChangeException.class, () -> AtomicReplace.replace(file, file, null,
                (original, copy) -> {
                    EDIT.edit(original, copy);
                    Path other = write(dir.resolve("other"), theirs);
                    Files.move(other, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }));

        assertArrayEquals(theirs, Files.readAllBytes(file), "the other writer's file is not overwritten");
        assertNoTempFiles(dir);
    }

    @Test
    void fileWrittenInPlaceMeanwhileIsDetected(@TempDir Path dir) throws IOException {
        Path file = write(dir.resolve("f"), CONTENT);

        assertThrows(AtomicReplace.ConcurrentChangeException.class, () -> AtomicReplace.replace(file, file, null,
                (original, copy) -> {
                    EDIT.edit(original, copy);
                    Files.write(file, "x".getBytes(StandardCharsets.UTF_8), java.nio.file.StandardOpenOption.APPEND);
                }));

        assertEquals("original content\nx", Files.readString(file));
        assertNoTempFiles(dir);
    }

    @Test
    void modeChangedMeanwhileIsDetected(@TempDir Path dir) throws IOException {
        Path file = write(dir.resolve("f"), CONTENT);
        Files.setAttribute(file, "unix:mode", 0755);

        assertThrows(AtomicReplace.ConcurrentChangeException.class, () -> AtomicReplace.replace(file, file, null,
                (original, copy) -> Files.setAttribute(file, "unix:mode", 0700)));

        assertEquals(0700, (int) Files.getAttribute(file, "unix:mode") & 07777);
        assertArrayEquals(CONTENT, Files.readAllBytes(file));
    }

    @Test
    void tempDirectoryOnAnotherFilesystemIsRefusedWithAReason(@TempDir Path dir) throws IOException {
        Path shm = Path.of("/dev/shm");
        Requirements.require(Files.isDirectory(shm) && !Files.getFileStore(shm).equals(Files.getFileStore(dir)),
                "/dev/shm on another filesystem than " + dir, "mount a tmpfs on /dev/shm");
        Path file = write(dir.resolve("f"), CONTENT);
        Path temps = Files.createTempDirectory(shm, "elfmend-test-");
        try {
            IOException e = assertThrows(IOException.class, () -> AtomicReplace.replace(file, file, temps, EDIT));
            assertTrue(e.getMessage().contains("another filesystem"), e.getMessage());
            assertArrayEquals(CONTENT, Files.readAllBytes(file));
            assertNoTempFiles(temps);
        } finally {
            Files.deleteIfExists(temps);
        }
    }

    @Test
    void strayTempFilesAreRemovedAndNothingElse(@TempDir Path dir) throws IOException {
        write(dir.resolve(".elfmend-0123456789abcdef.tmp"), CONTENT);
        write(dir.resolve(".elfmend-fedcba9876543210.tmp"), CONTENT);
        write(dir.resolve("elfmend-not-hidden.tmp"), CONTENT);
        write(dir.resolve(".elfmend-keep.txt"), CONTENT);
        Files.createDirectory(dir.resolve(".elfmend-dir.tmp"));

        assertEquals(2, AtomicReplace.removeStrayTempFiles(dir));

        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(".elfmend-dir.tmp", ".elfmend-keep.txt", "elfmend-not-hidden.tmp"),
                    left.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void writeCreatesTheFileAtomicallyAndRefusesALink(@TempDir Path dir) throws IOException {
        Path state = dir.resolve("sub/state.json");
        AtomicReplace.write(state, out -> out.write(CONTENT));
        assertArrayEquals(CONTENT, Files.readAllBytes(state));
        AtomicReplace.write(state, out -> out.write("second".getBytes(StandardCharsets.UTF_8)));
        assertEquals("second", Files.readString(state));

        Path link = Files.createSymbolicLink(dir.resolve("link.json"), state);
        assertThrows(IOException.class, () -> AtomicReplace.write(link, out -> out.write(CONTENT)));
        assertEquals("second", Files.readString(state));
        assertThrows(IOException.class, () -> AtomicReplace.write(state, out -> {
            throw new IOException("failed half-way");
        }));
        assertEquals("second", Files.readString(state));
        assertNoTempFiles(state.getParent());
    }

    static Path write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.write(file, bytes);
    }

    static void assertNoTempFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<String> temps = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(AtomicReplace.TEMP_PREFIX) && n.endsWith(AtomicReplace.TEMP_SUFFIX))
                    .toList();
            assertEquals(List.of(), temps, "temp files left in " + dir);
        }
        assertFalse(Files.isSymbolicLink(dir), "checked a real directory");
        assertTrue(Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS));
    }
}
