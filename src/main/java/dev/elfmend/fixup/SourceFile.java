package dev.elfmend.fixup;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * The file elfmend is about to replace, opened through its directory (reached from the tree root
 * without following links): the state it had when it was opened, its content and its capability.
 */
final class SourceFile implements AutoCloseable {

    private final OpenDirectory directory;
    private final byte[] name;
    private final Path path;
    private final FileState state;
    private final int fd;
    private final FileChannel channel;

    private SourceFile(OpenDirectory directory, byte[] name, Path path, FileState state, int fd, FileChannel channel) {
        this.directory = directory;
        this.name = name;
        this.path = path;
        this.state = state;
        this.fd = fd;
        this.channel = channel;
    }

    /** Opens {@code file}; below {@code tree} (null: the file's directory as named) no link is followed. */
    static SourceFile open(Path tree, Path file) throws IOException {
        Path abs = file.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent == null) {
            throw new FileSystemException(abs.toString(), null, "is not a file");
        }
        OpenDirectory dir = OpenDirectory.reach(tree == null ? parent : tree, parent);
        int fd = -1;
        try {
            byte[] name = FileNames.lastName(abs);
            // Taken before the file is opened: whatever changes it from here on, up to the rename, is detected.
            FileState before = dir.stat(name, abs);
            if (before.isSymbolicLink()) {
                throw new OpenDirectory.LinkRefusedException(abs);
            }
            if (!before.isRegularFile()) {
                throw new FileSystemException(FileNames.shown(abs), null, "is " + before.kind() + ", not a regular file");
            }
            fd = dir.openForReading(name, abs);
            if (!LinuxFiles.stat(fd, new byte[0], abs).sameFile(before)) {
                throw new AtomicReplace.ConcurrentChangeException(abs);
            }
            return new SourceFile(dir, name, abs, before, fd, LinuxFiles.channel(fd, false));
        } catch (IOException | RuntimeException e) {
            LinuxFiles.closeQuietly(fd);
            dir.close();
            throw e;
        }
    }

    OpenDirectory directory() {
        return directory;
    }

    byte[] name() {
        return name;
    }

    Path path() {
        return path;
    }

    /** The state when opened. */
    FileState state() {
        return state;
    }

    /** What the name refers to now. */
    FileState current() throws IOException {
        return directory.stat(name, path);
    }

    FileChannel channel() {
        return channel;
    }

    /** The descriptor the file was opened with (for what Java has no call for: holes, attributes). */
    int fd() {
        return fd;
    }

    /** The {@code security.capability} attribute, or null. */
    byte[] capability() throws IOException {
        return LinuxFiles.capability(fd, path);
    }

    @Override
    public void close() throws IOException {
        try {
            channel.close();
        } finally {
            LinuxFiles.closeQuietly(fd);
            directory.close();
        }
    }
}
