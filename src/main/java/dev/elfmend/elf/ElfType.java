package dev.elfmend.elf;

/** The e_type of an ELF file. */
public enum ElfType {
    NONE, REL, EXEC, DYN, CORE, OTHER;

    public static ElfType of(int raw) {
        return switch (raw) {
            case 0 -> NONE;
            case 1 -> REL;
            case 2 -> EXEC;
            case 3 -> DYN;
            case 4 -> CORE;
            default -> OTHER;
        };
    }
}
