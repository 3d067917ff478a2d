package dev.elfmend.fixup;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What identifies one version of a file, from {@code statx}: if any of it changes, someone else
 * wrote, replaced, re-linked or chmod'ed the file (a new hard link or capability changes ctime too).
 */
record FileState(long dev, long ino, long size, long mtimeNanos, long ctimeNanos, int mode, int uid, int gid,
                 int links) {

    private static final int S_IFMT = 0170000;

    static FileState fromStatx(byte[] statx) {
        ByteBuffer b = ByteBuffer.wrap(statx).order(ByteOrder.nativeOrder());
        long dev = ((long) b.getInt(136) << 32) | (b.getInt(140) & 0xffffffffL);
        return new FileState(dev, b.getLong(32), b.getLong(40), nanos(b, 112), nanos(b, 96),
                b.getShort(28) & 0xffff, b.getInt(20), b.getInt(24), b.getInt(16));
    }

    private static long nanos(ByteBuffer b, int at) {
        return b.getLong(at) * 1_000_000_000L + (b.getInt(at + 8) & 0xffffffffL);
    }

    boolean isRegularFile() {
        return (mode & S_IFMT) == 0100000;
    }

    boolean isDirectory() {
        return (mode & S_IFMT) == 0040000;
    }

    boolean isSymbolicLink() {
        return (mode & S_IFMT) == 0120000;
    }

    /** Permission bits with set-user-ID, set-group-ID and sticky. */
    int permissions() {
        return mode & 07777;
    }

    boolean setUid() {
        return (mode & 04000) != 0;
    }

    /** Set-group-ID counts only with group execute; without it the bit means mandatory locking. */
    boolean setGid() {
        return (mode & 02010) == 02010;
    }

    boolean sameFile(FileState other) {
        return dev == other.dev && ino == other.ino;
    }

    /** What kind of thing this is, for messages about things that are not regular files. */
    String kind() {
        return switch (mode & S_IFMT) {
            case 0100000 -> "a regular file";
            case 0040000 -> "a directory";
            case 0120000 -> "a symbolic link";
            case 0010000 -> "a FIFO";
            case 0140000 -> "a socket";
            case 0020000 -> "a character device";
            case 0060000 -> "a block device";
            default -> "not a regular file";
        };
    }
}
