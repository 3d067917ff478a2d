package dev.elfmend.fixup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.EnumSet;
import java.util.function.Consumer;

/** Finds ELF files by content under a tree, never following symlinks and skipping elfmend's own temp area. */
public final class ElfFiles {

    /** Directory at a tree's root where elfmend keeps temp files while it works. */
    public static final String TEMP_DIR = ".elfmend-tmp";

    private ElfFiles() {}

    /** Calls {@code found} for every regular file under {@code start} (or {@code start} itself) that starts with the ELF magic. */
    public static void walk(Path start, Consumer<Path> found) throws IOException {
        Files.walkFileTree(start, EnumSet.noneOf(FileVisitOption.class), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                return dir.getFileName() != null && dir.getFileName().toString().equals(TEMP_DIR)
                        ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile() && attrs.size() >= 52 && isElf(file)) {
                    found.accept(file);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE;
            }
        });
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
}
