package dev.elfmend.fixup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.NixRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GC roots: one symlink per store path in use, made and released by sync; nix-store --gc honours them. */
class GcRootsTest {

    private static final String A = "0123456789abcdfghijklmnpqrsvwxyz-glibc-2.40";
    private static final String B = "1123456789abcdfghijklmnpqrsvwxyz-gcc-13-lib";

    @TempDir
    Path dir;

    @Test
    void syncMakesTheRootsExactlyTheGivenPathsAndLeavesOtherFilesAlone() throws IOException {
        Path roots = dir.resolve("gcroots/elfmend");
        GcRoots gc = new GcRoots(roots, "/nix/store");

        assertArrayEquals(new int[] {2, 0}, gc.sync(Set.of(A, B)));
        assertEquals(Path.of("/nix/store/" + A), Files.readSymbolicLink(roots.resolve(A)));
        Files.writeString(roots.resolve("README"), "not a root");
        assertArrayEquals(new int[] {0, 0}, gc.sync(Set.of(A, B)));
        assertArrayEquals(new int[] {0, 1}, gc.sync(Set.of(B)));

        assertEquals(Set.of(B), gc.current());
        assertTrue(Files.isRegularFile(roots.resolve("README")));
        try (var s = Files.list(roots)) {
            assertEquals(2, s.count(), "no temp links left behind");
        }
    }

    @Test
    void nothingToRootCreatesNothing() throws IOException {
        Path roots = dir.resolve("nix/var/nix/gcroots/elfmend");

        assertArrayEquals(new int[] {0, 0}, new GcRoots(roots, "/nix/store").sync(Set.of()));
        assertFalse(Files.exists(dir.resolve("nix")));
    }

    @Test
    void nixGarbageCollectionKeepsExactlyWhatIsRooted() throws IOException {
        NixRoot nix = NixRoot.create(dir.resolve("nix"));
        GcRoots gc = new GcRoots(nix.host("/nix/var/nix/gcroots/elfmend"), NixRoot.STORE_DIR);

        gc.sync(Set.of(nix.glibc()));
        nix.gc();
        assertTrue(nix.exists(nix.glibc()));
        assertFalse(nix.exists(nix.gccLib()));

        gc.sync(Set.of());
        nix.gc();
        assertFalse(nix.exists(nix.glibc()));
    }
}
