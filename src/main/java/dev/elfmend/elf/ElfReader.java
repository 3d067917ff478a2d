package dev.elfmend.elf;

import java.io.IOException;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses the structure of an ELF file: header, program and section headers, the dynamic section and
 * what it points to, version tables and notes. Dynamic symbols are read on demand through the
 * returned {@link ElfFile} while the source is still open.
 */
public final class ElfReader {

    private static final int SHN_XINDEX = 0xffff;
    private static final int PN_XNUM = 0xffff;
    private static final int MAX_INTERPRETER = 4096;

    private final FileInput in;

    private ElfReader(FileInput in) {
        this.in = in;
    }

    public static ElfFile read(ByteSource source) throws IOException {
        FileInput in = new FileInput(source);
        return new ElfReader(in).parse(source);
    }

    /**
     * Where the content the file's headers declare ends (its segments, sections and header tables), read
     * from the headers alone: a file still being written declares more than it holds. Cheaper than
     * {@link #read}, which also parses the dynamic section, versions and notes.
     */
    public static long contentEnd(ByteSource source) throws IOException {
        ElfReader reader = new ElfReader(new FileInput(source));
        ElfHeader header = reader.readHeader();
        return contentEnd(header, reader.readProgramHeaders(header), reader.readSectionHeaders(header));
    }

    /** True when the first bytes carry the ELF magic; cheap content classification for tree walks. */
    public static boolean hasElfMagic(byte[] head, int length) {
        return length >= 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F';
    }

    private ElfFile parse(ByteSource source) throws IOException {
        ElfHeader header = readHeader();
        List<ProgramHeader> phdrs = readProgramHeaders(header);
        List<SectionHeader> shdrs = readSectionHeaders(header);
        AddressMap addresses = new AddressMap(phdrs, shdrs);
        String interpreter = readInterpreter(phdrs);
        DynamicInfo dynamic = DynamicInfo.read(in, header, phdrs, shdrs, addresses);
        VersionTables versions = VersionTables.read(in, header, dynamic, addresses);
        List<Note> notes = NoteReader.read(in, header, phdrs, shdrs);
        boolean marked = ElfmendSegment.findIn(in, phdrs) != null;
        long contentEnd = contentEnd(header, phdrs, shdrs);
        SymbolTable symbols = new SymbolTable(in, header, shdrs, dynamic, versions, addresses);
        return new ElfFile(header, phdrs, shdrs, interpreter, dynamic, versions, notes, marked, in.size(),
                contentEnd, symbols);
    }

    private ElfHeader readHeader() throws IOException {
        if (in.size() < 16) {
            throw new ElfFormatException(0, "file too short for an ELF header (" + in.size() + " bytes)");
        }
        Region ident = in.region(0, 16, "ELF identification");
        if (ident.u8(0) != 0x7f || ident.u8(1) != 'E' || ident.u8(2) != 'L' || ident.u8(3) != 'F') {
            throw new ElfFormatException(-1, "not an ELF file (no ELF magic)");
        }
        ElfClass elfClass = switch (ident.u8(4)) {
            case 1 -> ElfClass.ELF32;
            case 2 -> ElfClass.ELF64;
            default -> throw new ElfFormatException(4, "unknown ELF class " + ident.u8(4));
        };
        ByteOrder order = switch (ident.u8(5)) {
            case 1 -> ByteOrder.LITTLE_ENDIAN;
            case 2 -> ByteOrder.BIG_ENDIAN;
            default -> throw new ElfFormatException(5, "unknown ELF data encoding " + ident.u8(5));
        };
        in.order(order);
        if (in.size() < elfClass.headerSize()) {
            throw new ElfFormatException(0, "file too short for an " + elfClass + " header (" + in.size() + " bytes)");
        }
        Region h = in.region(0, elfClass.headerSize(), "ELF header");
        boolean wide = elfClass == ElfClass.ELF64;
        int type = h.u16(16);
        int machine = h.u16(18);
        long entry = h.word(24, elfClass);
        long phoff = wide ? h.u64(32) : h.u32(28);
        long shoff = wide ? h.u64(40) : h.u32(32);
        int flags = (int) (wide ? h.u32(48) : h.u32(36));
        int base = wide ? 52 : 40;
        int ehsize = h.u16(base);
        int phentsize = h.u16(base + 2);
        long phnum = h.u16(base + 4);
        int shentsize = h.u16(base + 6);
        long shnum = h.u16(base + 8);
        long shstrndx = h.u16(base + 10);
        if (phoff < 0 || shoff < 0) {
            throw new ElfFormatException(wide ? 32 : 28, "header table offset out of range");
        }
        if (shoff != 0 && (shnum == 0 || shstrndx == SHN_XINDEX || phnum == PN_XNUM)) {
            // Extended numbering: the real counts live in section header 0.
            if (shentsize != elfClass.sectionHeaderSize()) {
                throw new ElfFormatException(base + 6, "section header size " + shentsize + " is not "
                        + elfClass.sectionHeaderSize());
            }
            Region s0 = in.region(shoff, shentsize, "section header 0");
            long size0 = wide ? s0.u64(32) : s0.u32(20);
            long link0 = s0.u32(wide ? 40 : 24);
            long info0 = s0.u32(wide ? 44 : 28);
            if (shnum == 0) {
                shnum = size0;
            }
            if (shstrndx == SHN_XINDEX) {
                shstrndx = link0;
            }
            if (phnum == PN_XNUM) {
                phnum = info0;
            }
        }
        return new ElfHeader(elfClass, order, ident.u8(7), ident.u8(8), type, Machine.of(machine, elfClass),
                entry, phoff, shoff, flags, ehsize, phentsize, phnum, shentsize, shnum, shstrndx);
    }

    private List<ProgramHeader> readProgramHeaders(ElfHeader h) throws IOException {
        if (h.phnum() == 0 || h.phoff() == 0) {
            return List.of();
        }
        ElfClass c = h.elfClass();
        if (h.phentsize() != c.programHeaderSize()) {
            throw new ElfFormatException(c == ElfClass.ELF64 ? 54 : 42, "program header size " + h.phentsize()
                    + " is not " + c.programHeaderSize() + " for " + c);
        }
        long length = checkedTableLength(h.phoff(), h.phnum(), h.phentsize(), "program header table");
        Region r = in.region(h.phoff(), length, "program header table");
        List<ProgramHeader> out = new ArrayList<>((int) h.phnum());
        for (int i = 0; i < h.phnum(); i++) {
            long at = (long) i * h.phentsize();
            if (c == ElfClass.ELF64) {
                out.add(new ProgramHeader(i, (int) r.u32(at), (int) r.u32(at + 4), r.u64(at + 8), r.u64(at + 16),
                        r.u64(at + 24), r.u64(at + 32), r.u64(at + 40), r.u64(at + 48)));
            } else {
                out.add(new ProgramHeader(i, (int) r.u32(at), (int) r.u32(at + 24), r.u32(at + 4), r.u32(at + 8),
                        r.u32(at + 12), r.u32(at + 16), r.u32(at + 20), r.u32(at + 28)));
            }
        }
        return List.copyOf(out);
    }

    private List<SectionHeader> readSectionHeaders(ElfHeader h) throws IOException {
        if (h.shoff() == 0 || h.shnum() == 0) {
            return List.of();
        }
        ElfClass c = h.elfClass();
        if (h.shentsize() != c.sectionHeaderSize()) {
            throw new ElfFormatException(c == ElfClass.ELF64 ? 58 : 46, "section header size " + h.shentsize()
                    + " is not " + c.sectionHeaderSize() + " for " + c);
        }
        long length = checkedTableLength(h.shoff(), h.shnum(), h.shentsize(), "section header table");
        Region r = in.region(h.shoff(), length, "section header table");
        int count = (int) h.shnum();
        long[][] raw = new long[count][];
        for (int i = 0; i < count; i++) {
            long at = (long) i * h.shentsize();
            raw[i] = c == ElfClass.ELF64
                    ? new long[] {r.u32(at), r.u32(at + 4), r.u64(at + 8), r.u64(at + 16), r.u64(at + 24),
                        r.u64(at + 32), r.u32(at + 40), r.u32(at + 44), r.u64(at + 48), r.u64(at + 56)}
                    : new long[] {r.u32(at), r.u32(at + 4), r.u32(at + 8), r.u32(at + 12), r.u32(at + 16),
                        r.u32(at + 20), r.u32(at + 24), r.u32(at + 28), r.u32(at + 32), r.u32(at + 36)};
        }
        Region names = null;
        if (h.shstrndx() != 0) {
            if (h.shstrndx() >= count) {
                throw new ElfFormatException(c == ElfClass.ELF64 ? 62 : 50, "section name table index "
                        + h.shstrndx() + " is outside the " + count + " sections");
            }
            long[] s = raw[(int) h.shstrndx()];
            if (s[1] == SectionHeader.SHT_NOBITS) {
                throw new ElfFormatException(s[4], "section name table has no bytes in the file");
            }
            names = in.region(s[4], s[5], "section name table");
        }
        List<SectionHeader> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long[] s = raw[i];
            String name = names == null || (i == 0 && s[0] == 0) ? "" : names.cString(s[0]);
            out.add(new SectionHeader(i, name, (int) s[1], s[2], s[3], s[4], s[5], (int) s[6], (int) s[7],
                    s[8], s[9]));
        }
        return List.copyOf(out);
    }

    private long checkedTableLength(long offset, long count, int entrySize, String what) throws ElfFormatException {
        if (count < 0 || count > in.size() / entrySize || !in.inBounds(offset, count * entrySize)) {
            throw new ElfFormatException(offset, what + " with " + count + " entries of " + entrySize
                    + " bytes does not fit in the file (" + in.size() + " bytes)");
        }
        return count * entrySize;
    }

    private String readInterpreter(List<ProgramHeader> phdrs) throws IOException {
        for (ProgramHeader p : phdrs) {
            if (p.type() == ProgramHeader.PT_INTERP) {
                if (p.filesz() <= 0 || p.filesz() > MAX_INTERPRETER) {
                    throw new ElfFormatException(p.offset(), "PT_INTERP has implausible size " + p.filesz());
                }
                return in.region(p.offset(), p.filesz(), "interpreter").cString(0);
            }
        }
        return null;
    }

    private static long contentEnd(ElfHeader h, List<ProgramHeader> phdrs, List<SectionHeader> shdrs) {
        long end = h.elfClass().headerSize();
        end = Math.max(end, h.phoff() + h.phnum() * h.phentsize());
        if (h.shoff() != 0) {
            end = Math.max(end, h.shoff() + h.sectionHeaderTableSize());
        }
        for (ProgramHeader p : phdrs) {
            end = Math.max(end, p.fileEnd());
        }
        for (SectionHeader s : shdrs) {
            end = Math.max(end, s.fileEnd());
        }
        return end;
    }
}
