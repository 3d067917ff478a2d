package dev.elfmend.elf;

/** ELF32 or ELF64, with the sizes of the structures that depend on it. */
public enum ElfClass {
    ELF32(4, 52, 32, 40, 8, 16),
    ELF64(8, 64, 56, 64, 16, 24);

    private final int wordSize;
    private final int headerSize;
    private final int programHeaderSize;
    private final int sectionHeaderSize;
    private final int dynamicEntrySize;
    private final int symbolSize;

    ElfClass(int wordSize, int headerSize, int programHeaderSize, int sectionHeaderSize,
             int dynamicEntrySize, int symbolSize) {
        this.wordSize = wordSize;
        this.headerSize = headerSize;
        this.programHeaderSize = programHeaderSize;
        this.sectionHeaderSize = sectionHeaderSize;
        this.dynamicEntrySize = dynamicEntrySize;
        this.symbolSize = symbolSize;
    }

    public int wordSize() { return wordSize; }
    public int headerSize() { return headerSize; }
    public int programHeaderSize() { return programHeaderSize; }
    public int sectionHeaderSize() { return sectionHeaderSize; }
    public int dynamicEntrySize() { return dynamicEntrySize; }
    public int symbolSize() { return symbolSize; }
}
