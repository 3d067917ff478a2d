package dev.elfmend.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.Fixtures.Variant;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Readelf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code elfmend patchelf} front end itself: argument forms, exit statuses and messages, several files,
 * --output, symlinks named on the command line, and the promise that a call that changes nothing leaves the
 * file alone however it is named.
 */
class PatchelfCommandTest {

    private static final String NIX_RPATH = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz1-gcc-13.3.0-lib/lib";

    @Test
    void versionNamesThePatchelfItFollows() {
        Processes.Result r = Patchelf.elfmend("--version");
        assertEquals(0, r.exit());
        assertTrue(r.out().startsWith("patchelf 0.18"), r.out());
    }

    @Test
    void missingFilenameFailsLikePatchelf() {
        Processes.Result ours = Patchelf.elfmend("--print-rpath");
        assertEquals(Patchelf.debian("--print-rpath").exit(), ours.exit());
        assertTrue(ours.err().contains("missing filename"), ours.err());
    }

    /**
     * Deliberate difference: patchelf takes an unknown option for a file name and fails with "No such file";
     * we fail with a usage error (exit 2) that names the option. Both fail.
     */
    @Test
    void unknownOptionIsAUsageError(@TempDir Path dir) throws IOException {
        Path exe = copy(Fixtures.compile("hello", Variant.PIE), dir);
        Processes.Result ours = Patchelf.elfmend("--set-rpathh", "/x", exe.toString());
        assertEquals(ExitCodes.USAGE, ours.exit());
        assertTrue(ours.err().contains("--set-rpathh"), ours.err());
        assertNotEquals(0, Patchelf.debian("--set-rpathh", "/x", exe.toString()).exit());
    }

    @Test
    void notAnElfFileFailsNamingTheFileAndLeavesIt(@TempDir Path dir) throws IOException {
        Path text = Files.writeString(dir.resolve("script.sh"), "#!/bin/sh\necho hi\n");
        Processes.Result ours = Patchelf.elfmend("--set-rpath", "/x", text.toString());
        assertEquals(1, ours.exit());
        assertEquals(Patchelf.debian("--set-rpath", "/x", text.toString()).exit(), ours.exit());
        assertTrue(ours.err().contains(text.toString()), ours.err());
        assertEquals("#!/bin/sh\necho hi\n", Files.readString(text));
    }

    @Test
    void missingFileFailsNamingIt(@TempDir Path dir) {
        Processes.Result ours = Patchelf.elfmend("--print-rpath", dir.resolve("nothere").toString());
        assertEquals(1, ours.exit());
        assertTrue(ours.err().contains("nothere"), ours.err());
    }

    @Test
    void severalFilesAreEachPatchedAndPrinted(@TempDir Path dir) throws IOException {
        Path a = copy(Fixtures.compile("hello", Variant.PIE), dir.resolve("a"));
        Path b = copy(Fixtures.compile("greet", Variant.SHARED), dir.resolve("b"));
        assertEquals(0, Patchelf.elfmend("--set-rpath", NIX_RPATH, a.toString(), b.toString()).exit());
        assertEquals(NIX_RPATH, Readelf.dynamic(a).runpath().orElseThrow());
        assertEquals(NIX_RPATH, Readelf.dynamic(b).runpath().orElseThrow());

        List<String> print = List.of("--print-rpath", "--print-needed", a.toString(), b.toString());
        assertEquals(Patchelf.debian(print).out(), Patchelf.elfmend(print).out());
    }

    @Test
    void outputLeavesTheInputAndIsRefusedForSeveralInputs(@TempDir Path dir) throws IOException {
        Path exe = copy(Fixtures.compile("hello", Variant.NO_PIE), dir);
        byte[] before = Files.readAllBytes(exe);
        Path out = dir.resolve("out");

        assertEquals(0, Patchelf.elfmend("--set-rpath", NIX_RPATH, "--output", out.toString(), exe.toString()).exit());
        assertArrayEquals(before, Files.readAllBytes(exe));
        assertEquals(NIX_RPATH, Readelf.dynamic(out).runpath().orElseThrow());
        assertEquals(Fixtures.HELLO_OUTPUT, Processes.runOk(out.toString()).out());

        Processes.Result two = Patchelf.elfmend("--set-rpath", "/x", "--output", out.toString(), exe.toString(),
                exe.toString());
        assertEquals(1, two.exit());
        assertTrue(two.err().contains("single input file"), two.err());
    }

    /** Like patchelf: a symlink on the command line names the file to edit; the link itself stays a link. */
    @Test
    void symlinkOnTheCommandLineEditsItsTarget(@TempDir Path dir) throws IOException {
        Path exe = copy(Fixtures.compile("hello", Variant.PIE), dir);
        Path link = Files.createSymbolicLink(dir.resolve("link"), exe.getFileName());
        Path theirs = copy(exe, dir.resolve("theirs"));
        Path theirLink = Files.createSymbolicLink(dir.resolve("theirs/link"), theirs.getFileName());

        assertEquals(0, Patchelf.elfmend("--set-rpath", NIX_RPATH, link.toString()).exit());
        assertEquals(0, Patchelf.debian("--set-rpath", NIX_RPATH, theirLink.toString()).exit());

        assertTrue(Files.isSymbolicLink(link));
        assertTrue(Files.isSymbolicLink(theirLink), "patchelf also writes through the link");
        assertEquals(NIX_RPATH, Readelf.dynamic(exe).runpath().orElseThrow());
        assertEquals(NIX_RPATH, Readelf.dynamic(theirs).runpath().orElseThrow());
    }

    /** However the file is named (relative, through a link), a call that changes nothing touches nothing. */
    @Test
    void callThatChangesNothingLeavesTheFileAlone(@TempDir Path dir) throws IOException {
        Path exe = copy(Fixtures.compile("hello", Variant.RUNPATH), dir);
        Path link = Files.createSymbolicLink(dir.resolve("link"), exe.getFileName());
        String interpreter = Readelf.programHeaders(exe).interpreter().orElseThrow();
        Map<String, Object> before = Files.readAttributes(exe, "unix:ino,lastModifiedTime,ctime");
        String relative = Path.of("").toAbsolutePath().relativize(exe).toString();

        for (String name : List.of(exe.toString(), relative, link.toString())) {
            Processes.Result r = Patchelf.elfmend("--set-interpreter", interpreter, "--set-rpath",
                    Fixtures.SEARCH_PATH, "--add-needed", "libc.so.6", name);
            assertEquals(0, r.exit(), r.err());
            assertEquals(before, Files.readAttributes(exe, "unix:ino,lastModifiedTime,ctime"), name);
        }
    }

    @Test
    void replaceVersionNeedWarnsThatItIsDangerous(@TempDir Path dir) throws IOException {
        Path exe = copy(Fixtures.glibcVersioned(), dir);
        Processes.Result r = Patchelf.elfmend("--replace-version-need", "libc.so.6", "GLIBC_2.32", "GLIBC_2.2.5",
                exe.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("warning") && r.err().contains("version"), r.err());
        assertEquals(List.of("GLIBC_2.2.5", "GLIBC_2.2.5", "GLIBC_2.34"), Readelf.versionNeeds(exe).stream()
                .filter(n -> n.file().equals("libc.so.6")).findFirst().orElseThrow().names());

        Processes.Result unknown = Patchelf.elfmend("--replace-version-need", "libc.so.6", "GLIBC_7.0", "X",
                exe.toString());
        assertEquals(1, unknown.exit());
        assertTrue(unknown.err().contains("GLIBC_7.0"), unknown.err());
    }

    @Test
    void pageSizeMustBeAPowerOfTwo(@TempDir Path dir) throws IOException {
        Path exe = copy(Fixtures.compile("hello", Variant.PIE), dir);
        byte[] before = Files.readAllBytes(exe);
        Processes.Result r = Patchelf.elfmend("--page-size", "3000", "--set-rpath", NIX_RPATH, exe.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("power of two"), r.err());
        assertArrayEquals(before, Files.readAllBytes(exe));

        assertEquals(0, Patchelf.elfmend("--page-size", "65536", "--set-rpath", NIX_RPATH, exe.toString()).exit());
        List<Readelf.Segment> loads = Readelf.programHeaders(exe).ofType("LOAD");
        assertEquals(65536, loads.getLast().align(), "the added segment is aligned to the page size asked for");
        assertEquals(Fixtures.HELLO_OUTPUT, Processes.runOk(exe.toString()).out());
    }

    /** patchelf sets a soname only on ET_DYN; for an executable it is silently ignored, and so here. */
    @Test
    void setSonameOnAnExecutableIsIgnoredLikePatchelf(@TempDir Path dir) throws IOException {
        Path exe = copy(Fixtures.compile("hello", Variant.NO_PIE), dir);
        byte[] before = Files.readAllBytes(exe);
        assertEquals(0, Patchelf.elfmend("--set-soname", "libx.so", exe.toString()).exit());
        assertArrayEquals(before, Files.readAllBytes(exe));
    }

    private static Path copy(Path file, Path dir) throws IOException {
        return PatchelfDifferentialTest.copy(file, dir);
    }
}
