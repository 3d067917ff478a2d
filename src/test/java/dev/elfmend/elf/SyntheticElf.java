package dev.elfmend.elf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A small hand-built little-endian ELF64 shared object, for claims no compiler would write. One PT_LOAD
 * maps the whole file at address = offset, so a dynamic-table address is its file offset. Fixed places:
 * program headers at {@value #PHDRS}, free space at {@value #NOTES}, the dynamic table at {@value #DYNAMIC},
 * the string table at {@value #STRINGS} (starting with the empty string), tables from {@value #TABLES}.
 */
final class SyntheticElf {

    static final int PHDRS = 0x40;
    static final int NOTES = 0x400;
    static final int DYNAMIC = 0x800;
    static final int STRINGS = 0x1000;
    static final int TABLES = 0x2000;
    static final int SIZE = 0x4000;

    private final ByteBuffer buffer = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private final List<long[]> dynamic = new ArrayList<>();
    private final List<long[]> extraSegments = new ArrayList<>();
    private int stringsEnd = STRINGS + 1;
    private boolean strtab = true;

    SyntheticElf() {
        buffer.put(0, new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
        u16(16, 3);                  // ET_DYN
        u16(18, Machine.EM_X86_64);
        u32(20, 1);
        u64(32, PHDRS);              // e_phoff
        u16(52, 64);                 // e_ehsize
        u16(54, 56);                 // e_phentsize
        u16(58, 64);                 // e_shentsize
    }

    /** Adds a string to the dynamic string table; returns its offset in the table. */
    int string(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        int at = stringsEnd;
        buffer.put(at, bytes);
        buffer.put(at + bytes.length, (byte) 0);
        stringsEnd += bytes.length + 1;
        return at - STRINGS;
    }

    /** Adds a dynamic entry (DT_STRTAB and DT_STRSZ are added by {@link #bytes()}). */
    SyntheticElf dynamic(long tag, long value) {
        dynamic.add(new long[] {tag, value});
        return this;
    }

    /** Leaves DT_STRTAB and DT_STRSZ out. */
    SyntheticElf withoutStringTable() {
        strtab = false;
        return this;
    }

    /** Adds a program header after PT_LOAD and PT_DYNAMIC. */
    SyntheticElf segment(int type, long offset, long filesz) {
        extraSegments.add(new long[] {type, offset, filesz});
        return this;
    }

    SyntheticElf u8(int at, int value) {
        buffer.put(at, (byte) value);
        return this;
    }

    SyntheticElf u16(int at, int value) {
        buffer.putShort(at, (short) value);
        return this;
    }

    SyntheticElf u32(int at, long value) {
        buffer.putInt(at, (int) value);
        return this;
    }

    SyntheticElf u64(int at, long value) {
        buffer.putLong(at, value);
        return this;
    }

    byte[] bytes() {
        List<long[]> entries = new ArrayList<>();
        if (strtab) {
            entries.add(new long[] {DynamicEntry.DT_STRTAB, STRINGS});
            entries.add(new long[] {DynamicEntry.DT_STRSZ, stringsEnd - STRINGS});
        }
        entries.addAll(dynamic);
        for (int i = 0; i < entries.size(); i++) {
            u64(DYNAMIC + 16 * i, entries.get(i)[0]);
            u64(DYNAMIC + 16 * i + 8, entries.get(i)[1]);
        }
        List<long[]> segments = new ArrayList<>();
        segments.add(new long[] {ProgramHeader.PT_LOAD, 0, SIZE});
        segments.add(new long[] {ProgramHeader.PT_DYNAMIC, DYNAMIC, 16L * (entries.size() + 1)});
        segments.addAll(extraSegments);
        if (buffer.getShort(56) == 0) {
            u16(56, segments.size());
        }
        for (int i = 0; i < segments.size(); i++) {
            int at = PHDRS + 56 * i;
            long[] s = segments.get(i);
            u32(at, s[0]);
            u32(at + 4, ProgramHeader.PF_R);
            u64(at + 8, s[1]);
            u64(at + 16, s[1]);
            u64(at + 24, s[1]);
            u64(at + 32, s[2]);
            u64(at + 40, s[2]);
            u64(at + 48, s[0] == ProgramHeader.PT_LOAD ? 0x1000 : 8);
        }
        byte[] out = new byte[SIZE];
        buffer.get(0, out);
        return out;
    }
}
