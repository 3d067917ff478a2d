package dev.elfmend.elf;

/** One version a file needs from a library (an Elf_Vernaux entry). */
public record NeededVersion(String name, long hash, int flags, int other) {

    public static final int VER_FLG_WEAK = 0x2;
}
