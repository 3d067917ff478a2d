package dev.elfmend.fixup;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;
import java.util.TreeSet;

/**
 * Garbage-collector roots for the store paths patched files depend on: one symlink per store path in
 * a directory under the root's {@code nix/var/nix/gcroots}, pointing at the path as seen inside the
 * root. Syncing adds what is missing and removes what no patched file needs any more.
 */
public final class GcRoots {

    private final Path directory;
    private final String storeDir;

    public GcRoots(Path directory, String storeDir) {
        this.directory = directory;
        this.storeDir = storeDir;
    }

    public Path directory() {
        return directory;
    }

    /** Makes the roots exactly {@code storePaths}; returns {added, removed}. */
    public int[] sync(Set<String> storePaths) throws IOException {
        if (storePaths.isEmpty() && !Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
            return new int[] {0, 0}; // nothing to root: leave a root without Nix state as it is
        }
        Files.createDirectories(directory);
        Set<String> present = new TreeSet<>();
        int removed = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (!Files.isSymbolicLink(p)) {
                    continue; // not ours: never touched
                }
                if (storePaths.contains(name)) {
                    present.add(name);
                } else {
                    Files.delete(p);
                    removed++;
                }
            }
        }
        int added = 0;
        for (String base : storePaths) {
            if (present.contains(base)) {
                continue;
            }
            Path link = directory.resolve(base);
            Path temp = directory.resolve(AtomicReplace.TEMP_PREFIX + base + AtomicReplace.TEMP_SUFFIX);
            Files.deleteIfExists(temp);
            Files.createSymbolicLink(temp, Path.of(storeDir, base));
            Files.move(temp, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            added++;
        }
        return new int[] {added, removed};
    }

    public Set<String> current() throws IOException {
        Set<String> out = new TreeSet<>();
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
            return out;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path p : entries) {
                if (Files.isSymbolicLink(p)) {
                    out.add(p.getFileName().toString());
                }
            }
        }
        return out;
    }
}
