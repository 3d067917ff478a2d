package dev.elfmend.fixup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/**
 * Finds ELF files by content under a tree, never following symlinks and skipping elfmend's own temp
 * area. One directory is open at a time, so depth costs no descriptors; where paths grow past what
 * the kernel accepts (PATH_MAX) the walk stops there and says so once.
 */
public final class ElfFiles {

    /** Directory at a tree's root where elfmend keeps temp files while it works. */
    public static final String TEMP_DIR = ".elfmend-tmp";

    private ElfFiles() {}

    /** Calls {@code found} for every regular file under {@code start} (or {@code start} itself) that starts with the ELF magic. */
    public static void walk(Path start, Consumer<Path> found) throws IOException {
        walk(start, found, message -> { });
    }

    /** {@link #walk(Path, Consumer)}, telling {@code warnings} where it could not go on. */
    public static void walk(Path start, Consumer<Path> found, Consumer<String> warnings) throws IOException {
        BasicFileAttributes top = Files.readAttributes(start, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!top.isDirectory()) {
            if (top.isRegularFile() && top.size() >= 52 && isElf(start)) {
                found.accept(start);
            }
            return;
        }
        Deque<Directory> pending = new ArrayDeque<>();
        pending.push(new Directory(start, top.fileKey()));
        TooDeep tooDeep = new TooDeep(start);
        while (!pending.isEmpty()) {
            Directory dir = pending.pop();
            List<Directory> subdirectories = new ArrayList<>();
            List<Path> elfFiles = new ArrayList<>();
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir.path())) {
                for (Path entry : entries) {
                    visit(entry, subdirectories, elfFiles, tooDeep);
                }
            } catch (IOException e) {
                tooDeep.check(dir.path(), e); // anything else (permission denied, gone meanwhile) is skipped quietly
            }
            // Listing goes by path: if the directory was swapped for a link meanwhile, what was listed is not the tree's.
            if (dir.isStill()) {
                elfFiles.forEach(found);
                for (int i = subdirectories.size() - 1; i >= 0; i--) {
                    pending.push(subdirectories.get(i)); // the first subdirectory is walked first
                }
            }
        }
        tooDeep.report(warnings);
    }

    private static void visit(Path entry, List<Directory> subdirectories, List<Path> elfFiles, TooDeep tooDeep) {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            tooDeep.check(entry, e);
            return;
        }
        if (attrs.isDirectory()) {
            if (!entry.getFileName().toString().equals(TEMP_DIR)) {
                subdirectories.add(new Directory(entry, attrs.fileKey()));
            }
        } else if (attrs.isRegularFile() && attrs.size() >= 52 && isElf(entry)) {
            elfFiles.add(entry);
        }
    }

    /** A directory seen during the walk, with the identity it had when seen. */
    private record Directory(Path path, Object key) {
        boolean isStill() {
            try {
                BasicFileAttributes now = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                return now.isDirectory() && java.util.Objects.equals(now.fileKey(), key);
            } catch (IOException e) {
                return false;
            }
        }
    }

    /** True when the file starts with the ELF magic (read without following a symlink). */
    public static boolean isElf(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer head = ByteBuffer.allocate(4);
            while (head.hasRemaining() && ch.read(head) > 0) {
                // keep reading until four bytes or end of file
            }
            return dev.elfmend.elf.ElfReader.hasElfMagic(head.array(), head.position());
        } catch (IOException e) {
            return false;
        }
    }

    /** Where the walk met paths longer than the kernel takes: counted, and told once at the end. */
    private static final class TooDeep {
        private final Path start;
        private Path first;
        private int count;

        TooDeep(Path start) {
            this.start = start;
        }

        void check(Path path, IOException e) {
            if (e instanceof FileSystemException f && f.getReason() != null
                    && f.getReason().equals(LinuxFiles.reason(LinuxFiles.ENAMETOOLONG))) {
                if (first == null) {
                    first = path;
                }
                count++;
            }
        }

        void report(Consumer<String> warnings) {
            if (first == null) {
                return;
            }
            Path below = start.relativize(first);
            int depth = below.getNameCount();
            Path tail = below.subpath(Math.max(0, depth - 3), depth);
            warnings.accept("stopped searching " + FileNames.shown(start) + " at depth " + depth + " (…/"
                    + FileNames.shown(tail) + "): paths there are longer than the " + "4096 bytes Linux accepts; "
                    + count + (count == 1 ? " entry" : " entries") + " at that depth and everything below "
                    + (count == 1 ? "it was" : "them were") + " not searched");
        }
    }
}
