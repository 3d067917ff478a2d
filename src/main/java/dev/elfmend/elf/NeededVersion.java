package dev.elfmend.elf;

/**
 * One version a file needs from a library (an Elf_Vernaux entry). {@code recordOffset} is the file
 * offset of the entry and {@code nameOffset} its vna_name (an offset into the dynamic string table),
 * which the editor needs to rename it.
 */
public record NeededVersion(String name, long hash, int flags, int other, long recordOffset, long nameOffset) {

    public static final int VER_FLG_WEAK = 0x2;
}
