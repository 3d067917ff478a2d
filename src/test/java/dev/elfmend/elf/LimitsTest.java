package dev.elfmend.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Hand-built files whose headers claim absurd counts, sizes and chains: each gives one
 * {@link ElfFormatException} naming the reason and the offset, quickly and without allocating more
 * than a few megabytes (the claims would need gigabytes, or would never end).
 */
class LimitsTest {

    private static final long FOUR_GIB = 4L << 30;
    private static final long ALLOCATION_LIMIT = 16 << 20;

    @Test
    void theHandBuiltFileIsValidWhenNothingIsAbsurd() throws Exception {
        SyntheticElf elf = new SyntheticElf();
        int libc = elf.string("libc.so.6");
        int glibc = elf.string("GLIBC_2.34");
        elf.dynamic(DynamicEntry.DT_NEEDED, libc)
                .dynamic(DynamicEntry.DT_SONAME, elf.string("libsynthetic.so.1"))
                .dynamic(DynamicEntry.DT_RUNPATH, elf.string("$ORIGIN"))
                .dynamic(DynamicEntry.DT_VERNEED, SyntheticElf.TABLES)
                .dynamic(DynamicEntry.DT_VERNEEDNUM, 1);
        verneed(elf, SyntheticElf.TABLES, 1, libc, 16, 0);
        vernaux(elf, SyntheticElf.TABLES + 16, glibc, 2, 0);
        ElfFile file = ElfReader.read(ByteSources.of(elf.bytes()));
        assertEquals(List.of("libc.so.6"), file.needed());
        assertEquals(Optional.of("libsynthetic.so.1"), file.soname());
        assertEquals(Optional.of("$ORIGIN"), file.runPath());
        assertEquals(List.of("GLIBC_2.34"), file.versionNeeds().getFirst().versionNames());
        assertEquals(LinkKind.SHARED_OBJECT, file.linkKind());
    }

    @Test
    void sectionCountOfTwoToTheThirtyTwoMinusOneIsRefused() {
        SyntheticElf elf = new SyntheticElf();
        elf.u64(40, SyntheticElf.TABLES);       // e_shoff
        elf.u16(60, 0);                         // e_shnum 0: the count is in section 0's sh_size
        elf.u64(SyntheticElf.TABLES + 32, 0xffffffffL);
        ElfFormatException e = refused(ByteSources.of(elf.bytes()));
        assertReason(e, "section header table with 4294967295 entries");
        assertEquals(SyntheticElf.TABLES, e.offset());
    }

    @Test
    void sectionCountThatFitsAHugeSparseFileIsStillRefusedBeforeAllocating() {
        SyntheticElf elf = new SyntheticElf();
        elf.u64(40, SyntheticElf.TABLES);
        elf.u16(60, 0);
        elf.u64(SyntheticElf.TABLES + 32, 0xffffffffL);
        // 2^32 - 1 headers of 64 bytes fit in a 1 TiB file: only the size cap stops them.
        ElfFormatException e = refused(TestSources.zeroPadded(elf.bytes(), 1L << 40));
        assertReason(e, "implausibly large");
        assertEquals(SyntheticElf.TABLES, e.offset());
    }

    @Test
    void maximumDirectSectionCountBeyondTheFileIsRefused() {
        SyntheticElf elf = new SyntheticElf();
        elf.u64(40, SyntheticElf.TABLES);
        elf.u16(60, 0xfffe);
        ElfFormatException e = refused(ByteSources.of(elf.bytes()));
        assertReason(e, "section header table with 65534 entries of 64 bytes does not fit");
        assertEquals(SyntheticElf.TABLES, e.offset());
    }

    @Test
    void extendedProgramHeaderCountIsRefused() {
        SyntheticElf elf = new SyntheticElf();
        elf.u16(56, 0xffff);                    // PN_XNUM: the count is in section 0's sh_info
        elf.u64(40, SyntheticElf.TABLES);
        elf.u16(60, 1);
        elf.u32(SyntheticElf.TABLES + 44, 0xffffffffL);
        ElfFormatException e = refused(TestSources.zeroPadded(elf.bytes(), FOUR_GIB));
        assertReason(e, "program header table with 4294967295 entries");
        assertEquals(SyntheticElf.PHDRS, e.offset());
    }

    @Test
    void absurdProgramHeaderCountIsRefused() {
        SyntheticElf elf = new SyntheticElf();
        elf.u16(56, 0xfffe);
        ElfFormatException e = refused(ByteSources.of(elf.bytes()));
        assertReason(e, "program header table with 65534 entries of 56 bytes does not fit");
        assertEquals(SyntheticElf.PHDRS, e.offset());
    }

    @Test
    void programHeaderTableOffsetPastTheEndIsRefused() {
        SyntheticElf elf = new SyntheticElf();
        elf.u64(32, 0x7fff_ffff_ffff_0000L);
        ElfFormatException e = refused(ByteSources.of(elf.bytes()));
        assertReason(e, "does not fit in the file");
        assertEquals(0x7fff_ffff_ffff_0000L, e.offset());
    }

    @Test
    void wrongProgramHeaderEntrySizeIsRefused() {
        SyntheticElf elf = new SyntheticElf();
        elf.u16(54, 7);
        ElfFormatException e = refused(ByteSources.of(elf.bytes()));
        assertReason(e, "program header size 7 is not 56");
        assertEquals(54, e.offset(), "e_phentsize");
    }

    @Test
    void wrongSectionHeaderEntrySizeIsRefused() {
        SyntheticElf elf = new SyntheticElf();
        elf.u64(40, SyntheticElf.TABLES).u16(60, 2).u16(58, 1000);
        ElfFormatException e = refused(ByteSources.of(elf.bytes()));
        assertReason(e, "section header size 1000 is not 64");
        assertEquals(58, e.offset(), "e_shentsize");
    }

    @Test
    void sectionNameTableIndexOutsideTheSectionsIsRefused() {
        SyntheticElf elf = new SyntheticElf();
        elf.u64(40, SyntheticElf.TABLES).u16(60, 2).u16(62, 9);
        ElfFormatException e = refused(ByteSources.of(elf.bytes()));
        assertReason(e, "section name table index 9 is outside the 2 sections");
        assertEquals(62, e.offset(), "e_shstrndx");
    }

    @Test
    void stringTableLargerThanTheFileIsRefused() {
        SyntheticElf elf = new SyntheticElf().withoutStringTable();
        elf.dynamic(DynamicEntry.DT_STRTAB, SyntheticElf.STRINGS).dynamic(DynamicEntry.DT_STRSZ, 1L << 40)
                .dynamic(DynamicEntry.DT_NEEDED, 0);
        ElfFormatException e = refused(ByteSources.of(elf.bytes()));
        assertReason(e, "dynamic string table (1099511627776 bytes at 0x1000) extends past the end of the file");
        assertEquals(SyntheticElf.STRINGS, e.offset());
    }

    @Test
    void stringTableOfGigabytesInsideAHugeFileIsRefusedBeforeAllocating() {
        SyntheticElf elf = new SyntheticElf().withoutStringTable();
        elf.dynamic(DynamicEntry.DT_STRTAB, SyntheticElf.STRINGS).dynamic(DynamicEntry.DT_STRSZ, 3L << 30)
                .dynamic(DynamicEntry.DT_NEEDED, 0);
        // The single PT_LOAD must reach the table, so it spans the huge file.
        byte[] head = elf.bytes();
        ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(SyntheticElf.PHDRS + 32, FOUR_GIB).putLong(SyntheticElf.PHDRS + 40, FOUR_GIB);
        ElfFormatException e = refused(TestSources.zeroPadded(head, FOUR_GIB));
        assertReason(e, "dynamic string table is implausibly large (3221225472 bytes)");
        assertEquals(SyntheticElf.STRINGS, e.offset());
    }

    @Test
    void dynamicSectionLargerThanTheFileIsRefused() {
        SyntheticElf elf = new SyntheticElf();
        byte[] bytes = elf.bytes();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(SyntheticElf.PHDRS + 56 + 32, 1L << 60);
        ElfFormatException e = refused(ByteSources.of(bytes));
        assertReason(e, "dynamic section");
        assertEquals(SyntheticElf.DYNAMIC, e.offset());
    }

    @Test
    void stringTableAddressOutsideEverySegmentIsRefused() {
        SyntheticElf elf = new SyntheticElf().withoutStringTable();
        elf.dynamic(DynamicEntry.DT_STRTAB, 0x7000_0000L).dynamic(DynamicEntry.DT_STRSZ, 16);
        ElfFormatException e = refused(ByteSources.of(elf.bytes()));
        assertReason(e, "DT_STRTAB address 0x70000000 is not inside any loaded segment");
        assertEquals(SyntheticElf.DYNAMIC, e.offset(), "the dynamic section that names it");
    }

    @Test
    void versionNeedAddressOutsideEverySegmentIsRefused() {
        SyntheticElf elf = new SyntheticElf();
        elf.dynamic(DynamicEntry.DT_VERNEED, 1L << 40).dynamic(DynamicEntry.DT_VERNEEDNUM, 1);
        ElfFormatException e = refused(ByteSources.of(elf.bytes()));
        assertReason(e, "DT_VERNEED address 0x10000000000 is not inside any loaded segment");
        assertEquals(SyntheticElf.DYNAMIC, e.offset());
    }

    @Test
    void absurdVersionNeedCountIsRefused() {
        SyntheticElf elf = new SyntheticElf();
        elf.dynamic(DynamicEntry.DT_VERNEED, SyntheticElf.TABLES).dynamic(DynamicEntry.DT_VERNEEDNUM, 0x7fffffffL);
        ElfFormatException e = refused(ByteSources.of(elf.bytes()));
        assertReason(e, "DT_VERNEEDNUM 2147483647 is implausible");
        assertEquals(SyntheticElf.DYNAMIC, e.offset());
    }

    @Test
    void versionNeedChainPointingBackwardsIsRefusedNotFollowedInACircle() {
        SyntheticElf elf = new SyntheticElf();
        int lib = elf.string("libc.so.6");
        elf.dynamic(DynamicEntry.DT_VERNEED, SyntheticElf.TABLES).dynamic(DynamicEntry.DT_VERNEEDNUM, 0x7fff);
        // vn_next = -16 as a signed word: a reader that took it as signed would loop over the same entry.
        verneed(elf, SyntheticElf.TABLES, 0, lib, 16, 0xfffffff0L);
        verneed(elf, SyntheticElf.TABLES + 16, 0, lib, 16, 0xfffffff0L);
        ElfFormatException e = refused(ByteSources.of(elf.bytes()));
        assertReason(e, "version need entry");
        assertEquals(SyntheticElf.TABLES + 0xfffffff0L, e.offset());
    }

    @Test
    void versionNeedAuxiliaryChainPointingBackwardsIsRefused() {
        SyntheticElf elf = new SyntheticElf();
        int lib = elf.string("libc.so.6");
        int version = elf.string("GLIBC_2.2.5");
        elf.dynamic(DynamicEntry.DT_VERNEED, SyntheticElf.TABLES).dynamic(DynamicEntry.DT_VERNEEDNUM, 1);
        verneed(elf, SyntheticElf.TABLES, 0xffff, lib, 16, 0);
        vernaux(elf, SyntheticElf.TABLES + 16, version, 2, 0xfffffff0L);
        ElfFormatException e = refused(ByteSources.of(elf.bytes()));
        assertReason(e, "version need auxiliary entry");
        assertEquals(SyntheticElf.TABLES + 16 + 0xfffffff0L, e.offset());
    }

    @Test
    void versionNeedChainsOverlappingThemselvesStopAtTheVersionIndexLimit() {
        SyntheticElf elf = new SyntheticElf();
        elf.dynamic(DynamicEntry.DT_VERNEED, SyntheticElf.TABLES).dynamic(DynamicEntry.DT_VERNEEDNUM, 1);
        // 65535 auxiliaries, each 16 bytes after the last: more than the 15-bit version index allows.
        verneed(elf, SyntheticElf.TABLES, 0xffff, 0, 16, 0);
        ElfFormatException e = refused(auxChain(elf));
        assertReason(e, "too many version need entries");
    }

    @Test
    void versionDefinitionChainPointingBackwardsIsRefused() {
        SyntheticElf elf = new SyntheticElf();
        int name = elf.string("LIB_1.0");
        elf.dynamic(DynamicEntry.DT_VERDEF, SyntheticElf.TABLES).dynamic(DynamicEntry.DT_VERDEFNUM, 0x7fff);
        int at = SyntheticElf.TABLES;
        elf.u16(at, 1).u16(at + 2, 0).u16(at + 4, 2).u16(at + 6, 1).u32(at + 8, 0).u32(at + 12, 20)
                .u32(at + 16, 0xffffffecL);
        elf.u32(at + 20, name).u32(at + 24, 0);
        ElfFormatException e = refused(ByteSources.of(elf.bytes()));
        assertReason(e, "version definition entry");
        assertEquals(at + 0xffffffecL, e.offset());
    }

    @Test
    void absurdVersionDefinitionCountIsRefused() {
        SyntheticElf elf = new SyntheticElf();
        elf.dynamic(DynamicEntry.DT_VERDEF, SyntheticElf.TABLES).dynamic(DynamicEntry.DT_VERDEFNUM, 1L << 40);
        assertReason(refused(ByteSources.of(elf.bytes())), "DT_VERDEFNUM 1099511627776 is implausible");
    }

    @Test
    void gnuHashChainRunningOffTheEndIsRefused() {
        SyntheticElf elf = gnuHashed(1, 1);
        ElfFormatException e = refusedSymbols(ByteSources.of(elf.bytes()));
        assertReason(e, "GNU hash chain");
    }

    @Test
    void gnuHashChainWithoutEndInAHugeSparseFileIsRefusedQuickly() {
        SyntheticElf elf = gnuHashed(1, 1);
        byte[] head = elf.bytes();
        ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(SyntheticElf.PHDRS + 32, FOUR_GIB).putLong(SyntheticElf.PHDRS + 40, FOUR_GIB);
        // 4 GiB of zeros: a chain whose end bit never comes. Walking it would read the whole file.
        ElfFormatException e = refusedSymbols(TestSources.zeroPadded(head, FOUR_GIB));
        assertReason(e, "GNU hash chain has no end within");
    }

    @Test
    void gnuHashBucketPointingFarBeyondTheFileIsRefused() {
        SyntheticElf elf = gnuHashed(1, 0xfffffff0L);
        assertReason(refusedSymbols(ByteSources.of(elf.bytes())), "GNU hash chain");
    }

    @Test
    void gnuHashWithAbsurdBucketCountIsRefused() {
        SyntheticElf elf = gnuHashed(1, 1);
        elf.u32(SyntheticElf.TABLES, 0xffffffffL);
        assertReason(refusedSymbols(ByteSources.of(elf.bytes())), "GNU hash table sizes are implausible");
    }

    @Test
    void sysvHashClaimingBillionsOfSymbolsIsRefused() {
        SyntheticElf elf = new SyntheticElf();
        elf.dynamic(DynamicEntry.DT_SYMTAB, 0x3000).dynamic(DynamicEntry.DT_HASH, SyntheticElf.TABLES);
        elf.u32(SyntheticElf.TABLES, 1).u32(SyntheticElf.TABLES + 4, 0xffffffffL);
        assertReason(refusedSymbols(ByteSources.of(elf.bytes())),
                "dynamic symbol table with 4294967295 entries is implausible");
    }

    @Test
    void interpreterOfAMegabyteIsRefused() {
        SyntheticElf elf = new SyntheticElf().segment(ProgramHeader.PT_INTERP, SyntheticElf.NOTES, 1 << 20);
        ElfFormatException e = refused(ByteSources.of(elf.bytes()));
        assertReason(e, "PT_INTERP has implausible size 1048576");
        assertEquals(SyntheticElf.NOTES, e.offset());
    }

    @Test
    void interpreterWithoutTerminatorIsRefused() {
        SyntheticElf elf = new SyntheticElf().segment(ProgramHeader.PT_INTERP, SyntheticElf.NOTES, 8);
        for (int i = 0; i < 8; i++) {
            elf.u8(SyntheticElf.NOTES + i, 'x');
        }
        assertReason(refused(ByteSources.of(elf.bytes())), "unterminated string in interpreter");
    }

    @Test
    void noteClaimingFourGigabytesOfNameIsRefused() {
        SyntheticElf elf = new SyntheticElf().segment(ProgramHeader.PT_NOTE, SyntheticElf.NOTES, 32);
        elf.u32(SyntheticElf.NOTES, 0xffffffffL).u32(SyntheticElf.NOTES + 4, 4).u32(SyntheticElf.NOTES + 8, 3);
        ElfFormatException e = refused(ByteSources.of(elf.bytes()));
        assertReason(e, "extends past its area");
        assertEquals(SyntheticElf.NOTES, e.offset());
    }

    @Test
    void noteAreaOfZerosIsBounded() {
        SyntheticElf elf = new SyntheticElf().segment(ProgramHeader.PT_NOTE, SyntheticElf.NOTES, 0x400);
        byte[] head = elf.bytes();
        ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(SyntheticElf.PHDRS + 2 * 56 + 32, 1 << 20);
        // A megabyte of empty notes: 87381 of them, more than any real file has.
        ElfFormatException e = refused(TestSources.zeroPadded(head, 2 << 20));
        assertReason(e, "too many notes");
    }

    private static void verneed(SyntheticElf elf, int at, int count, int file, long aux, long next) {
        elf.u16(at, 1).u16(at + 2, count).u32(at + 4, file).u32(at + 8, aux).u32(at + 12, next);
    }

    private static void vernaux(SyntheticElf elf, int at, int name, int other, long next) {
        elf.u32(at, 0).u16(at + 4, 0).u16(at + 6, other).u32(at + 8, name).u32(at + 12, next);
    }

    /** A file whose one version need has 65535 auxiliaries, each pointing 16 bytes on (a lazy source, not 1 MB). */
    private static ByteSource auxChain(SyntheticElf elf) {
        byte[] head = elf.bytes();
        long auxStart = SyntheticElf.TABLES + 16;
        long size = auxStart + 16L * 0x10000;
        return new ByteSource() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public void readFully(long position, byte[] dst, int off, int len) throws IOException {
                TestSources.zeroPadded(head, size).readFully(position, dst, off, len);
                for (int i = 0; i < len; i++) {
                    long at = position + i;
                    if (at >= auxStart && (at - auxStart) % 16 == 12) {
                        dst[off + i] = 16; // vna_next, low byte
                    }
                }
            }
        };
    }

    /** No sections, DT_SYMTAB and DT_GNU_HASH with one bucket pointing at {@code firstSymbol}; chains all zero. */
    private static SyntheticElf gnuHashed(long symOffset, long firstSymbol) {
        SyntheticElf elf = new SyntheticElf();
        elf.dynamic(DynamicEntry.DT_SYMTAB, 0x3000).dynamic(DynamicEntry.DT_GNU_HASH, SyntheticElf.TABLES);
        int at = SyntheticElf.TABLES;
        elf.u32(at, 1).u32(at + 4, symOffset).u32(at + 8, 1).u32(at + 12, 6);
        elf.u64(at + 16, -1L);               // bloom
        elf.u32(at + 24, firstSymbol);       // bucket 0
        return elf;
    }

    /** Parses {@code source}, expecting a format error, within a second and a few megabytes. */
    private static ElfFormatException refused(ByteSource source) {
        return bounded(() -> ElfReader.read(source));
    }

    /** Parses {@code source} and reads its dynamic symbols, expecting a format error there. */
    private static ElfFormatException refusedSymbols(ByteSource source) {
        return bounded(() -> ElfReader.read(source).dynamicSymbols());
    }

    private static ElfFormatException bounded(Executable parse) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        return assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            long before = threads.getCurrentThreadAllocatedBytes();
            long start = System.nanoTime();
            ElfFormatException e = assertThrows(ElfFormatException.class, parse);
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(allocated < ALLOCATION_LIMIT, "allocated " + allocated + " bytes to refuse: " + e.getMessage());
            assertTrue(millis < 1000, "took " + millis + " ms to refuse: " + e.getMessage());
            return e;
        });
    }

    private static void assertReason(ElfFormatException e, String expected) {
        assertTrue(e.reason().contains(expected), "reason '" + e.reason() + "' should contain '" + expected + "'");
        if (e.offset() >= 0) {
            assertTrue(e.getMessage().contains("at offset 0x" + Long.toHexString(e.offset())), e.getMessage());
        }
    }
}
