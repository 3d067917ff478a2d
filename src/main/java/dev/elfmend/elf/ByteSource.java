package dev.elfmend.elf;

import java.io.IOException;

/**
 * Random access to the bytes of one file by absolute offset. The reader never keeps a cursor, so a
 * source can be a file channel, a mapping or an array, and large files never enter the heap whole.
 */
public interface ByteSource {

    /** Size of the underlying file in bytes. */
    long size() throws IOException;

    /**
     * Fills {@code dst[off, off+len)} from absolute position {@code position}. Reading past the end is
     * a caller error; callers check bounds against {@link #size()} first.
     */
    void readFully(long position, byte[] dst, int off, int len) throws IOException;
}
