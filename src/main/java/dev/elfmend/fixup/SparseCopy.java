package dev.elfmend.fixup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Copies byte ranges from the original to its temp copy kernel-side, keeping holes as holes: a 4 GiB
 * sparse file stays a few kilobytes on disk instead of becoming 4 GiB of written zeros. Without
 * descriptors (a caller that only has channels) ranges are copied densely.
 */
final class SparseCopy {

    private static final int ZEROS = 1 << 16;
    private static final long WRITEBACK_CHUNK = 8L << 20;

    private final FileChannel from;
    private final int fromFd;
    private final FileChannel to;
    private final int toFd;
    private final Path forMessages;

    SparseCopy(FileChannel from, int fromFd, FileChannel to, int toFd, Path forMessages) {
        this.from = from;
        this.fromFd = fromFd;
        this.to = to;
        this.toFd = toFd;
        this.forMessages = forMessages;
    }

    /** Dense copies between two channels. */
    static SparseCopy dense(FileChannel from, FileChannel to) {
        return new SparseCopy(from, -1, to, -1, null);
    }

    /** Makes {@code [target, target + count)} of the copy hold {@code [position, position + count)} of the original. */
    void copy(long position, long count, long target) throws IOException {
        if (fromFd < 0 || toFd < 0) {
            transfer(position, count, target);
            return;
        }
        long end = position + count;
        long at = position;
        while (at < end) {
            long data = LinuxFiles.nextData(fromFd, at, forMessages);
            if (data < 0 || data >= end) {
                zero(target + (at - position), end - at);
                return;
            }
            if (data > at) {
                zero(target + (at - position), data - at);
            }
            long hole = Math.min(LinuxFiles.nextHole(fromFd, data, forMessages), end);
            transfer(data, hole - data, target + (data - position));
            at = hole;
        }
    }

    /** Makes a range of the copy read as zeros: a hole where the filesystem can punch one. */
    private void zero(long offset, long length) throws IOException {
        long size = to.size();
        if (offset + length > size) {
            LinuxFiles.truncate(toFd, offset + length, forMessages); // the new part is a hole already
        }
        long below = Math.min(offset + length, size) - offset;
        if (below > 0 && !LinuxFiles.punchHole(toFd, offset, below, forMessages)) {
            ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(ZEROS, below));
            for (long done = 0; done < below; ) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), below - done));
                done += to.write(zeros, offset + done);
            }
        }
    }

    /**
     * Kernel-side copy (copy_file_range/sendfile under FileChannel.transferTo), never through the heap.
     * A large range goes in chunks, each handed to the disk as soon as it is copied: the disk writes the
     * start of node (125 MB) while the kernel copies the rest, and the final fsync waits for little more
     * than the last chunk and the edited pages.
     */
    private void transfer(long position, long count, long target) throws IOException {
        to.position(target);
        long done = 0;
        long flushed = 0;
        while (done < count) {
            long n = from.transferTo(position + done, Math.min(count - done, WRITEBACK_CHUNK), to);
            if (n <= 0) {
                throw new IOException("short copy at offset " + (position + done));
            }
            done += n;
            if (toFd >= 0 && count >= WRITEBACK_CHUNK && done - flushed >= WRITEBACK_CHUNK) {
                LinuxFiles.startWriteback(toFd, target + flushed, done - flushed);
                flushed = done;
            }
        }
    }
}
