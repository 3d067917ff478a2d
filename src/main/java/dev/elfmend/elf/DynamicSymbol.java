package dev.elfmend.elf;

/**
 * One dynamic symbol with its version binding. {@code version} is null for unversioned symbols;
 * {@code versionFile} names the library the version is needed from (null when the symbol is defined
 * here); {@code hidden} marks a non-default version ({@code sym@VER} rather than {@code sym@@VER}).
 */
public record DynamicSymbol(int index, String name, long nameOffset, long value, long size, int bind, int type,
                            int shndx, String version, String versionFile, boolean hidden) {

    public static final int SHN_UNDEF = 0;

    public boolean isDefined() {
        return shndx != SHN_UNDEF;
    }
}
