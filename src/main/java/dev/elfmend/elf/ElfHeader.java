package dev.elfmend.elf;

import java.nio.ByteOrder;

/**
 * The ELF file header, with the counts already resolved for the extended numbering that large files
 * use (e_phnum == PN_XNUM, e_shnum == 0, e_shstrndx == SHN_XINDEX).
 */
public record ElfHeader(
        ElfClass elfClass,
        ByteOrder byteOrder,
        int osAbi,
        int abiVersion,
        int rawType,
        Machine machine,
        long entry,
        long phoff,
        long shoff,
        int flags,
        int ehsize,
        int phentsize,
        long phnum,
        int shentsize,
        long shnum,
        long shstrndx) {

    public static final int ELFOSABI_NONE = 0;
    public static final int ELFOSABI_GNU = 3;

    public ElfType type() {
        return ElfType.of(rawType);
    }

    public String osAbiName() {
        return switch (osAbi) {
            case 0 -> "SYSV";
            case 1 -> "HPUX";
            case 2 -> "NETBSD";
            case 3 -> "GNU";
            case 6 -> "SOLARIS";
            case 9 -> "FREEBSD";
            case 12 -> "OPENBSD";
            case 64 -> "ARM_AEABI";
            case 97 -> "ARM";
            case 255 -> "STANDALONE";
            default -> "OSABI_" + osAbi;
        };
    }

    /**
     * Bytes the section header table takes at e_shoff. Section 0 is read there even when the table counts no
     * sections (extended numbering keeps the real count in it), so those bytes must stay where they are.
     */
    public long sectionHeaderTableSize() {
        return shoff == 0 ? 0 : Math.max(1, shnum) * shentsize;
    }

    public boolean bigEndian() {
        return byteOrder == ByteOrder.BIG_ENDIAN;
    }
}
