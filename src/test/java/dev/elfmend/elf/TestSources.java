package dev.elfmend.elf;

import java.io.EOFException;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@link ByteSource}s that present a real file differently without copying it: cut short, with some
 * bytes replaced, or a few real bytes followed by a huge run of zeros. A read outside the presented
 * size is an {@link EOFException}, just as on a real file, so a reader that forgets a bounds check
 * shows it as the wrong exception type.
 */
final class TestSources {

    private TestSources() {
    }

    /** The first {@code size} bytes of {@code source}: what a truncated copy of the file would hold. */
    static ByteSource truncated(ByteSource source, long size) {
        return new ByteSource() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public void readFully(long position, byte[] dst, int off, int len) throws IOException {
                check(position, len, size);
                source.readFully(position, dst, off, len);
            }
        };
    }

    /** {@code source} with the bytes at the given offsets replaced. */
    static ByteSource patched(ByteSource source, Map<Long, Byte> patches) {
        TreeMap<Long, Byte> sorted = new TreeMap<>(patches);
        return new ByteSource() {
            @Override
            public long size() throws IOException {
                return source.size();
            }

            @Override
            public void readFully(long position, byte[] dst, int off, int len) throws IOException {
                check(position, len, source.size());
                source.readFully(position, dst, off, len);
                for (Map.Entry<Long, Byte> p : sorted.subMap(position, position + len).entrySet()) {
                    dst[off + (int) (p.getKey() - position)] = p.getValue();
                }
            }
        };
    }

    /** {@code head} followed by zeros up to {@code size} bytes, without allocating them: a sparse file. */
    static ByteSource zeroPadded(byte[] head, long size) {
        return new ByteSource() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public void readFully(long position, byte[] dst, int off, int len) throws IOException {
                check(position, len, size);
                for (int i = 0; i < len; i++) {
                    long at = position + i;
                    dst[off + i] = at < head.length ? head[(int) at] : 0;
                }
            }
        };
    }

    /**
     * {@code source} as {@code sstrip} would leave it: no section header table (e_shoff, e_shnum and
     * e_shstrndx zero), so everything must come through the program headers.
     */
    static ByteSource withoutSectionHeaders(ByteSource source, ElfClass elfClass) {
        Map<Long, Byte> zeros = new TreeMap<>();
        boolean wide = elfClass == ElfClass.ELF64;
        long shoff = wide ? 40 : 32;
        for (long i = 0; i < (wide ? 8 : 4); i++) {
            zeros.put(shoff + i, (byte) 0);
        }
        long shnum = wide ? 60 : 48;
        for (long i = 0; i < 4; i++) {
            zeros.put(shnum + i, (byte) 0); // e_shnum and e_shstrndx
        }
        return patched(source, zeros);
    }

    private static void check(long position, int len, long size) throws EOFException {
        if (position < 0 || len < 0 || position > size - len) {
            throw new EOFException("read of " + len + " bytes at " + position + " past the end (" + size + ")");
        }
    }
}
