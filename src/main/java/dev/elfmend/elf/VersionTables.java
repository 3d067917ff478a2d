package dev.elfmend.elf;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The GNU symbol-versioning tables: what versions a file needs from which library (.gnu.version_r)
 * and which versions it defines (.gnu.version_d), plus the version index each entry carries so
 * .gnu.version can be decoded. Walks are bounded by the 15-bit version index space.
 */
final class VersionTables {

    static final int MAX_VERSIONS = 0x7fff;
    private static final int RECORD = 16;

    final List<VersionNeed> needs;
    final List<VersionDefinition> definitions;
    /** version index -> [name, file-or-null] */
    final Map<Integer, String[]> byIndex;
    /** Dynamic-string-table offsets of every verdef name (references the editor must not break). */
    final List<Long> definitionNameOffsets;

    private VersionTables(List<VersionNeed> needs, List<VersionDefinition> definitions, Map<Integer, String[]> byIndex,
                          List<Long> definitionNameOffsets) {
        this.definitionNameOffsets = definitionNameOffsets;
        this.needs = needs;
        this.definitions = definitions;
        this.byIndex = byIndex;
    }

    static VersionTables read(FileInput in, ElfHeader h, DynamicInfo dynamic, AddressMap addresses)
            throws IOException {
        Map<Integer, String[]> byIndex = new HashMap<>();
        List<VersionNeed> needs = readNeeds(in, dynamic, addresses, byIndex);
        List<Long> nameOffsets = new ArrayList<>();
        List<VersionDefinition> defs = readDefinitions(in, dynamic, addresses, byIndex, nameOffsets);
        return new VersionTables(needs, defs, byIndex, List.copyOf(nameOffsets));
    }

    private static List<VersionNeed> readNeeds(FileInput in, DynamicInfo dynamic, AddressMap addresses,
                                               Map<Integer, String[]> byIndex) throws IOException {
        long address = dynamic.value(DynamicEntry.DT_VERNEED);
        if (address == -1) {
            return List.of();
        }
        long count = dynamic.value(DynamicEntry.DT_VERNEEDNUM);
        if (count < 0 || count > MAX_VERSIONS) {
            throw new ElfFormatException(dynamic.offset, "DT_VERNEEDNUM " + count + " is implausible");
        }
        requireStrings(dynamic, "version needs");
        long at = addresses.requireOffset(address, "DT_VERNEED", dynamic.offset);
        List<VersionNeed> out = new ArrayList<>();
        int auxTotal = 0;
        for (long i = 0; i < count; i++) {
            Region vn = in.region(at, RECORD, "version need entry");
            int auxCount = vn.u16(2);
            long fileNameOffset = vn.u32(4);
            String file = dynamic.strings.cString(fileNameOffset);
            long auxAt = at + vn.u32(8);
            List<NeededVersion> versions = new ArrayList<>();
            for (int k = 0; k < auxCount; k++) {
                if (++auxTotal > MAX_VERSIONS) {
                    throw new ElfFormatException(auxAt, "too many version need entries");
                }
                Region aux = in.region(auxAt, RECORD, "version need auxiliary entry");
                int other = aux.u16(6);
                long nameOffset = aux.u32(8);
                String name = dynamic.strings.cString(nameOffset);
                versions.add(new NeededVersion(name, aux.u32(0), aux.u16(4), other, auxAt, nameOffset));
                byIndex.put(other & MAX_VERSIONS, new String[] {name, file});
                long next = aux.u32(12);
                if (next == 0) {
                    break;
                }
                auxAt += next;
            }
            out.add(new VersionNeed(file, versions, at, fileNameOffset));
            long next = vn.u32(12);
            if (next == 0) {
                break;
            }
            at += next;
        }
        return List.copyOf(out);
    }

    private static List<VersionDefinition> readDefinitions(FileInput in, DynamicInfo dynamic, AddressMap addresses,
                                                           Map<Integer, String[]> byIndex, List<Long> nameOffsets)
            throws IOException {
        long address = dynamic.value(DynamicEntry.DT_VERDEF);
        if (address == -1) {
            return List.of();
        }
        long count = dynamic.value(DynamicEntry.DT_VERDEFNUM);
        if (count < 0 || count > MAX_VERSIONS) {
            throw new ElfFormatException(dynamic.offset, "DT_VERDEFNUM " + count + " is implausible");
        }
        requireStrings(dynamic, "version definitions");
        long at = addresses.requireOffset(address, "DT_VERDEF", dynamic.offset);
        List<VersionDefinition> out = new ArrayList<>();
        int auxTotal = 0;
        for (long i = 0; i < count; i++) {
            Region vd = in.region(at, 20, "version definition entry");
            int flags = vd.u16(2);
            int index = vd.u16(4);
            int auxCount = vd.u16(6);
            long hash = vd.u32(8);
            long auxAt = at + vd.u32(12);
            List<String> names = new ArrayList<>();
            for (int k = 0; k < auxCount; k++) {
                if (++auxTotal > MAX_VERSIONS) {
                    throw new ElfFormatException(auxAt, "too many version definition entries");
                }
                Region aux = in.region(auxAt, 8, "version definition auxiliary entry");
                nameOffsets.add(aux.u32(0));
                names.add(dynamic.strings.cString(aux.u32(0)));
                long next = aux.u32(4);
                if (next == 0) {
                    break;
                }
                auxAt += next;
            }
            VersionDefinition def = new VersionDefinition(index, flags, hash, names);
            out.add(def);
            if (!def.isBase() && !names.isEmpty()) {
                byIndex.put(index & MAX_VERSIONS, new String[] {names.get(0), null});
            }
            long next = vd.u32(16);
            if (next == 0) {
                break;
            }
            at += next;
        }
        return List.copyOf(out);
    }

    private static void requireStrings(DynamicInfo dynamic, String what) throws ElfFormatException {
        if (dynamic.strings == null) {
            throw new ElfFormatException(dynamic.offset, what + " present but the dynamic section has no string table");
        }
    }
}
