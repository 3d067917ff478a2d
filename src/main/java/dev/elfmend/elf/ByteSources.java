package dev.elfmend.elf;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Objects;

/** Factories for {@link ByteSource}. */
public final class ByteSources {

    private static final int MAX_READ = 64 << 10;

    private ByteSources() {}

    /** A source over an open file channel, read with positional reads (the channel's position is untouched). */
    public static ByteSource of(FileChannel channel) {
        Objects.requireNonNull(channel, "channel");
        return new ByteSource() {
            @Override
            public long size() throws IOException {
                return channel.size();
            }

            @Override
            public void readFully(long position, byte[] dst, int off, int len) throws IOException {
                long at = position;
                int done = 0;
                while (done < len) {
                    // The JDK reads a heap buffer through a temporary direct buffer of the same size and keeps
                    // it per thread; small slices keep that cache small in a long-running daemon.
                    ByteBuffer slice = ByteBuffer.wrap(dst, off + done, Math.min(len - done, MAX_READ));
                    int n = channel.read(slice, at);
                    if (n < 0) {
                        throw new EOFException("unexpected end of file at offset " + at);
                    }
                    at += n;
                    done += n;
                }
            }
        };
    }

    /** A source over bytes already in memory (tests, small files, fuzzing). */
    public static ByteSource of(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        return new ByteSource() {
            @Override
            public long size() {
                return bytes.length;
            }

            @Override
            public void readFully(long position, byte[] dst, int off, int len) throws IOException {
                if (position < 0 || position + len > bytes.length) {
                    throw new EOFException("unexpected end of data at offset " + position);
                }
                System.arraycopy(bytes, (int) position, dst, off, len);
            }
        };
    }
}
