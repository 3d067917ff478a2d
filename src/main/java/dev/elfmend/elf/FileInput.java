package dev.elfmend.elf;

import java.io.IOException;
import java.nio.ByteOrder;

/**
 * The reader's view of a {@link ByteSource}: reads bounded regions by absolute offset after checking
 * them against the file size and a hard cap, so no header field can make it allocate or read more
 * than the file holds.
 */
final class FileInput {

    /** No single table elfmend reads whole is larger than this; real files stay far below it. */
    static final int MAX_REGION = 64 << 20;

    private final ByteSource source;
    private final long size;
    private ByteOrder order = ByteOrder.LITTLE_ENDIAN;

    FileInput(ByteSource source) throws IOException {
        this.source = source;
        this.size = source.size();
    }

    long size() {
        return size;
    }

    void order(ByteOrder order) {
        this.order = order;
    }

    ByteOrder order() {
        return order;
    }

    /** True when [offset, offset+length) lies inside the file (overflow-safe). */
    boolean inBounds(long offset, long length) {
        return offset >= 0 && length >= 0 && offset <= size && length <= size - offset;
    }

    Region region(long offset, long length, String what) throws IOException {
        if (!inBounds(offset, length)) {
            throw new ElfFormatException(offset, what + " (" + length + " bytes at 0x" + Long.toHexString(offset)
                    + ") extends past the end of the file (" + size + " bytes)");
        }
        if (length > MAX_REGION) {
            throw new ElfFormatException(offset, what + " is implausibly large (" + length + " bytes)");
        }
        byte[] bytes = new byte[(int) length];
        source.readFully(offset, bytes, 0, bytes.length);
        return new Region(bytes, offset, order, what);
    }

    /** Reads {@code len} bytes at {@code offset} into {@code dst} after checking they lie inside the file. */
    void read(long offset, byte[] dst, int off, int len) throws IOException {
        if (!inBounds(offset, len)) {
            throw new ElfFormatException(offset, len + " bytes at 0x" + Long.toHexString(offset)
                    + " extend past the end of the file (" + size + " bytes)");
        }
        source.readFully(offset, dst, off, len);
    }

    /** Like {@link #region} but clipped to the end of the file instead of failing. */
    Region regionUpTo(long offset, long length, String what) throws IOException {
        if (offset < 0 || offset > size) {
            throw new ElfFormatException(offset, what + " starts outside the file");
        }
        return region(offset, Math.min(length, size - offset), what);
    }
}
