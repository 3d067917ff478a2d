package dev.elfmend.fixup;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The one way elfmend changes a file: copy it kernel-side to a temp file on the same filesystem, let
 * the caller edit and check the copy, fsync it, make sure the original did not change meanwhile,
 * rename the copy over the original and fsync the directory. Readers see the old file or the new one,
 * never a mix; a running executable is replaced without ETXTBSY; mode, owner and group are kept;
 * symlinks are never followed.
 */
public final class AtomicReplace {

    /** Prefix of every temp file elfmend creates; start-up cleanup removes leftovers by this name. */
    public static final String TEMP_PREFIX = ".elfmend-";
    public static final String TEMP_SUFFIX = ".tmp";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Edits the temp copy; {@code original} is open for reading, {@code copy} holds its bytes. */
    @FunctionalInterface
    public interface Editor {
        void edit(FileChannel original, FileChannel copy) throws IOException;
    }

    /** Thrown when the original changed while elfmend worked on it; the caller starts over. */
    public static final class ConcurrentChangeException extends IOException {
        private static final long serialVersionUID = 1L;

        ConcurrentChangeException(Path file) {
            super(file + " changed while it was being patched");
        }
    }

    private AtomicReplace() {}

    /**
     * Replaces {@code target} by an edited copy of {@code source} (the same file for an in-place edit).
     * Temp files go to {@code tempDir}, which must be on the target's filesystem (null: beside the target).
     */
    public static void replace(Path source, Path target, Path tempDir, Editor editor) throws IOException {
        FileState before = FileState.of(source);
        try (FileChannel original = FileChannel.open(source, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            replace(source, before, original, target, tempDir, editor);
        }
    }

    /**
     * {@link #replace(Path, Path, Path, Editor)} for a caller that has already read {@code source} through
     * {@code original} (and planned its edit from those bytes): {@code before} must have been taken before
     * {@code original} was opened, so any change to the file since then is detected before the rename.
     */
    static void replace(Path source, FileState before, FileChannel original, Path target, Path tempDir,
                        Editor editor) throws IOException {
        Path dir = tempDir != null ? tempDir : parentOf(target);
        Path temp = dir.resolve(TEMP_PREFIX + HexFormat.of().formatHex(randomBytes()) + TEMP_SUFFIX);
        boolean done = false;
        try (FileChannel copy = FileChannel.open(temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                     StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
                     PosixFilePermissions.asFileAttribute(Set.of(PosixFilePermission.OWNER_READ,
                             PosixFilePermission.OWNER_WRITE)))) {
            copyAll(original, copy);
            editor.edit(original, copy);
            // Owner and mode before the fsync, so they are as durable as the content when the rename lands.
            applyOwnerAndMode(temp, before);
            copy.force(true);
            if (!before.equals(FileState.of(source))) {
                throw new ConcurrentChangeException(source);
            }
            if (!source.equals(target) && Files.isSymbolicLink(target)) {
                throw new IOException(target + " is a symbolic link; elfmend does not write through links");
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot replace " + target + " atomically: temp directory " + dir
                        + " is on another filesystem", e);
            }
            done = true;
            syncDirectory(parentOf(target));
        } finally {
            if (!done) {
                Files.deleteIfExists(temp);
            }
        }
    }

    /** Produces the content of a file written by {@link #write}. */
    @FunctionalInterface
    public interface ContentWriter {
        void write(java.io.OutputStream out) throws IOException;
    }

    /**
     * Creates or replaces {@code target} with new content through the same temp-fsync-rename path
     * (state files: index, journal). A symlink at the target is refused.
     */
    public static void write(Path target, ContentWriter writer) throws IOException {
        Path dir = parentOf(target);
        Files.createDirectories(dir);
        if (Files.isSymbolicLink(target)) {
            throw new IOException(target + " is a symbolic link; elfmend does not write through links");
        }
        Path temp = dir.resolve(TEMP_PREFIX + HexFormat.of().formatHex(randomBytes()) + TEMP_SUFFIX);
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(Set.of(
                            PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                            PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ)));
                 java.io.OutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch))) {
                writer.write(out);
                out.flush();
                ch.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            done = true;
            syncDirectory(dir);
        } finally {
            if (!done) {
                Files.deleteIfExists(temp);
            }
        }
    }

    /** Removes temp files a killed run left in {@code dir}; returns how many. */
    public static int removeStrayTempFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        int removed = 0;
        try (java.nio.file.DirectoryStream<Path> entries = Files.newDirectoryStream(dir,
                TEMP_PREFIX + "*" + TEMP_SUFFIX)) {
            for (Path p : entries) {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(p);
                    removed++;
                }
            }
        }
        return removed;
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return b;
    }

    private static Path parentOf(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        return Objects.requireNonNull(parent, "file has no parent directory");
    }

    /** Kernel-side copy (copy_file_range/sendfile under FileChannel.transferTo), never through the heap. */
    static void copyAll(FileChannel from, FileChannel to) throws IOException {
        copyRange(from, 0, from.size(), to, 0);
    }

    static void copyRange(FileChannel from, long position, long count, FileChannel to, long targetPosition)
            throws IOException {
        to.position(targetPosition);
        long done = 0;
        while (done < count) {
            long n = from.transferTo(position + done, count - done, to);
            if (n <= 0) {
                throw new IOException("short copy at offset " + (position + done));
            }
            done += n;
        }
    }

    private static void applyOwnerAndMode(Path temp, FileState state) throws IOException {
        // Owner first: chown clears set-id bits, the mode restores them.
        Map<String, Object> current = Files.readAttributes(temp, "unix:uid,gid", LinkOption.NOFOLLOW_LINKS);
        if (!current.get("uid").equals(state.uid()) || !current.get("gid").equals(state.gid())) {
            Files.setAttribute(temp, "unix:uid", state.uid(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(temp, "unix:gid", state.gid(), LinkOption.NOFOLLOW_LINKS);
        }
        Files.setAttribute(temp, "unix:mode", state.mode() & 07777, LinkOption.NOFOLLOW_LINKS);
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    /** What identifies one version of a file: if any of it changes, someone else wrote the file. */
    record FileState(Object dev, Object ino, long size, FileTime mtime, FileTime ctime, int mode, int uid, int gid) {

        static FileState of(Path file) throws IOException {
            if (Files.isSymbolicLink(file)) {
                throw new IOException(file + " is a symbolic link; elfmend does not follow links");
            }
            Map<String, Object> a = Files.readAttributes(file,
                    "unix:dev,ino,size,lastModifiedTime,ctime,mode,uid,gid,isRegularFile", LinkOption.NOFOLLOW_LINKS);
            if (!(Boolean) a.get("isRegularFile")) {
                throw new IOException(file + " is not a regular file");
            }
            return new FileState(a.get("dev"), a.get("ino"), (Long) a.get("size"), (FileTime) a.get("lastModifiedTime"),
                    (FileTime) a.get("ctime"), (Integer) a.get("mode"), (Integer) a.get("uid"), (Integer) a.get("gid"));
        }
    }
}
