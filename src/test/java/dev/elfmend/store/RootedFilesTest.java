package dev.elfmend.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Paths inside a root resolve the way the loader inside it would see them, never leaving the root. */
class RootedFilesTest {

    @Test
    void absoluteLinkTargetsAreTakenRelativeToTheRoot(@TempDir Path root) throws IOException {
        Path lib = Files.createDirectories(root.resolve("nix/store/0123456789abcdfghijklmnpqrsvwxyz-glibc-2.40/lib"));
        Files.writeString(lib.resolve("libc.so.6"), "x");
        Files.createDirectories(root.resolve("lib64"));
        Files.createSymbolicLink(root.resolve("lib64/ld.so"),
                Path.of("/nix/store/0123456789abcdfghijklmnpqrsvwxyz-glibc-2.40/lib/libc.so.6"));
        Files.createSymbolicLink(root.resolve("run"), Path.of("lib64"));

        assertEquals(lib.resolve("libc.so.6"), RootedFiles.resolve(root, "/run/ld.so"));
        assertEquals("/nix/store/0123456789abcdfghijklmnpqrsvwxyz-glibc-2.40/lib/libc.so.6",
                RootedFiles.resolveInRoot(root, "/lib64/../run/./ld.so"));
    }

    @Test
    void nothingResolvesOutsideTheRoot(@TempDir Path dir) throws IOException {
        Path root = Files.createDirectories(dir.resolve("root"));
        Files.writeString(dir.resolve("secret"), "host file");
        Files.createSymbolicLink(root.resolve("up"), Path.of("../../../secret"));
        Files.createSymbolicLink(root.resolve("abs"), dir.resolve("secret"));
        Files.createSymbolicLink(root.resolve("loop"), Path.of("loop"));

        assertNull(RootedFiles.resolve(root, "/up"));
        assertNull(RootedFiles.resolve(root, "/abs"));
        assertNull(RootedFiles.resolve(root, "/../secret"));
        assertNull(RootedFiles.resolve(root, "/loop"));
        assertNull(RootedFiles.inRoot(root, dir.resolve("secret")));
        assertEquals("/a/b", RootedFiles.inRoot(root, root.resolve("a/b")));
    }
}
