package dev.elfmend.elf;

import java.util.List;

/**
 * One version a shared object defines (an Elf_Verdef entry). The first name is the version itself,
 * the rest are the versions it inherits from.
 */
public record VersionDefinition(int index, int flags, long hash, List<String> names) {

    public static final int VER_FLG_BASE = 0x1;

    public VersionDefinition {
        names = List.copyOf(names);
    }

    public String name() {
        return names.isEmpty() ? "" : names.get(0);
    }

    /** The base definition names the file itself (its soname), not a version. */
    public boolean isBase() {
        return (flags & VER_FLG_BASE) != 0;
    }
}
