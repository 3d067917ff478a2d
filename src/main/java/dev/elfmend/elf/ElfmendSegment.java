package dev.elfmend.elf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The mark at the start of the loadable segment elfmend appends when a file must grow. Finding it
 * tells later runs that the file is elfmend's work and which segment to reuse, so repeated edits do
 * not grow the file without bound.
 */
public final class ElfmendSegment {

    /** 16 bytes: recognisable in a hex dump, never valid code or data at a segment start by accident. */
    public static final byte[] MAGIC = "\0ELFMEND-SEGMENT".getBytes(StandardCharsets.US_ASCII);

    private ElfmendSegment() {}

    /** The PT_LOAD that starts with the mark, or null. */
    static ProgramHeader findIn(FileInput in, List<ProgramHeader> phdrs) throws IOException {
        for (ProgramHeader p : phdrs) {
            if (p.type() == ProgramHeader.PT_LOAD && p.filesz() >= MAGIC.length
                    && in.inBounds(p.offset(), MAGIC.length)) {
                byte[] head = in.region(p.offset(), MAGIC.length, "segment start").slice(0, MAGIC.length);
                if (Arrays.equals(head, MAGIC)) {
                    return p;
                }
            }
        }
        return null;
    }
}
