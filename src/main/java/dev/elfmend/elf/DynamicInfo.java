package dev.elfmend.elf;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The dynamic section as the loader sees it (found through PT_DYNAMIC, or the SHT_DYNAMIC section
 * when there is no segment), with its string table and the values elfmend cares about resolved.
 */
final class DynamicInfo {

    static final DynamicInfo NONE = new DynamicInfo(-1, 0, List.of(), null, null, List.of(), null, null, null);

    final long offset;
    final int slots;
    final List<DynamicEntry> entries;
    final StringTable strings;
    final String soname;
    final List<String> needed;
    final String runPath;
    final String rPath;
    final long stringTableOffset;

    private DynamicInfo(long offset, int slots, List<DynamicEntry> entries, StringTable strings, String soname,
                        List<String> needed, String runPath, String rPath, Long stringTableOffset) {
        this.offset = offset;
        this.slots = slots;
        this.entries = entries;
        this.strings = strings;
        this.soname = soname;
        this.needed = needed;
        this.runPath = runPath;
        this.rPath = rPath;
        this.stringTableOffset = stringTableOffset == null ? -1 : stringTableOffset;
    }

    static DynamicInfo read(FileInput in, ElfHeader h, List<ProgramHeader> phdrs, List<SectionHeader> shdrs,
                            AddressMap addresses) throws IOException {
        long offset = -1;
        long size = 0;
        for (ProgramHeader p : phdrs) {
            if (p.type() == ProgramHeader.PT_DYNAMIC) {
                offset = p.offset();
                size = p.filesz();
                break;
            }
        }
        if (offset < 0) {
            for (SectionHeader s : shdrs) {
                if (s.type() == SectionHeader.SHT_DYNAMIC) {
                    offset = s.offset();
                    size = s.size();
                    break;
                }
            }
        }
        if (offset < 0) {
            return NONE;
        }
        ElfClass c = h.elfClass();
        int entrySize = c.dynamicEntrySize();
        Region r = in.region(offset, size - size % entrySize, "dynamic section");
        int slots = r.length() / entrySize;
        List<DynamicEntry> entries = new ArrayList<>();
        for (int i = 0; i < slots; i++) {
            long tag = r.word((long) i * entrySize, c);
            long value = r.word((long) i * entrySize + c.wordSize(), c);
            if (tag == DynamicEntry.DT_NULL) {
                break;
            }
            entries.add(new DynamicEntry(tag, value));
        }
        StringTable strings = null;
        Long stringsOffset = null;
        long strtab = value(entries, DynamicEntry.DT_STRTAB);
        if (strtab != -1) {
            long strOffset = addresses.requireOffset(strtab, "DT_STRTAB", offset);
            long strSize = value(entries, DynamicEntry.DT_STRSZ);
            if (strSize == -1) {
                SectionHeader s = addresses.sectionAt(strtab, SectionHeader.SHT_STRTAB);
                if (s == null) {
                    throw new ElfFormatException(offset, "dynamic section has DT_STRTAB but no DT_STRSZ");
                }
                strSize = s.size();
            }
            strings = new StringTable(in, strOffset, strSize, "dynamic string table");
            stringsOffset = strOffset;
        } else if (entries.stream().anyMatch(DynamicEntry::isStringReference)) {
            throw new ElfFormatException(offset, "dynamic section names strings but has no DT_STRTAB");
        }
        String soname = null;
        String runPath = null;
        String rPath = null;
        List<String> needed = new ArrayList<>();
        for (DynamicEntry e : entries) {
            if (!e.isStringReference()) {
                continue;
            }
            String s = strings.cString(e.value());
            if (e.tag() == DynamicEntry.DT_NEEDED) {
                needed.add(s);
            } else if (e.tag() == DynamicEntry.DT_SONAME && soname == null) {
                soname = s;
            } else if (e.tag() == DynamicEntry.DT_RUNPATH && runPath == null) {
                runPath = s;
            } else if (e.tag() == DynamicEntry.DT_RPATH && rPath == null) {
                rPath = s;
            }
        }
        return new DynamicInfo(offset, slots, List.copyOf(entries), strings, soname, List.copyOf(needed), runPath,
                rPath, stringsOffset);
    }

    /** The value of the first entry with {@code tag}, or -1. */
    static long value(List<DynamicEntry> entries, long tag) {
        for (DynamicEntry e : entries) {
            if (e.tag() == tag) {
                return e.value();
            }
        }
        return -1;
    }

    long value(long tag) {
        return value(entries, tag);
    }
}
