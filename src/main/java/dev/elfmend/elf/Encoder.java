package dev.elfmend.elf;

import java.nio.ByteOrder;

/** Writes integers into byte arrays in a file's byte order and class. */
final class Encoder {

    private final boolean big;
    private final ElfClass elfClass;

    Encoder(ByteOrder order, ElfClass elfClass) {
        this.big = order == ByteOrder.BIG_ENDIAN;
        this.elfClass = elfClass;
    }

    void u16(byte[] b, int at, long v) {
        put(b, at, v, 2);
    }

    void u32(byte[] b, int at, long v) {
        put(b, at, v, 4);
    }

    void u64(byte[] b, int at, long v) {
        put(b, at, v, 8);
    }

    void word(byte[] b, int at, long v) {
        put(b, at, v, elfClass.wordSize());
    }

    private void put(byte[] b, int at, long v, int width) {
        for (int k = 0; k < width; k++) {
            int shift = big ? (width - 1 - k) * 8 : k * 8;
            b[at + k] = (byte) (v >>> shift);
        }
    }

    byte[] u32(long v) {
        byte[] b = new byte[4];
        u32(b, 0, v);
        return b;
    }

    byte[] programHeader(ProgramHeader p) {
        byte[] b = new byte[elfClass.programHeaderSize()];
        if (elfClass == ElfClass.ELF64) {
            u32(b, 0, p.type());
            u32(b, 4, p.flags());
            u64(b, 8, p.offset());
            u64(b, 16, p.vaddr());
            u64(b, 24, p.paddr());
            u64(b, 32, p.filesz());
            u64(b, 40, p.memsz());
            u64(b, 48, p.align());
        } else {
            u32(b, 0, p.type());
            u32(b, 4, p.offset());
            u32(b, 8, p.vaddr());
            u32(b, 12, p.paddr());
            u32(b, 16, p.filesz());
            u32(b, 20, p.memsz());
            u32(b, 24, p.flags());
            u32(b, 28, p.align());
        }
        return b;
    }

    byte[] dynamicTable(java.util.List<DynamicEntry> entries, int slots) {
        int size = elfClass.dynamicEntrySize();
        byte[] b = new byte[slots * size];
        for (int i = 0; i < entries.size(); i++) {
            word(b, i * size, entries.get(i).tag());
            word(b, i * size + elfClass.wordSize(), entries.get(i).value());
        }
        return b;
    }
}
