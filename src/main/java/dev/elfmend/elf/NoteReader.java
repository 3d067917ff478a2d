package dev.elfmend.elf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads ELF notes from note sections (named) or, for files without section headers, from PT_NOTE
 * segments. Large descriptors (resource blobs some toolchains store as notes) are not loaded.
 */
final class NoteReader {

    /** Descriptors larger than this are reported by size only. */
    static final int MAX_DESC = 1 << 16;
    private static final int MAX_NOTES = 4096;

    private NoteReader() {}

    static List<Note> read(FileInput in, ElfHeader h, List<ProgramHeader> phdrs, List<SectionHeader> shdrs)
            throws IOException {
        List<Note> out = new ArrayList<>();
        boolean fromSections = false;
        for (SectionHeader s : shdrs) {
            if (s.type() == SectionHeader.SHT_NOTE) {
                fromSections = true;
                readArea(in, s.offset(), s.size(), s.addralign() == 8 ? 8 : 4, s.name(), out);
            }
        }
        if (!fromSections) {
            for (ProgramHeader p : phdrs) {
                if (p.type() == ProgramHeader.PT_NOTE) {
                    readArea(in, p.offset(), p.filesz(), p.align() == 8 ? 8 : 4, "PT_NOTE[" + p.index() + "]", out);
                }
            }
        }
        return List.copyOf(out);
    }

    private static void readArea(FileInput in, long offset, long size, int align, String where, List<Note> out)
            throws IOException {
        if (!in.inBounds(offset, size)) {
            throw new ElfFormatException(offset, "note area " + where + " extends past the end of the file");
        }
        long at = offset;
        long end = offset + size;
        while (end - at >= 12) {
            if (out.size() >= MAX_NOTES) {
                throw new ElfFormatException(at, "too many notes");
            }
            Region head = in.region(at, 12, "note header in " + where);
            long nameSize = head.u32(0);
            long descSize = head.u32(4);
            long type = head.u32(8);
            long nameAt = at + 12;
            long descAt = at + align(12 + nameSize, align);
            long next = at + align(descAt - at + descSize, align);
            if (descAt > end || descAt + descSize > end) {
                throw new ElfFormatException(at, "note in " + where + " extends past its area");
            }
            String owner = "";
            if (nameSize > 0) {
                byte[] name = in.region(nameAt, nameSize, "note name").slice(0, (int) nameSize);
                int len = 0;
                while (len < name.length && name[len] != 0) {
                    len++;
                }
                owner = new String(name, 0, len, StandardCharsets.UTF_8);
            }
            byte[] desc = descSize <= MAX_DESC
                    ? in.region(descAt, descSize, "note descriptor").slice(0, (int) descSize)
                    : new byte[0];
            out.add(new Note(owner, type, desc, descSize, where));
            if (next <= at) {
                break;
            }
            at = next;
        }
    }

    private static long align(long value, int align) {
        return (value + align - 1) & -align;
    }
}
