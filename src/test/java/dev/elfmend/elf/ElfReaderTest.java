package dev.elfmend.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Requirements;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the reader tells about files whose every detail we chose. */
class ElfReaderTest {

    @TempDir
    Path temp;

    @Test
    void pthreadSigmaskIsTheSymbolThatNeedsGlibc232() throws IOException {
        ElfFile elf = read(Fixtures.glibcVersioned());
        Map<String, List<String>> libc = elf.symbolsByNeededVersion().get("libc.so.6");
        assertEquals(List.of("pthread_sigmask"), libc.get("GLIBC_2.32"));
        DynamicSymbol symbol = elf.dynamicSymbols().stream().filter(s -> s.name().equals("pthread_sigmask"))
                .findFirst().orElseThrow();
        assertEquals("GLIBC_2.32", symbol.version());
        assertEquals("libc.so.6", symbol.versionFile());
        assertFalse(symbol.isDefined());
    }

    @Test
    void versionedUserNeedsBothLibraryVersionsForTheSymbolsBoundToThem() throws IOException {
        ElfFile elf = read(Fixtures.versionedUser());
        Map<String, List<String>> libver = elf.symbolsByNeededVersion().get("libver.so.1");
        assertEquals(Map.of("LIBVER_1.0", List.of("ver_one"), "LIBVER_2.0", List.of("ver_both", "ver_two")), libver);
        VersionNeed need = elf.versionNeeds().stream().filter(n -> n.file().equals("libver.so.1")).findFirst()
                .orElseThrow();
        assertEquals(2, need.versions().size());
        need.versions().forEach(v -> assertTrue(v.other() > 1, "version index of " + v));
    }

    @Test
    void versionedLibraryDefinesItsVersionsWithTheirParentsAndHidesTheOldVerBoth() throws IOException {
        ElfFile elf = read(Fixtures.versionedLibrary());
        assertEquals(List.of(List.of("libver.so.1"), List.of("LIBVER_1.0"), List.of("LIBVER_2.0", "LIBVER_1.0")),
                elf.versionDefinitions().stream().map(VersionDefinition::names).toList());
        assertTrue(elf.versionDefinitions().getFirst().isBase());
        List<String> both = elf.dynamicSymbols().stream().filter(s -> s.name().equals("ver_both"))
                .map(s -> s.version() + (s.hidden() ? " hidden" : " default")).sorted().toList();
        assertEquals(List.of("LIBVER_1.0 hidden", "LIBVER_2.0 default"), both);
        assertEquals(Optional.of("libver.so.1"), elf.soname());
    }

    @ParameterizedTest
    @ValueSource(strings = {"runpath", "rpath", "versioned-user", "versioned-library", "pie-32"})
    void withoutSectionHeadersEverythingStillComesThroughTheProgramHeaders(String which) throws IOException {
        Path file = switch (which) {
            case "runpath" -> Fixtures.compile("hello", Fixtures.Variant.RUNPATH);
            case "rpath" -> Fixtures.compile("hello", Fixtures.Variant.RPATH);
            case "versioned-user" -> Fixtures.versionedUser();
            case "versioned-library" -> Fixtures.versionedLibrary();
            default -> Fixtures.compile("hello", Fixtures.Variant.PIE_32);
        };
        assertSameWithoutSections(file);
    }

    @Test
    void withoutSectionHeadersTheSysvHashTableCountsTheSymbols() throws IOException {
        Requirements.requireTool("gcc");
        Path file = temp.resolve("sysv-hash");
        Processes.runOk("gcc", "-Wl,--hash-style=sysv", "-o", file.toString(), "src/test/c/sigmask.c");
        ElfFile elf = read(file);
        assertTrue(elf.dynamicValue(DynamicEntry.DT_HASH).isPresent());
        assertFalse(elf.dynamicValue(DynamicEntry.DT_GNU_HASH).isPresent());
        assertSameWithoutSections(file);
    }

    @Test
    void withoutSectionHeadersTheGnuHashTableCountsTheSymbols() throws IOException {
        Path file = Fixtures.versionedLibrary();
        ElfFile elf = read(file);
        assertTrue(elf.dynamicValue(DynamicEntry.DT_GNU_HASH).isPresent());
        assertFalse(elf.dynamicValue(DynamicEntry.DT_HASH).isPresent());
        assertSameWithoutSections(file);
    }

    @Test
    void buildIdAndAbiTagNotesAreRead() throws IOException {
        ElfFile elf = read(Fixtures.compile("hello", Fixtures.Variant.PIE));
        assertEquals(40, elf.buildId().orElseThrow().length());
        Note abiTag = elf.notes().stream().filter(Note::isAbiTag).findFirst().orElseThrow();
        assertEquals(".note.ABI-tag", abiTag.where());
        assertEquals(16, abiTag.descSize());
    }

    @Test
    void dlopenMetadataNoteIsRead() throws IOException {
        String json = "[{\"feature\":\"zlib\",\"soname\":[\"libz.so.1\"],\"priority\":\"recommended\"}]";
        Path source = temp.resolve("dlopen.c");
        Files.writeString(source, """
                #define JSON %s
                __attribute__((section(".note.dlopen"), used, aligned(4)))
                static const struct {
                    unsigned int namesz, descsz, type;
                    char name[4];
                    char desc[(sizeof(JSON) + 3) / 4 * 4];
                } note = {4, sizeof(JSON), 0x407c0c0a, "FDO", JSON};
                int answer(void) { return 42; }
                """.formatted("\"" + json.replace("\"", "\\\"") + "\""));
        Path library = temp.resolve("libdlopen.so");
        Requirements.requireTool("gcc");
        Processes.runOk("gcc", "-shared", "-fPIC", "-o", library.toString(), source.toString());
        assertEquals(List.of(json), read(library).dlopenMetadata());
    }

    @Test
    void bytesAppendedAfterTheLastStructureAreTheTrailingPayload() throws IOException {
        Path original = Fixtures.compile("hello", Fixtures.Variant.PIE);
        Path withPayload = temp.resolve("hello-with-payload");
        Files.copy(original, withPayload);
        Files.write(withPayload, new byte[12345], StandardOpenOption.APPEND);
        ElfFile elf = read(withPayload);
        assertEquals(Files.size(original), elf.contentEnd());
        assertEquals(12345, elf.trailingPayloadSize());
        assertEquals(0, read(original).trailingPayloadSize());
    }

    @Test
    void aLoadSegmentStartingWithTheElfmendMarkIsRecognised() throws IOException {
        SyntheticElf plain = new SyntheticElf();
        assertFalse(ElfReader.read(ByteSources.of(plain.bytes())).hasElfmendSegment());
        SyntheticElf marked = new SyntheticElf().segment(ProgramHeader.PT_LOAD, SyntheticElf.TABLES, 64);
        for (int i = 0; i < ElfmendSegment.MAGIC.length; i++) {
            marked.u8(SyntheticElf.TABLES + i, ElfmendSegment.MAGIC[i]);
        }
        assertTrue(ElfReader.read(ByteSources.of(marked.bytes())).hasElfmendSegment());
    }

    @Test
    void elfMagicIsRecognisedFromTheFirstFourBytes() {
        assertTrue(ElfReader.hasElfMagic(new byte[] {0x7f, 'E', 'L', 'F', 2}, 4));
        assertFalse(ElfReader.hasElfMagic(new byte[] {0x7f, 'E', 'L', 'F'}, 3));
        assertFalse(ElfReader.hasElfMagic("#!/bin/sh".getBytes(), 9));
    }

    @Test
    void machinesHaveTheirShortNames() {
        Map<Integer, String> names64 = Map.ofEntries(Map.entry(Machine.EM_X86_64, "x86_64"),
                Map.entry(Machine.EM_AARCH64, "aarch64"), Map.entry(Machine.EM_PPC64, "ppc64"),
                Map.entry(Machine.EM_S390, "s390x"), Map.entry(Machine.EM_RISCV, "riscv"),
                Map.entry(Machine.EM_LOONGARCH, "loongarch"), Map.entry(Machine.EM_SPARCV9, "sparc64"),
                Map.entry(Machine.EM_MIPS, "mips64"));
        names64.forEach((code, name) -> assertEquals(name, Machine.of(code, ElfClass.ELF64).name()));
        Map<Integer, String> names32 = Map.of(Machine.EM_386, "i386", Machine.EM_ARM, "arm", Machine.EM_PPC, "ppc",
                Machine.EM_S390, "s390", Machine.EM_MIPS, "mips", Machine.EM_SPARC, "sparc");
        names32.forEach((code, name) -> assertEquals(name, Machine.of(code, ElfClass.ELF32).name()));
        assertEquals("em_4660", Machine.of(4660, ElfClass.ELF64).name());
    }

    private static void assertSameWithoutSections(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ElfFile whole = ElfReader.read(ByteSources.of(bytes));
        ElfFile stripped = ElfReader.read(TestSources.withoutSectionHeaders(ByteSources.of(bytes),
                whole.header().elfClass()));
        assertTrue(stripped.sectionHeaders().isEmpty());
        assertEquals(whole.interpreter(), stripped.interpreter());
        assertEquals(whole.needed(), stripped.needed());
        assertEquals(whole.runPath(), stripped.runPath());
        assertEquals(whole.rPath(), stripped.rPath());
        assertEquals(whole.soname(), stripped.soname());
        assertEquals(whole.versionNeeds(), stripped.versionNeeds());
        assertEquals(whole.versionDefinitions(), stripped.versionDefinitions());
        assertEquals(whole.linkKind(), stripped.linkKind());
        assertEquals(whole.buildId(), stripped.buildId(), "notes come from PT_NOTE");
        assertEquals(whole.dynamicSymbols(), stripped.dynamicSymbols(), "symbol count from the hash table");
        assertEquals(whole.symbolsByNeededVersion(), stripped.symbolsByNeededVersion());
    }

    private static ElfFile read(Path file) throws IOException {
        return ElfReader.read(ByteSources.of(Files.readAllBytes(file)));
    }
}
