package dev.elfmend.elf;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A bounds-checked window of file bytes held in memory (a table or a string section), decoded in the
 * file's byte order. Every failed access becomes an {@link ElfFormatException} naming the absolute
 * file offset.
 */
final class Region {

    private final byte[] bytes;
    private final long base;
    private final boolean big;
    private final String what;

    Region(byte[] bytes, long base, ByteOrder order, String what) {
        this.bytes = bytes;
        this.base = base;
        this.big = order == ByteOrder.BIG_ENDIAN;
        this.what = what;
    }

    long base() {
        return base;
    }

    int length() {
        return bytes.length;
    }

    private int check(long at, int width) throws ElfFormatException {
        if (at < 0 || at > bytes.length - (long) width) {
            throw new ElfFormatException(base + at, what + " too short: needs " + width + " bytes at index " + at
                    + " of " + bytes.length);
        }
        return (int) at;
    }

    int u8(long at) throws ElfFormatException {
        return bytes[check(at, 1)] & 0xff;
    }

    int u16(long at) throws ElfFormatException {
        int i = check(at, 2);
        int a = bytes[i] & 0xff;
        int b = bytes[i + 1] & 0xff;
        return big ? (a << 8) | b : (b << 8) | a;
    }

    long u32(long at) throws ElfFormatException {
        int i = check(at, 4);
        long v = 0;
        for (int k = 0; k < 4; k++) {
            int shift = big ? (3 - k) * 8 : k * 8;
            v |= (long) (bytes[i + k] & 0xff) << shift;
        }
        return v;
    }

    long u64(long at) throws ElfFormatException {
        int i = check(at, 8);
        long v = 0;
        for (int k = 0; k < 8; k++) {
            int shift = big ? (7 - k) * 8 : k * 8;
            v |= (long) (bytes[i + k] & 0xff) << shift;
        }
        return v;
    }

    /** A 32- or 64-bit word depending on the class. */
    long word(long at, ElfClass elfClass) throws ElfFormatException {
        return elfClass == ElfClass.ELF64 ? u64(at) : u32(at);
    }

    /** A NUL-terminated string starting at {@code at}; a string without its NUL is a format error. */
    String cString(long at) throws ElfFormatException {
        int start = check(at, 1);
        for (int i = start; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                return new String(bytes, start, i - start, StandardCharsets.UTF_8);
            }
        }
        throw new ElfFormatException(base + at, "unterminated string in " + what);
    }

    /** Offset of the first occurrence of {@code pattern} that starts before {@code limit}, or -1. */
    long find(byte[] pattern, long limit) {
        int end = (int) Math.min(limit, bytes.length - (long) pattern.length + 1);
        outer:
        for (int i = 0; i < end; i++) {
            if (bytes[i] != pattern[0]) {
                continue;
            }
            for (int k = 1; k < pattern.length; k++) {
                if (bytes[i + k] != pattern[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** The byte at {@code at}, or -1 outside the region. */
    int byteAt(long at) {
        return at < 0 || at >= bytes.length ? -1 : bytes[(int) at] & 0xff;
    }

    byte[] slice(long at, int len) throws ElfFormatException {
        int i = check(at, len);
        byte[] out = new byte[len];
        System.arraycopy(bytes, i, out, 0, len);
        return out;
    }
}
