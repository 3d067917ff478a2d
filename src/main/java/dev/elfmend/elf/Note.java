package dev.elfmend.elf;

import java.util.HexFormat;

/**
 * One ELF note, with the section (or segment) it came from. {@code desc} holds the descriptor bytes unless it is larger than the reader loads, in which case it
 * is empty and {@code descSize} still tells its size.
 */
public record Note(String owner, long type, byte[] desc, long descSize, String where) {

    public static final long NT_GNU_ABI_TAG = 1;
    public static final long NT_GNU_BUILD_ID = 3;
    public static final long NT_GNU_PROPERTY_TYPE_0 = 5;
    public static final long NT_FDO_DLOPEN_METADATA = 0x407c0c0aL;

    public boolean isBuildId() {
        return "GNU".equals(owner) && type == NT_GNU_BUILD_ID;
    }

    public boolean isAbiTag() {
        return "GNU".equals(owner) && type == NT_GNU_ABI_TAG;
    }

    public boolean isDlopenMetadata() {
        return "FDO".equals(owner) && type == NT_FDO_DLOPEN_METADATA;
    }

    public String descHex() {
        return HexFormat.of().formatHex(desc);
    }
}
