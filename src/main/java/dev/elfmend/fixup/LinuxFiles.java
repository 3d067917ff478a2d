package dev.elfmend.fixup;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.NativeLong;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The Linux file calls Java has no API for: names resolved relative to a directory descriptor
 * ({@code openat}, {@code renameat}, {@code statx}), ownership and modes with their set-id bits, and
 * the {@code security.capability} attribute. Names are raw bytes, so no file name is ever decoded
 * and encoded again. Loaded on first use: commands that write nothing never pay for it.
 */
final class LinuxFiles {

    static final int AT_FDCWD = -100;
    static final int AT_SYMLINK_NOFOLLOW = 0x100;
    static final int AT_EMPTY_PATH = 0x1000;

    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_CLOEXEC = 02000000;
    static final int O_NONBLOCK = 04000;
    // arm and powerpc number these two differently from every other Linux port.
    private static final boolean ARM_OR_POWER = System.getProperty("os.arch", "").matches("arm.*|aarch32|ppc.*");
    static final int O_DIRECTORY = ARM_OR_POWER ? 040000 : 0200000;
    static final int O_NOFOLLOW = ARM_OR_POWER ? 0100000 : 0400000;

    static final int ENOENT = 2;
    static final int EEXIST = 17;
    static final int ENOTDIR = 20;
    static final int EXDEV = 18;
    static final int ENAMETOOLONG = 36;
    static final int ELOOP = 40;
    static final int ENODATA = 61;
    static final int ENXIO = 6;
    static final int EOPNOTSUPP = 95;

    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final int FALLOC_FL_KEEP_SIZE = 1;
    private static final int FALLOC_FL_PUNCH_HOLE = 2;
    private static final int SYNC_FILE_RANGE_WRITE = 2;

    private static final int EAGAIN = 11;
    private static final int F_SETSIG = 10;
    private static final int F_SETLEASE = 1024;
    private static final int F_RDLCK = 0;
    private static final int F_UNLCK = 2;
    // SIGURG, whose default action is to be ignored; its number is 23 on the ports listed.
    private static final int SIGURG = 23;
    private static final boolean SIGURG_IS_23 = System.getProperty("os.arch", "")
            .matches("amd64|x86_64|x86|i[3-6]86|aarch64|arm.*|riscv64|ppc.*|s390x?|loongarch64");

    private static final int STATX_BASIC_STATS = 0x7ff;
    private static final int STATX_SIZE = 256;

    static final String CAPABILITY = "security.capability";

    static {
        Native.register(LinuxFiles.class, NativeLibrary.getInstance("c"));
    }

    private LinuxFiles() {}

    private static native int openat(int dirfd, byte[] name, int flags, int mode) throws LastErrorException;

    private static native int close(int fd) throws LastErrorException;

    private static native int statx(int dirfd, byte[] name, int flags, int mask, byte[] buffer)
            throws LastErrorException;

    private static native int renameat(int fromDir, byte[] from, int toDir, byte[] to) throws LastErrorException;

    private static native int mkdirat(int dirfd, byte[] name, int mode) throws LastErrorException;

    private static native int unlinkat(int dirfd, byte[] name, int flags) throws LastErrorException;

    private static native int symlinkat(byte[] target, int dirfd, byte[] name) throws LastErrorException;

    private static native int fchown(int fd, int uid, int gid) throws LastErrorException;

    private static native int fchmod(int fd, int mode) throws LastErrorException;

    private static native int fsync(int fd) throws LastErrorException;

    private static native NativeLong fgetxattr(int fd, byte[] name, byte[] value, NativeLong size)
            throws LastErrorException;

    private static native int fsetxattr(int fd, byte[] name, byte[] value, NativeLong size, int flags)
            throws LastErrorException;

    private static native long lseek64(int fd, long offset, int whence) throws LastErrorException;

    private static native int fallocate64(int fd, int mode, long offset, long length) throws LastErrorException;

    private static native int ftruncate64(int fd, long length) throws LastErrorException;

    private static native int sync_file_range(int fd, long offset, long length, int flags) throws LastErrorException;

    private static native int fcntl(int fd, int cmd, int arg) throws LastErrorException;

    private static native int geteuid();

    private static native String strerror(int errno);

    /** One system call; its errno becomes an exception naming the file. */
    @FunctionalInterface
    private interface Call {
        long run();
    }

    private static long call(Call call, Path forMessages) throws IOException {
        try {
            return call.run();
        } catch (LastErrorException e) {
            throw failure(e, forMessages);
        }
    }

    /** A NUL-terminated copy of a raw name for the kernel. */
    static byte[] c(byte[] name) {
        return Arrays.copyOf(name, name.length + 1);
    }

    static int open(int dirfd, byte[] name, int flags, int mode, Path forMessages) throws IOException {
        return (int) call(() -> openat(dirfd, c(name), flags | O_CLOEXEC, mode), forMessages);
    }

    static void closeQuietly(int fd) {
        if (fd >= 0) {
            try {
                close(fd);
            } catch (LastErrorException e) {
                // a descriptor that cannot be closed is not something the caller can act on
            }
        }
    }

    /** {@code statx} of {@code name} in {@code dirfd} (an empty name: {@code dirfd} itself), never following a link. */
    static FileState stat(int dirfd, byte[] name, Path forMessages) throws IOException {
        byte[] buffer = new byte[STATX_SIZE];
        int flags = AT_SYMLINK_NOFOLLOW | (name.length == 0 ? AT_EMPTY_PATH : 0);
        call(() -> statx(dirfd, c(name), flags, STATX_BASIC_STATS, buffer), forMessages);
        return FileState.fromStatx(buffer);
    }

    static void rename(int fromDir, byte[] from, int toDir, byte[] to, Path forMessages) throws IOException {
        call(() -> renameat(fromDir, c(from), toDir, c(to)), forMessages);
    }

    static void mkdir(int dirfd, byte[] name, int mode, Path forMessages) throws IOException {
        try {
            mkdirat(dirfd, c(name), mode);
        } catch (LastErrorException e) {
            if (e.getErrorCode() != EEXIST) {
                throw failure(e, forMessages);
            }
        }
    }

    static void symlink(byte[] target, int dirfd, byte[] name, Path forMessages) throws IOException {
        call(() -> symlinkat(c(target), dirfd, c(name)), forMessages);
    }

    /** Removes {@code name} from {@code dirfd}; false when it was already gone. */
    static boolean unlink(int dirfd, byte[] name, Path forMessages) throws IOException {
        try {
            unlinkat(dirfd, c(name), 0);
            return true;
        } catch (LastErrorException e) {
            if (e.getErrorCode() == ENOENT) {
                return false;
            }
            throw failure(e, forMessages);
        }
    }

    static void chown(int fd, int uid, int gid, Path forMessages) throws IOException {
        call(() -> fchown(fd, uid, gid), forMessages);
    }

    static void chmod(int fd, int mode, Path forMessages) throws IOException {
        call(() -> fchmod(fd, mode), forMessages);
    }

    static void sync(int fd, Path forMessages) throws IOException {
        call(() -> fsync(fd), forMessages);
    }

    /** The file's capability attribute, or null when it has none. */
    /**
     * Starts writing a range of the file to disk without waiting for it, so a later fsync has less to
     * wait for. Only a hint: where the call is not supported nothing happens.
     */
    static void startWriteback(int fd, long offset, long length) {
        try {
            sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
        } catch (LastErrorException e) {
            // ENOSYS/EINVAL on filesystems without it, EIO reported again by the fsync that follows
        }
    }

    /**
     * Whether any process has the file open for writing: true, false, or null when the kernel will not
     * say (not the file's owner and no CAP_LEASE, a filesystem without leases, leases switched off).
     * Asked by taking a read lease, which the kernel refuses while a writer is open, and dropping it at
     * once. A writer opening the file in between would be held back for those microseconds, and the
     * lease-break notice it causes comes as SIGURG, which is ignored; the default SIGIO would end the JVM.
     * {@code fd} must be open read-only.
     */
    static Boolean openForWriting(int fd) {
        if (!SIGURG_IS_23) {
            return null;
        }
        try {
            fcntl(fd, F_SETSIG, SIGURG);
            fcntl(fd, F_SETLEASE, F_RDLCK);
        } catch (LastErrorException e) {
            return e.getErrorCode() == EAGAIN ? Boolean.TRUE : null;
        }
        try {
            fcntl(fd, F_SETLEASE, F_UNLCK);
        } catch (LastErrorException e) {
            // closing the descriptor, which the caller does next, drops the lease as well
        }
        return Boolean.FALSE;
    }

    static byte[] capability(int fd, Path forMessages) throws IOException {
        byte[] name = c(CAPABILITY.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        byte[] value = new byte[64];
        try {
            long n = fgetxattr(fd, name, value, new NativeLong(value.length)).longValue();
            return Arrays.copyOf(value, (int) n);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == ENODATA || e.getErrorCode() == EOPNOTSUPP) {
                return null;
            }
            throw failure(e, forMessages);
        }
    }

    static void setCapability(int fd, byte[] value, Path forMessages) throws IOException {
        byte[] name = c(CAPABILITY.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        call(() -> fsetxattr(fd, name, value, new NativeLong(value.length), 0), forMessages);
    }

    /** The first offset at or after {@code from} that holds data, or -1 when only a hole follows. */
    static long nextData(int fd, long from, Path forMessages) throws IOException {
        try {
            return lseek64(fd, from, SEEK_DATA);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == ENXIO) {
                return -1;
            }
            throw failure(e, forMessages);
        }
    }

    /** The first offset at or after {@code from} in a hole (the end of the file counts as one). */
    static long nextHole(int fd, long from, Path forMessages) throws IOException {
        return call(() -> lseek64(fd, from, SEEK_HOLE), forMessages);
    }

    /** Makes a range read as zeros without allocating it; false where the filesystem cannot. */
    static boolean punchHole(int fd, long offset, long length, Path forMessages) throws IOException {
        try {
            fallocate64(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
            return true;
        } catch (LastErrorException e) {
            if (e.getErrorCode() == EOPNOTSUPP) {
                return false;
            }
            throw failure(e, forMessages);
        }
    }

    /** Sets the file's size; growing it adds a hole, not zeros on disk. */
    static void truncate(int fd, long size, Path forMessages) throws IOException {
        call(() -> ftruncate64(fd, size), forMessages);
    }

    /**
     * A channel on the file {@code fd} refers to. Java cannot wrap a descriptor, but opening
     * {@code /proc/self/fd/N} reaches exactly that file again, whatever its name is now.
     */
    static java.nio.channels.FileChannel channel(int fd, boolean write) throws IOException {
        Path self = Path.of("/proc/self/fd", Integer.toString(fd));
        try {
            return write ? java.nio.channels.FileChannel.open(self, java.nio.file.StandardOpenOption.READ,
                    java.nio.file.StandardOpenOption.WRITE)
                    : java.nio.channels.FileChannel.open(self, java.nio.file.StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new IOException("/proc is not mounted; elfmend needs /proc/self/fd to reach the files it opened", e);
        }
    }

    static boolean runningAsRoot() {
        return geteuid() == 0;
    }

    static String reason(int errno) {
        String s = strerror(errno);
        return s == null ? "error " + errno : s;
    }

    private static IOException failure(LastErrorException e, Path file) {
        String where = file == null ? null : FileNames.shown(file);
        return switch (e.getErrorCode()) {
            case ENOENT -> new NoSuchFileException(where, null, reason(ENOENT));
            case 1, 13 -> new AccessDeniedException(where, null, reason(e.getErrorCode()));
            default -> new FileSystemException(where, null, reason(e.getErrorCode()));
        };
    }
}
