package dev.elfmend.elf;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What a file's layout must hold before the editor may touch it. The reader answers questions about
 * files whose headers contradict each other; the editor cannot, because it moves and overwrites bytes
 * where the headers say things are. Each failure names the offset and the contradiction (found by
 * fuzzing: see ElfRewriterFuzzTest).
 */
final class EditPreconditions {

    /** Elf_Verneed and Elf_Vernaux are both 16 bytes in either class. */
    private static final int VERSION_RECORD_SIZE = 16;
    /** Real files align segments to at most 2 MiB; an added segment keeps its offset congruent modulo this. */
    private static final long MAX_SEGMENT_ALIGN = 64L << 20;

    private EditPreconditions() {}

    /**
     * Header tables apart, every section and segment inside the file (even an empty one: new data goes after
     * the last of them, and a claim past the end would put it gigabytes away or where a 32-bit offset cannot
     * point), plausible segment alignments (the same), and no two loaded sections sharing bytes (sections
     * move and are cleared whole).
     */
    static void requireSoundLayout(ElfFile elf) throws ElfFormatException {
        ElfHeader h = elf.header();
        if (elf.programHeaders().isEmpty()) {
            throw new ElfFormatException(-1, "has no program headers: no loader would run it");
        }
        if (!elf.sectionHeaders().isEmpty() && elf.sectionHeaders().get(0).type() != SectionHeader.SHT_NULL) {
            // Entry 0 holds the section count and string table index when the ELF header's fields overflow;
            // edited as the section it claims to be, it would change how many sections the file has.
            throw new ElfFormatException(h.shoff(), "section header 0 is not the null entry (its type is "
                    + Integer.toUnsignedString(elf.sectionHeaders().get(0).type()) + ")");
        }
        long headerSize = h.elfClass().headerSize();
        if (h.phoff() < headerSize || (h.shoff() != 0 && h.shoff() < headerSize)) {
            throw new ElfFormatException(h.phoff() < headerSize ? h.phoff() : h.shoff(),
                    "a header table overlaps the ELF header");
        }
        if (h.shoff() != 0 && overlaps(h.shoff(), sectionTableEnd(h), h.phoff(), programTableEnd(h))) {
            throw new ElfFormatException(h.shoff(), "the section header table overlaps the program header table");
        }
        long size = elf.fileSize();
        for (ProgramHeader p : elf.programHeaders()) {
            if (p.type() == ProgramHeader.PT_LOAD && Long.compareUnsigned(p.align(), MAX_SEGMENT_ALIGN) > 0) {
                throw new ElfFormatException(p.offset(), "segment " + p.index() + " (LOAD) asks for alignment 0x"
                        + Long.toHexString(p.align()) + "; more than 64 MiB is not plausible");
            }
            if (p.type() == ProgramHeader.PT_PHDR && p.offset() != h.phoff()) {
                // The editor resizes every PT_PHDR with the table it describes.
                throw new ElfFormatException(p.offset(), "segment " + p.index() + " (PHDR) is not at the program "
                        + "header table (0x" + Long.toHexString(h.phoff()) + ")");
            }
            if (!inside(p.offset(), p.filesz(), size)) {
                throw new ElfFormatException(p.offset(), "segment " + p.index() + " (" + p.typeName() + ", "
                        + Long.toUnsignedString(p.filesz()) + " bytes) reaches past the end of the file (" + size
                        + " bytes)");
            }
        }
        for (SectionHeader s : elf.sectionHeaders()) {
            if (s.hasFileBytes() && !inside(s.offset(), s.size(), size)) {
                throw new ElfFormatException(s.offset(), "section " + s.name() + " ("
                        + Long.toUnsignedString(s.size()) + " bytes) reaches past the end of the file (" + size
                        + " bytes)");
            }
        }
        List<SectionHeader> loaded = elf.sectionHeaders().stream()
                .filter(s -> s.isAllocated() && s.hasFileBytes() && s.size() > 0)
                .sorted(Comparator.comparingLong(SectionHeader::offset)).toList();
        for (int i = 1; i < loaded.size(); i++) {
            if (loaded.get(i).offset() < loaded.get(i - 1).fileEnd()) {
                throw new ElfFormatException(loaded.get(i).offset(), "sections " + loaded.get(i - 1).name()
                        + " and " + loaded.get(i).name() + " overlap");
            }
        }
    }

    /**
     * The segment of {@code type} is rewritten whole in place (the interpreter, the dynamic table); a header
     * table, section or other segment sharing part of it (a corrupt size) would be overwritten. A section or
     * segment covering exactly its bytes (.interp, .dynamic, a repeated program header) is its own.
     */
    static void requireAlone(ElfFile elf, int type) throws ElfFormatException {
        ProgramHeader own = elf.programHeaders().stream().filter(p -> p.type() == type).findFirst().orElse(null);
        if (own == null) {
            return;
        }
        ElfHeader h = elf.header();
        long start = own.offset();
        long end = own.fileEnd();
        String what = own.typeName() + " (" + own.filesz() + " bytes at 0x" + Long.toHexString(start) + ")";
        if (overlaps(start, end, 0, h.elfClass().headerSize()) || overlaps(start, end, h.phoff(), programTableEnd(h))
                || (h.shoff() != 0 && overlaps(start, end, h.shoff(), sectionTableEnd(h)))) {
            throw new ElfFormatException(start, what + " overlaps the ELF header or a header table");
        }
        for (SectionHeader s : elf.sectionHeaders()) {
            boolean shares = s.hasFileBytes() && s.size() > 0 && overlaps(start, end, s.offset(), s.fileEnd());
            if (shares && (s.offset() != start || s.fileEnd() != end)) {
                throw new ElfFormatException(start, what + " and section " + s.name() + " (" + s.size()
                        + " bytes at 0x" + Long.toHexString(s.offset()) + ") overlap without matching");
            }
        }
        for (ProgramHeader p : elf.programHeaders()) {
            boolean sameBytes = p.offset() == start && p.fileEnd() == end;
            boolean content = switch (p.type()) {
                case ProgramHeader.PT_LOAD, ProgramHeader.PT_PHDR, ProgramHeader.PT_GNU_RELRO -> false;
                default -> p.filesz() > 0 && !sameBytes;
            };
            if (content && overlaps(start, end, p.offset(), p.fileEnd())) {
                throw new ElfFormatException(start, what + " shares bytes with segment " + p.index() + " ("
                        + p.typeName() + ")");
            }
        }
    }

    /**
     * elfmend rebuilds its own segment from scratch on the next edit, keeping only what it put there; a
     * loadable, TLS or RELRO segment sharing its bytes (a forged or corrupt mark) would lose its contents.
     */
    static void requireOwnSegmentAlone(ElfFile elf, ProgramHeader ours) throws ElfFormatException {
        if (ours == null) {
            return;
        }
        for (ProgramHeader p : elf.programHeaders()) {
            boolean foreign = p.index() != ours.index() && (p.type() == ProgramHeader.PT_LOAD
                    || p.type() == ProgramHeader.PT_TLS || p.type() == ProgramHeader.PT_GNU_RELRO);
            if (foreign && p.filesz() > 0 && overlaps(ours.offset(), ours.fileEnd(), p.offset(), p.fileEnd())) {
                throw new ElfFormatException(ours.offset(), "the segment marked as elfmend's shares bytes with "
                        + "segment " + p.index() + " (" + p.typeName() + "); it is not elfmend's to rebuild");
            }
        }
    }

    /**
     * A new name goes into the dynamic string table, which may have to move and grow: that needs DT_STRTAB,
     * and DT_STRSZ to say the new size (a section header is no help once the table has moved).
     */
    static void requireStringTable(ElfFile elf) throws ElfFormatException {
        if (elf.dynamicStringsOffset() < 0) {
            throw new ElfFormatException(elf.dynamicOffset(), "dynamic section has no string table (DT_STRTAB) "
                    + "to hold the new names");
        }
        if (elf.dynamicValue(DynamicEntry.DT_STRSZ).isEmpty()) {
            throw new ElfFormatException(elf.dynamicOffset(), "dynamic section has no DT_STRSZ: cannot change "
                    + "the size of its string table");
        }
    }

    /**
     * Renames write into the version records in place; records that overlap (a corrupt vn_aux or vn_next)
     * would overwrite each other.
     */
    static void requireSeparateVersionRecords(ElfFile elf) throws ElfFormatException {
        List<Long> starts = new ArrayList<>();
        for (VersionNeed need : elf.versionNeeds()) {
            starts.add(need.recordOffset());
            need.versions().forEach(v -> starts.add(v.recordOffset()));
        }
        starts.sort(null);
        for (int i = 1; i < starts.size(); i++) {
            if (starts.get(i) - starts.get(i - 1) < VERSION_RECORD_SIZE) {
                throw new ElfFormatException(starts.get(i), "version need records overlap; cannot rename in them");
            }
        }
    }

    private static long programTableEnd(ElfHeader h) {
        return h.phoff() + h.phnum() * h.phentsize();
    }

    private static long sectionTableEnd(ElfHeader h) {
        return h.shoff() + h.sectionHeaderTableSize();
    }

    private static boolean overlaps(long start, long end, long otherStart, long otherEnd) {
        return start < otherEnd && otherStart < end;
    }

    private static boolean inside(long offset, long length, long size) {
        return offset >= 0 && length >= 0 && offset <= size && length <= size - offset;
    }
}
