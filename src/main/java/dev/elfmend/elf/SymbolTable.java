package dev.elfmend.elf;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the dynamic symbol table and the version index of each symbol (.gnu.version), on demand.
 * The table length comes from the .dynsym section when there is one, else from DT_HASH or DT_GNU_HASH,
 * which is how the loader itself bounds it.
 */
final class SymbolTable {

    private final FileInput in;
    private final ElfHeader header;
    private final List<SectionHeader> sections;
    private final DynamicInfo dynamic;
    private final VersionTables versions;
    private final AddressMap addresses;

    SymbolTable(FileInput in, ElfHeader header, List<SectionHeader> sections, DynamicInfo dynamic,
                VersionTables versions, AddressMap addresses) {
        this.in = in;
        this.header = header;
        this.sections = sections;
        this.dynamic = dynamic;
        this.versions = versions;
        this.addresses = addresses;
    }

    List<DynamicSymbol> read() throws IOException {
        Region table = table();
        if (table == null) {
            return List.of();
        }
        ElfClass c = header.elfClass();
        int entry = c.symbolSize();
        long count = table.length() / entry;
        Region versym = null;
        long versymAddress = dynamic.value(DynamicEntry.DT_VERSYM);
        if (versymAddress != -1) {
            long versymOffset = addresses.requireOffset(versymAddress, "DT_VERSYM", dynamic.offset);
            versym = in.region(versymOffset, count * 2, "symbol version table");
        }
        // Every name is wanted, in hash order rather than table order: read the table whole this once.
        Region strings = in.region(dynamic.strings.base(), dynamic.strings.length(), "dynamic string table");
        List<DynamicSymbol> out = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            long at = (long) i * entry;
            long nameIndex = table.u32(at);
            long value;
            long size;
            int info;
            int shndx;
            if (c == ElfClass.ELF64) {
                info = table.u8(at + 4);
                shndx = table.u16(at + 6);
                value = table.u64(at + 8);
                size = table.u64(at + 16);
            } else {
                value = table.u32(at + 4);
                size = table.u32(at + 8);
                info = table.u8(at + 12);
                shndx = table.u16(at + 14);
            }
            String name = strings.cString(nameIndex);
            String version = null;
            String file = null;
            boolean hidden = false;
            if (versym != null) {
                int v = versym.u16((long) i * 2);
                hidden = (v & 0x8000) != 0;
                String[] binding = versions.byIndex.get(v & VersionTables.MAX_VERSIONS);
                if (binding != null && (v & VersionTables.MAX_VERSIONS) > 1) {
                    version = binding[0];
                    file = binding[1];
                }
            }
            out.add(new DynamicSymbol(i, name, nameIndex, value, size, info >> 4, info & 0xf, shndx, version, file, hidden));
        }
        return List.copyOf(out);
    }

    /** The string-table offset of each symbol's name, without reading the names. */
    long[] nameOffsets() throws IOException {
        Region table = table();
        if (table == null) {
            return new long[0];
        }
        int entry = header.elfClass().symbolSize();
        long[] out = new long[table.length() / entry];
        for (int i = 0; i < out.length; i++) {
            out[i] = table.u32((long) i * entry);
        }
        return out;
    }

    /** The symbol entries, or null when the file has none. */
    private Region table() throws IOException {
        long address = dynamic.value(DynamicEntry.DT_SYMTAB);
        if (address == -1 || dynamic.strings == null) {
            return null;
        }
        long offset = addresses.requireOffset(address, "DT_SYMTAB", dynamic.offset);
        long count = count(address);
        if (count <= 0) {
            return null;
        }
        int entry = header.elfClass().symbolSize();
        if (count > FileInput.MAX_REGION / entry) {
            throw new ElfFormatException(offset, "dynamic symbol table with " + count + " entries is implausible");
        }
        return in.region(offset, count * entry, "dynamic symbol table");
    }

    private long count(long address) throws IOException {
        SectionHeader s = addresses.sectionAt(address, SectionHeader.SHT_DYNSYM);
        if (s != null && s.entsize() > 0) {
            return s.size() / s.entsize();
        }
        for (SectionHeader candidate : sections) {
            if (candidate.type() == SectionHeader.SHT_DYNSYM && candidate.entsize() > 0) {
                return candidate.size() / candidate.entsize();
            }
        }
        long hash = dynamic.value(DynamicEntry.DT_HASH);
        if (hash != -1) {
            return in.region(addresses.requireOffset(hash, "DT_HASH", dynamic.offset), 8, "hash table header").u32(4);
        }
        long gnuHash = dynamic.value(DynamicEntry.DT_GNU_HASH);
        if (gnuHash != -1) {
            return gnuHashCount(addresses.requireOffset(gnuHash, "DT_GNU_HASH", dynamic.offset));
        }
        return 0;
    }

    /** Symbol count implied by a GNU hash table: one past the last symbol of the longest-indexed chain. */
    private long gnuHashCount(long offset) throws IOException {
        Region head = in.region(offset, 16, "GNU hash header");
        long buckets = head.u32(0);
        long symOffset = head.u32(4);
        long bloomWords = head.u32(8);
        long bucketsAt = offset + 16 + bloomWords * header.elfClass().wordSize();
        if (buckets > FileInput.MAX_REGION / 4 || bloomWords > FileInput.MAX_REGION / 8) {
            throw new ElfFormatException(offset, "GNU hash table sizes are implausible");
        }
        Region bucketTable = in.region(bucketsAt, buckets * 4, "GNU hash buckets");
        long last = 0;
        for (long i = 0; i < buckets; i++) {
            last = Math.max(last, bucketTable.u32(i * 4));
        }
        if (last < symOffset) {
            return symOffset;
        }
        long chainsAt = bucketsAt + buckets * 4;
        // A table with more symbols is refused anyway; stop walking a chain without an end bit there
        // rather than at the end of a file that may be gigabytes of zeros.
        long maxSymbols = FileInput.MAX_REGION / header.elfClass().symbolSize();
        long index = last;
        while (true) {
            long at = chainsAt + (index - symOffset) * 4;
            if (index >= maxSymbols) {
                throw new ElfFormatException(at, "GNU hash chain has no end within " + maxSymbols + " symbols");
            }
            Region block = in.regionUpTo(at, 4096, "GNU hash chains");
            if (block.length() < 4) {
                throw new ElfFormatException(at, "GNU hash chain runs past the end of the file");
            }
            for (int k = 0; k + 4 <= block.length(); k += 4) {
                if ((block.u32(k) & 1) != 0) {
                    return index + 1;
                }
                index++;
            }
        }
    }
}
