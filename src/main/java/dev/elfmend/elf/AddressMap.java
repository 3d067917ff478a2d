package dev.elfmend.elf;

import java.util.List;

/**
 * Translates virtual addresses (what the dynamic section stores) into file offsets through the
 * loadable segments, falling back to allocated sections for files whose segments do not cover them.
 */
final class AddressMap {

    private final List<ProgramHeader> loads;
    private final List<SectionHeader> sections;

    AddressMap(List<ProgramHeader> programHeaders, List<SectionHeader> sections) {
        this.loads = programHeaders.stream().filter(p -> p.type() == ProgramHeader.PT_LOAD).toList();
        this.sections = sections;
    }

    /** The file offset of {@code address}, or -1 when no segment or section maps it. */
    long offsetOf(long address) {
        for (ProgramHeader p : loads) {
            if (p.containsFileAddress(address)) {
                return p.offset() + (address - p.vaddr());
            }
        }
        for (SectionHeader s : sections) {
            if (s.isAllocated() && s.hasFileBytes() && s.addr() != 0
                    && Long.compareUnsigned(address, s.addr()) >= 0
                    && Long.compareUnsigned(address - s.addr(), s.size()) < 0) {
                return s.offset() + (address - s.addr());
            }
        }
        return -1;
    }

    /** The file offset of {@code address}; {@code referencedAt} is where the file names it (for the error). */
    long requireOffset(long address, String what, long referencedAt) throws ElfFormatException {
        long offset = offsetOf(address);
        if (offset < 0) {
            throw new ElfFormatException(referencedAt, what + " address 0x" + Long.toHexString(address)
                    + " is not inside any loaded segment");
        }
        return offset;
    }

    /** The section starting exactly at {@code address}, if the file has one (gives the table size). */
    SectionHeader sectionAt(long address, int type) {
        for (SectionHeader s : sections) {
            if (s.type() == type && s.addr() == address) {
                return s;
            }
        }
        return null;
    }
}
