package dev.elfmend.fixup;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * A temp file created exclusively (never through a link) in an open directory; removed again on
 * close unless it was renamed into place.
 */
final class TempFile implements AutoCloseable {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final OpenDirectory directory;
    private final byte[] name;
    private final Path path;
    private final int fd;
    private final FileChannel channel;
    private boolean renamed;

    private TempFile(OpenDirectory directory, byte[] name, Path path, int fd, FileChannel channel) {
        this.directory = directory;
        this.name = name;
        this.path = path;
        this.fd = fd;
        this.channel = channel;
    }

    static TempFile create(OpenDirectory directory, int mode) throws IOException {
        byte[] random = new byte[8];
        RANDOM.nextBytes(random);
        String name = AtomicReplace.tempName(HexFormat.of().formatHex(random));
        Path path = directory.path().resolve(name);
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        int fd = directory.create(bytes, path, mode);
        try {
            return new TempFile(directory, bytes, path, fd, LinuxFiles.channel(fd, true));
        } catch (IOException | RuntimeException e) {
            LinuxFiles.closeQuietly(fd);
            directory.unlink(bytes, path);
            throw e;
        }
    }

    FileChannel channel() {
        return channel;
    }

    int fd() {
        return fd;
    }

    /**
     * Gives the temp file the original's owner, group, mode and capability. In this order, after the
     * last write: chown clears set-id bits and capabilities, a write clears capabilities.
     */
    void keep(FileState original, byte[] capability) throws IOException {
        FileState now = LinuxFiles.stat(fd, new byte[0], path);
        if (now.uid() != original.uid() || now.gid() != original.gid()) {
            LinuxFiles.chown(fd, original.uid(), original.gid(), path);
        }
        LinuxFiles.chmod(fd, original.permissions(), path);
        if (capability != null) {
            LinuxFiles.setCapability(fd, capability, path);
        }
    }

    /** Renames the temp file over {@code targetName} in {@code targetDir} ({@code target} in messages). */
    void renameTo(OpenDirectory targetDir, byte[] targetName, Path target) throws IOException {
        try {
            directory.renameTo(name, targetDir, targetName, target);
        } catch (java.nio.file.FileSystemException e) {
            if (LinuxFiles.reason(LinuxFiles.EXDEV).equals(e.getReason())) {
                throw new IOException("cannot replace " + FileNames.shown(target) + " atomically: temp directory "
                        + FileNames.shown(directory.path()) + " is on another filesystem", e);
            }
            throw e;
        }
        renamed = true;
    }

    @Override
    public void close() throws IOException {
        try {
            channel.close();
        } finally {
            LinuxFiles.closeQuietly(fd);
            if (!renamed) {
                directory.unlink(name, path);
            }
        }
    }
}
