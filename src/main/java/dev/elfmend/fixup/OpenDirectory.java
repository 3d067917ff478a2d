package dev.elfmend.fixup;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A directory held open by descriptor: names under it are resolved by the kernel relative to it
 * ({@code openat}, {@code renameat}), so swapping a directory on the way for a symlink cannot redirect
 * what elfmend reads or writes. Reached from a tree root one component at a time, never through a link.
 */
final class OpenDirectory implements AutoCloseable {

    private final int fd;
    private final Path path;

    private OpenDirectory(int fd, Path path) {
        this.fd = fd;
        this.path = path;
    }

    /** Opens {@code dir} as the caller named it (links in that path are the caller's choice). */
    static OpenDirectory open(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        return new OpenDirectory(LinuxFiles.open(LinuxFiles.AT_FDCWD, FileNames.bytes(abs),
                LinuxFiles.O_RDONLY | LinuxFiles.O_DIRECTORY, 0, abs), abs);
    }

    /** {@link #reach(Path, Path, int)} that creates nothing. */
    static OpenDirectory reach(Path tree, Path dir) throws IOException {
        return reach(tree, dir, -1);
    }

    /**
     * Opens {@code dir}: {@code tree} as the caller named it, then each component below it without
     * following links, making missing ones with {@code createMode} (-1: none). A {@code dir} outside
     * {@code tree} (or a null tree) is opened as named.
     */
    static OpenDirectory reach(Path tree, Path dir, int createMode) throws IOException {
        boolean create = createMode >= 0;
        Path target = dir.toAbsolutePath().normalize();
        Path root = tree == null ? null : tree.toAbsolutePath().normalize();
        if (root == null || !target.startsWith(root)) {
            if (create) {
                java.nio.file.Files.createDirectories(target);
            }
            return open(target);
        }
        OpenDirectory current = open(root);
        try {
            byte[][] names = components(root, target);
            for (int i = 0; i < names.length; i++) {
                Path childPath = current.path.resolve(target.getName(root.getNameCount() + i));
                OpenDirectory next = current.child(names[i], childPath, createMode);
                current.close();
                current = next;
            }
            return current;
        } catch (IOException | RuntimeException e) {
            current.close();
            throw e;
        }
    }

    /** The names from {@code root} down to {@code target} (under it), as raw bytes. */
    static byte[][] components(Path root, Path target) {
        byte[] r = FileNames.bytes(root);
        byte[] t = FileNames.bytes(target);
        int start = r.length == 1 ? 1 : r.length + 1; // the root "/" ends in its own slash
        if (t.length <= start) {
            return new byte[0][];
        }
        java.util.List<byte[]> out = new java.util.ArrayList<>();
        int from = start;
        for (int i = start; i <= t.length; i++) {
            if (i == t.length || t[i] == '/') {
                out.add(Arrays.copyOfRange(t, from, i));
                from = i + 1;
            }
        }
        return out.toArray(byte[][]::new);
    }

    /**
     * The subdirectory {@code name} ({@code childPath} in messages), made with {@code createMode} when
     * missing (-1: not made); a symlink there is refused, not followed.
     */
    OpenDirectory child(byte[] name, Path childPath, int createMode) throws IOException {
        if (createMode >= 0) {
            LinuxFiles.mkdir(fd, name, createMode, childPath);
        }
        try {
            return new OpenDirectory(LinuxFiles.open(fd, name, LinuxFiles.O_RDONLY | LinuxFiles.O_DIRECTORY
                    | LinuxFiles.O_NOFOLLOW, 0, childPath), childPath);
        } catch (FileSystemException e) {
            FileState what;
            try {
                what = stat(name, childPath);
            } catch (IOException gone) {
                throw e;
            }
            if (what.isSymbolicLink()) {
                throw new LinkRefusedException(childPath);
            }
            if (!what.isDirectory()) {
                throw new FileSystemException(FileNames.shown(childPath), null, "is " + what.kind() + ", not a directory");
            }
            throw e;
        }
    }

    /** {@code name} here ({@code file} in messages), not following a link. */
    FileState stat(byte[] name, Path file) throws IOException {
        return LinuxFiles.stat(fd, name, file);
    }

    /** This directory itself. */
    FileState stat() throws IOException {
        return LinuxFiles.stat(fd, new byte[0], path);
    }

    /** Opens {@code name} for reading, not following a link, never waiting (a FIFO swapped in does not block). */
    int openForReading(byte[] name, Path file) throws IOException {
        return LinuxFiles.open(fd, name, LinuxFiles.O_RDONLY | LinuxFiles.O_NOFOLLOW | LinuxFiles.O_NONBLOCK, 0, file);
    }

    /** Creates {@code name} here, exclusively, for reading and writing. */
    int create(byte[] name, Path file, int mode) throws IOException {
        return LinuxFiles.open(fd, name, LinuxFiles.O_RDWR | LinuxFiles.O_CREAT | LinuxFiles.O_EXCL
                | LinuxFiles.O_NOFOLLOW, mode, file);
    }

    /** Renames {@code name} here to {@code newName} in {@code to}, replacing what is there (one rename, atomic). */
    void renameTo(byte[] name, OpenDirectory to, byte[] newName, Path target) throws IOException {
        LinuxFiles.rename(fd, name, to.fd, newName, target);
    }

    /** Makes {@code name} here a symlink to {@code target} (a new name: an existing one is an error). */
    void symlink(byte[] target, byte[] name, Path file) throws IOException {
        LinuxFiles.symlink(target, fd, name, file);
    }

    boolean unlink(byte[] name, Path file) throws IOException {
        return LinuxFiles.unlink(fd, name, file);
    }

    void sync() throws IOException {
        LinuxFiles.sync(fd, path);
    }

    Path path() {
        return path;
    }

    @Override
    public void close() {
        LinuxFiles.closeQuietly(fd);
    }

    /** A symlink where elfmend expected a directory or file: refused, never followed. */
    static final class LinkRefusedException extends FileSystemException {
        private static final long serialVersionUID = 1L;

        LinkRefusedException(Path link) {
            super(FileNames.shown(link), null, "is a symbolic link; elfmend does not follow links");
        }
    }
}
