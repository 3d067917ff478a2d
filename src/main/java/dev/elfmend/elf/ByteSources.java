package dev.elfmend.elf;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Objects;

/** Factories for {@link ByteSource}. */
public final class ByteSources {

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
                ByteBuffer buffer = ByteBuffer.wrap(dst, off, len);
                long at = position;
                while (buffer.hasRemaining()) {
                    int n = channel.read(buffer, at);
                    if (n < 0) {
                        throw new EOFException("unexpected end of file at offset " + at);
                    }
                    at += n;
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
