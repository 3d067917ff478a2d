package dev.elfmend.watch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers the files the daemon just replaced, so the events its own rename causes do not send the
 * file round again. An entry matches only the exact version written (inode, size, mtime).
 */
final class OwnWrites {

    private static final long TTL_NANOS = 10_000_000_000L;

    private record Version(Object key, long size, long mtime, long at) {}

    private final Map<Path, Version> written = new ConcurrentHashMap<>();

    void remember(Path file) {
        Version v = version(file);
        if (v != null) {
            written.put(file, v);
        }
    }

    boolean isOurs(Path file) {
        Version mine = written.get(file);
        if (mine == null) {
            return false;
        }
        if (System.nanoTime() - mine.at() > TTL_NANOS) {
            written.remove(file, mine);
            return false;
        }
        Version now = version(file);
        return now != null && Objects.equals(now.key(), mine.key()) && now.size() == mine.size()
                && now.mtime() == mine.mtime();
    }

    private static Version version(Path file) {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            return new Version(a.fileKey(), a.size(), a.lastModifiedTime().toMillis(), System.nanoTime());
        } catch (IOException e) {
            return null;
        }
    }
}
