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

    /**
     * Note areas up to this size are read with one read: node's annobin notes (20 KB of small notes in
     * .gnu.build.attributes) took some 1,300 reads note by note, paid on every parse.
     */
    static final int ONE_READ = 1 << 20;

    /** The bytes of one note area, addressed by absolute file offset. */
    private interface Area {
        long u32(long at) throws IOException;

        byte[] slice(long at, long length, String what) throws IOException;
    }

    private static void readArea(FileInput in, long offset, long size, int align, String where, List<Note> out)
            throws IOException {
        if (!in.inBounds(offset, size)) {
            throw new ElfFormatException(offset, "note area " + where + " extends past the end of the file");
        }
        Area area;
        if (size <= ONE_READ) {
            Region whole = in.region(offset, size, "note area " + where);
            area = new Area() {
                @Override
                public long u32(long at) throws IOException {
                    return whole.u32(at - offset);
                }

                @Override
                public byte[] slice(long at, long length, String what) throws IOException {
                    return whole.slice(at - offset, (int) length);
                }
            };
        } else {
            area = new Area() {
                @Override
                public long u32(long at) throws IOException {
                    return in.region(at, 4, "note header in " + where).u32(0);
                }

                @Override
                public byte[] slice(long at, long length, String what) throws IOException {
                    return in.region(at, length, what).slice(0, (int) length);
                }
            };
        }
        long at = offset;
        long end = offset + size;
        while (end - at >= 12) {
            if (out.size() >= MAX_NOTES) {
                throw new ElfFormatException(at, "too many notes");
            }
            long nameSize = area.u32(at);
            long descSize = area.u32(at + 4);
            long type = area.u32(at + 8);
            long nameAt = at + 12;
            long descAt = at + align(12 + nameSize, align);
            long next = at + align(descAt - at + descSize, align);
            if (descAt > end || descAt + descSize > end) {
                throw new ElfFormatException(at, "note in " + where + " extends past its area");
            }
            String owner = "";
            if (nameSize > 0) {
                byte[] name = area.slice(nameAt, nameSize, "note name");
                int len = 0;
                while (len < name.length && name[len] != 0) {
                    len++;
                }
                owner = new String(name, 0, len, StandardCharsets.UTF_8);
            }
            byte[] desc = descSize <= MAX_DESC ? area.slice(descAt, descSize, "note descriptor") : new byte[0];
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
