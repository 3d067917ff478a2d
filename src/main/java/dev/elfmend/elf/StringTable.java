package dev.elfmend.elf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The dynamic string table, read from the file in small blocks as strings are asked for. node's table
 * is 7.8 MB and elfmend only ever needs a handful of its strings (and one scan when it looks for a
 * string to reuse), so the table is never held on the heap whole. Every failed access becomes an
 * {@link ElfFormatException} naming the absolute file offset.
 */
final class StringTable {

    private static final int BLOCK = 16 << 10;
    private static final int CACHED_BLOCKS = 8;

    private final FileInput in;
    private final long base;
    private final long length;
    private final String what;
    private final long[] cachedIndex = new long[CACHED_BLOCKS];
    private final byte[][] cached = new byte[CACHED_BLOCKS][];

    StringTable(FileInput in, long base, long length, String what) throws ElfFormatException {
        if (!in.inBounds(base, length)) {
            throw new ElfFormatException(base, what + " (" + length + " bytes at 0x" + Long.toHexString(base)
                    + ") extends past the end of the file (" + in.size() + " bytes)");
        }
        if (length > FileInput.MAX_REGION) {
            throw new ElfFormatException(base, what + " is implausibly large (" + length + " bytes)");
        }
        this.in = in;
        this.base = base;
        this.length = length;
        this.what = what;
        java.util.Arrays.fill(cachedIndex, -1);
    }

    long base() {
        return base;
    }

    long length() {
        return length;
    }

    /** A NUL-terminated string starting at {@code at}; a string without its NUL is a format error. */
    String cString(long at) throws IOException {
        if (at < 0 || at >= length) {
            throw new ElfFormatException(base + at, what + " too short: needs 1 bytes at index " + at + " of "
                    + length);
        }
        ByteArrayOutputStream text = null;
        long i = at;
        while (i < length) {
            byte[] block = block(i / BLOCK);
            int from = (int) (i % BLOCK);
            for (int k = from; k < block.length; k++) {
                if (block[k] == 0) {
                    if (text == null) {
                        return new String(block, from, k - from, StandardCharsets.UTF_8);
                    }
                    text.write(block, from, k - from);
                    return text.toString(StandardCharsets.UTF_8);
                }
            }
            if (text == null) {
                text = new ByteArrayOutputStream();
            }
            text.write(block, from, block.length - from);
            i += block.length - from;
        }
        throw new ElfFormatException(base + at, "unterminated string in " + what);
    }

    /** The byte at {@code at}, or -1 outside the table. */
    int byteAt(long at) throws IOException {
        if (at < 0 || at >= length) {
            return -1;
        }
        return block(at / BLOCK)[(int) (at % BLOCK)] & 0xff;
    }

    /**
     * Offset of the first occurrence of {@code pattern} that starts before {@code limit}, or -1. Streams
     * through the table once (Horspool's skip table: store paths are long, so most bytes are never compared).
     */
    long find(byte[] pattern, long limit) throws IOException {
        int m = pattern.length;
        long end = Math.min(limit, length - m + 1); // exclusive bound for start positions
        if (m == 0 || end <= 0) {
            return m == 0 && limit > 0 && length > 0 ? 0 : -1;
        }
        int[] skip = new int[256];
        java.util.Arrays.fill(skip, m);
        for (int k = 0; k < m - 1; k++) {
            skip[pattern[k] & 0xff] = m - 1 - k;
        }
        // A window of the table: at least one block plus the pattern, so a match never straddles two windows.
        int windowSize = (int) Math.min(length, Math.max(4L * BLOCK, 2L * m));
        byte[] window = new byte[windowSize];
        long windowStart = -1;
        int windowLength = 0;
        long start = 0;
        while (start < end) {
            if (windowStart < 0 || start + m > windowStart + windowLength) {
                windowStart = start;
                windowLength = (int) Math.min(windowSize, length - start);
                in.read(base + windowStart, window, 0, windowLength);
            }
            int w = (int) (start - windowStart);
            int k = m - 1;
            while (k >= 0 && window[w + k] == pattern[k]) {
                k--;
            }
            if (k < 0) {
                return start;
            }
            start += skip[window[w + m - 1] & 0xff];
        }
        return -1;
    }

    private synchronized byte[] block(long index) throws IOException {
        int slot = (int) (index % CACHED_BLOCKS);
        if (cachedIndex[slot] != index) {
            long from = index * BLOCK;
            byte[] bytes = new byte[(int) Math.min(BLOCK, length - from)];
            in.read(base + from, bytes, 0, bytes.length);
            cached[slot] = bytes;
            cachedIndex[slot] = index;
        }
        return cached[slot];
    }
}
