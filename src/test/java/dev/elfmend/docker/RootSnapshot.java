package dev.elfmend.docker;

import dev.elfmend.testing.Digests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Every file of a running container as seen from the host through {@code /proc/<pid>/root} (the kernel's
 * {@code /proc}, {@code /sys} and {@code /dev} left out): type, mode, owner, size, modification time,
 * and the SHA-256 of regular files and the target of symlinks. Two equal snapshots mean nothing was
 * written, created or removed in between.
 */
record RootSnapshot(Map<String, String> entries) {

    private static final Set<String> KERNEL_TREES = Set.of("proc", "sys", "dev");

    static RootSnapshot of(long containerPid) {
        Path root = Path.of("/proc", Long.toString(containerPid), "root");
        Map<String, String> entries = new TreeMap<>();
        SimpleFileVisitor<Path> visitor = new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                entries.put("/" + root.relativize(dir), describe(dir, "dir"));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                String what = attrs.isSymbolicLink() ? "link -> " + Files.readSymbolicLink(file)
                        : attrs.isRegularFile() ? "file " + sha256(file) : "other";
                entries.put("/" + root.relativize(file), describe(file, what));
                return FileVisitResult.CONTINUE;
            }
        };
        // The root itself is a magic link: list through it, then walk each entry without following links.
        try (Stream<Path> top = Files.list(root)) {
            for (Path entry : top.filter(p -> !KERNEL_TREES.contains(p.getFileName().toString())).toList()) {
                Files.walkFileTree(entry, visitor);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the root of the container with pid " + containerPid, e);
        }
        return new RootSnapshot(Map.copyOf(entries));
    }

    /** The SHA-256 recorded for a regular file, or null. */
    String sha256Of(String path) {
        String entry = entries.get(path);
        int at = entry == null ? -1 : entry.indexOf("file ");
        return at < 0 ? null : entry.substring(at + 5);
    }

    /** What differs from {@code later}, one line per path, for a failure message; empty when equal. */
    List<String> differences(RootSnapshot later) {
        List<String> out = new ArrayList<>();
        Set<String> paths = new TreeSet<>(entries.keySet());
        paths.addAll(later.entries.keySet());
        for (String p : paths) {
            String before = entries.get(p);
            String after = later.entries.get(p);
            if (!Objects.equals(before, after)) {
                out.add(p + ": " + (before == null ? "(absent)" : before) + " => " + (after == null ? "(absent)" : after));
            }
        }
        return out;
    }

    private static String describe(Path p, String what) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
        return String.format("mode %o uid %s gid %s size %s mtime %s %s", (Integer) a.get("mode"), a.get("uid"),
                a.get("gid"), a.get("size"), a.get("lastModifiedTime"), what);
    }

    /** The SHA-256 of a file's content, in hex, read without following a link. */
    static String sha256(Path file) throws IOException {
        return Digests.sha256(file);
    }
}
