package dev.elfmend.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.Readelf.DynamicSymbol;
import dev.elfmend.testing.Readelf.NeededVersion;
import dev.elfmend.testing.Readelf.Segment;
import dev.elfmend.testing.Readelf.VersionDefinition;
import dev.elfmend.testing.Readelf.VersionNeed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ReadelfTest {

    @Test
    void headerOfAPieSaysDynAndCountsItsProgramHeaders() {
        Path pie = Fixtures.compile("hello", Fixtures.Variant.PIE);
        Readelf.Header header = Readelf.header(pie);
        assertEquals("ELF64", header.elfClass());
        assertEquals("DYN", header.type());
        assertTrue(header.littleEndian());
        assertEquals(64, header.phoff());
        assertEquals(Readelf.programHeaders(pie).segments().size(), header.phnum());
        assertTrue(header.entry() > 0 && header.shoff() > 0 && header.shnum() > header.shstrndx());
    }

    @Test
    void programHeadersGiveTheInterpreterThatExistsOnThisHost() {
        Readelf.ProgramHeaders headers = Readelf.programHeaders(Fixtures.compile("hello", Fixtures.Variant.NO_PIE));
        String interpreter = headers.interpreter().orElseThrow();
        assertTrue(Files.exists(Path.of(interpreter)), interpreter);
        Segment interp = headers.ofType("INTERP").getFirst();
        assertEquals(interpreter.length() + 1, interp.filesz());
        assertEquals("R", interp.flags());
        assertTrue(headers.ofType("LOAD").stream().anyMatch(s -> s.flags().equals("RE")));
    }

    @Test
    void dynamicSectionGivesNeededAndSoname() {
        Fixtures.Chain chain = Fixtures.chain();
        Readelf.Dynamic libfoo = Readelf.dynamic(chain.libfoo());
        assertEquals(Optional.of("libfoo.so.1"), libfoo.soname());
        assertTrue(libfoo.needed().contains("libbar.so.1"), libfoo.needed().toString());
        assertEquals(Optional.empty(), libfoo.runpath());
        Readelf.Dynamic executable = Readelf.dynamic(chain.executable());
        assertEquals(List.of("libfoo.so.1", "libc.so.6"), executable.needed());
        assertTrue(executable.flags1().orElseThrow().contains("PIE"), executable.flags1().toString());
    }

    @Test
    void versionNeedsListTheVersionsNeededFromEachLibrary() {
        List<VersionNeed> needs = Readelf.versionNeeds(Fixtures.versionedUser());
        VersionNeed libver = needs.stream().filter(n -> n.file().equals("libver.so.1")).findFirst().orElseThrow();
        assertEquals(Set.of("LIBVER_1.0", "LIBVER_2.0"), Set.copyOf(libver.names()));
        assertTrue(needs.stream().anyMatch(n -> n.file().equals("libc.so.6")), needs.toString());
        Set<Integer> indexes = needs.stream().flatMap(n -> n.versions().stream()).map(NeededVersion::other)
                .collect(Collectors.toSet());
        assertEquals(needs.stream().mapToInt(n -> n.versions().size()).sum(), indexes.size(), "indexes are unique");
    }

    @Test
    void versionDefinitionsStartWithTheBaseAndKeepParents() {
        List<VersionDefinition> definitions = Readelf.versionDefinitions(Fixtures.versionedLibrary());
        assertEquals(List.of(
                new VersionDefinition(1, "BASE", "libver.so.1", List.of()),
                new VersionDefinition(2, "none", "LIBVER_1.0", List.of()),
                new VersionDefinition(3, "none", "LIBVER_2.0", List.of("LIBVER_1.0"))), definitions);
    }

    @Test
    void dynamicSymbolsTellHiddenFromDefaultVersions() {
        List<String> symbols = Readelf.dynamicSymbols(Fixtures.versionedLibrary()).stream()
                .filter(DynamicSymbol::defined).map(DynamicSymbol::versioned).toList();
        assertTrue(symbols.containsAll(List.of("ver_one@@LIBVER_1.0", "ver_two@@LIBVER_2.0",
                "ver_both@LIBVER_1.0", "ver_both@@LIBVER_2.0")), symbols.toString());
    }

    @Test
    void undefinedSymbolsCarryTheGlibcVersionTheyNeed() {
        Path sigmask = Fixtures.glibcVersioned();
        DynamicSymbol symbol = Readelf.dynamicSymbols(sigmask).stream()
                .filter(s -> s.name().equals("pthread_sigmask")).findFirst().orElseThrow();
        assertEquals("GLIBC_2.32", symbol.version());
        assertFalse(symbol.defined());
        assertTrue(Readelf.versionNeeds(sigmask).getFirst().names().contains("GLIBC_2.32"));
    }

    @Test
    void dynamicSymbolListKeepsEntryZeroSoIndexesMatch() {
        DynamicSymbol first = Readelf.dynamicSymbols(Fixtures.glibcVersioned()).getFirst();
        assertEquals(new DynamicSymbol("", "", false, "NOTYPE", "LOCAL", "DEFAULT", "UND"), first);
    }

    @Test
    void parsesPpc64LocalEntryVisibilityAndHexSizes() {
        String text = """
                Symbol table '.dynsym' contains 3 entries:
                   Num:    Value          Size Type    Bind   Vis      Ndx Name
                     0: 0000000000000000     0 NOTYPE  LOCAL  DEFAULT  UND\s
                     1: 0000000000000000     0 FUNC    GLOBAL DEFAULT [<localentry>: 8]   UND strtoll@GLIBC_2.17 (3)
                     2: 0000000015b746f8 0x1f92680 OBJECT  GLOBAL DEFAULT   25 big_table@@NODE_1
                """;
        List<DynamicSymbol> symbols = Readelf.parseDynamicSymbols(text);
        assertEquals(new DynamicSymbol("strtoll", "GLIBC_2.17", false, "FUNC", "GLOBAL", "DEFAULT [<localentry>: 8]",
                "UND"), symbols.get(1));
        assertEquals("big_table@@NODE_1", symbols.get(2).versioned());
    }

    @Test
    void parsesProgramHeadersWiderThanTheirColumns() {
        String text = """
                Program Headers:
                  Type           Offset   VirtAddr           PhysAddr           FileSiz  MemSiz   Flg Align
                  LOAD           0x5b646f8 0x0000000015b746f8 0x0000000015b746f8 0x1084d8 0x131d88 RW  0x10000
                """;
        assertEquals(List.of(new Segment("LOAD", 0x5b646f8L, 0x15b746f8L, 0x15b746f8L, 0x1084d8L, 0x131d88L, "RW",
                0x10000L)), Readelf.parseProgramHeaders(text).segments());
    }

    @Test
    void neededVersionHashIsTheElfHashOfItsName() {
        assertEquals(0x09691a75L, new NeededVersion("GLIBC_2.2.5", "none", 2).hash());
    }
}
