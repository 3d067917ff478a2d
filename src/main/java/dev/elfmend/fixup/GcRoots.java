package dev.elfmend.fixup;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;

/**
 * Garbage-collector roots for the store paths patched files depend on: one symlink per store path in
 * a directory under the root's {@code nix/var/nix/gcroots}, pointing at the path as seen inside the
 * root. Syncing adds what is missing and removes what no patched file needs any more. Links are made
 * and removed relative to the directory held open, reached from the root without following links: a
 * container whose {@code nix/var/nix/gcroots} is a link to the host's {@code /etc} cannot make elfmend
 * delete the host's symlinks there.
 */
public final class GcRoots {

    private final Path root;
    private final Path directory;
    private final String storeDir;

    /** Roots in {@code directory} as named (links on the way to it are the caller's choice). */
    public GcRoots(Path directory, String storeDir) {
        this(null, directory, storeDir);
    }

    /** Roots in {@code directory}; below {@code root} (the tree elfmend works on) no link is followed. */
    public GcRoots(Path root, Path directory, String storeDir) {
        this.root = root;
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
        Set<String> present = new TreeSet<>();
        int removed = 0;
        int added = 0;
        try (OpenDirectory dir = OpenDirectory.reach(root, directory, 0755);
             DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                byte[] bytes = FileNames.lastName(p);
                if (!dir.stat(bytes, p).isSymbolicLink()) {
                    continue; // not ours: never touched
                }
                if (storePaths.contains(name)) {
                    present.add(name);
                } else if (dir.unlink(bytes, p)) {
                    removed++;
                }
            }
            for (String base : storePaths) {
                if (!present.contains(base)) {
                    add(dir, base);
                    added++;
                }
            }
        }
        return new int[] {added, removed};
    }

    /** A new root appears whole: made under a temp name, then renamed into place. */
    private void add(OpenDirectory dir, String base) throws IOException {
        Path link = directory.resolve(base);
        String tempName = AtomicReplace.TEMP_PREFIX + base + AtomicReplace.TEMP_SUFFIX;
        Path temp = directory.resolve(tempName);
        byte[] tempBytes = tempName.getBytes(StandardCharsets.UTF_8);
        dir.unlink(tempBytes, temp);
        dir.symlink((storeDir + "/" + base).getBytes(StandardCharsets.UTF_8), tempBytes, temp);
        dir.renameTo(tempBytes, dir, base.getBytes(StandardCharsets.UTF_8), link);
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
