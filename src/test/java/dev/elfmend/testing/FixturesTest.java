package dev.elfmend.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.Fixtures.Variant;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FixturesTest {

    @ParameterizedTest
    @EnumSource(value = Variant.class, names = {"SHARED", "SHARED_32"}, mode = EnumSource.Mode.EXCLUDE)
    void everyExecutableVariantRuns(Variant variant) {
        Processes.Result result = Processes.runOk(Fixtures.compile("hello", variant).toString());
        assertEquals(Fixtures.HELLO_OUTPUT, result.out());
    }

    @ParameterizedTest
    @EnumSource(value = Variant.class, names = {"SHARED", "SHARED_32"})
    void sharedVariantsCarryTheirSoname(Variant variant) {
        Path library = Fixtures.compile("greet", variant);
        assertEquals("libgreet.so.1", library.getFileName().toString());
        assertEquals(Optional.of("libgreet.so.1"), Readelf.dynamic(library).soname());
        assertEquals(variant.is32Bit() ? "ELF32" : "ELF64", Readelf.header(library).elfClass());
    }

    @Test
    void pieIsDynAndNoPieIsExec() {
        assertEquals("DYN", Readelf.header(Fixtures.compile("hello", Variant.PIE)).type());
        assertEquals("EXEC", Readelf.header(Fixtures.compile("hello", Variant.NO_PIE)).type());
        assertEquals("DYN", Readelf.header(Fixtures.compile("hello", Variant.PIE_32)).type());
        assertEquals("EXEC", Readelf.header(Fixtures.compile("hello", Variant.NO_PIE_32)).type());
    }

    @Test
    void runpathAndRpathVariantsCarryOnlyTheirOwnTag() {
        Readelf.Dynamic runpath = Readelf.dynamic(Fixtures.compile("hello", Variant.RUNPATH));
        assertEquals(Optional.of(Fixtures.SEARCH_PATH), runpath.runpath());
        assertEquals(Optional.empty(), runpath.rpath());
        Readelf.Dynamic rpath = Readelf.dynamic(Fixtures.compile("hello", Variant.RPATH));
        assertEquals(Optional.of(Fixtures.SEARCH_PATH), rpath.rpath());
        assertEquals(Optional.empty(), rpath.runpath());
    }

    @Test
    void separateCodeSplitsTheLoadSegments() {
        int separate = Readelf.programHeaders(Fixtures.compile("hello", Variant.SEPARATE_CODE)).ofType("LOAD").size();
        int together = Readelf.programHeaders(Fixtures.compile("hello", Variant.NOSEPARATE_CODE)).ofType("LOAD").size();
        assertEquals(4, separate);
        assertEquals(2, together);
    }

    @Test
    void staticVariantsHaveNoInterpreter() {
        Path executable = Fixtures.compile("hello", Variant.STATIC);
        assertEquals("EXEC", Readelf.header(executable).type());
        assertEquals(Optional.empty(), Readelf.programHeaders(executable).interpreter());
        Path staticPie = Fixtures.compile("hello", Variant.STATIC_PIE);
        assertEquals("DYN", Readelf.header(staticPie).type());
        assertEquals(Optional.empty(), Readelf.programHeaders(staticPie).interpreter());
        assertEquals(List.of(), Readelf.dynamic(staticPie).needed());
    }

    @Test
    void chainRunsOnlyWhenBothLibrariesAreFound() {
        Fixtures.Chain chain = Fixtures.chain();
        Processes.Result found = Processes.command(chain.executable().toString())
                .env("LD_LIBRARY_PATH", chain.directory().toString()).runOk();
        assertEquals(Fixtures.Chain.OUTPUT, found.out());
        Processes.Result missing = Processes.command(chain.executable().toString())
                .env("LD_LIBRARY_PATH", "").run();
        assertNotEquals(0, missing.exit());
        assertTrue(missing.err().contains("libfoo.so.1"), missing.err());
    }

    @Test
    void versionedUserRunsAgainstItsLibrary() {
        Path user = Fixtures.versionedUser();
        Processes.Result result = Processes.command(user.toString())
                .env("LD_LIBRARY_PATH", user.getParent().toString()).runOk();
        assertEquals("ver=23\n", result.out());
    }

    @Test
    void glibcVersionedExecutableRuns() {
        assertEquals("sigmask ok\n", Processes.runOk(Fixtures.glibcVersioned().toString()).out());
    }

    @Test
    void standardFixturesExistWithUniqueNames() {
        List<Fixtures.Fixture> fixtures = Fixtures.standard();
        assertTrue(fixtures.size() >= 15, fixtures.toString());
        assertEquals(fixtures.size(), fixtures.stream().map(Fixtures.Fixture::name).distinct().count());
        fixtures.forEach(f -> assertTrue(Files.isRegularFile(f.path()), f.name()));
    }

    @Test
    void anUpToDateFixtureIsNotRebuilt() throws Exception {
        Path first = Fixtures.compile("hello", Variant.PIE);
        FileTime built = Files.getLastModifiedTime(first);
        Path second = Fixtures.compile("hello", Variant.PIE);
        assertEquals(first, second);
        assertEquals(built, Files.getLastModifiedTime(second));
    }
}
