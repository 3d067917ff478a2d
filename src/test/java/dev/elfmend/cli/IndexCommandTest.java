package dev.elfmend.cli;

import static dev.elfmend.cli.FixCommandTest.inRoot;
import static dev.elfmend.cli.FixCommandTest.list;
import static dev.elfmend.cli.FixCommandTest.object;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.store.StorePath;
import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.NixRoot;
import dev.elfmend.testing.Readelf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code elfmend index}: the summary of a real store's library index, and looking a library up in it. */
class IndexCommandTest {

    @TempDir
    Path dir;

    private Path cache() {
        return dir.resolve("cache");
    }

    @Test
    void jsonSummarySaysWhatWasScannedAndThatANextRunReusesIt() throws IOException {
        NixRoot nix = NixRoot.create(dir.resolve("nix"));

        CliRun first = inRoot(nix, cache(), "index", "--json");
        CliRun second = inRoot(nix, cache(), "index", "--json");
        nix.addPackage("greet-1.0", Map.of("lib/libgreet.so.1", Fixtures.compile("greet", Fixtures.Variant.SHARED)),
                null);
        CliRun third = inRoot(nix, cache(), "index", "--json");

        assertEquals(0, first.exit(), first.toString());
        Map<String, Object> a = object(JsonParser.parse(first.out()));
        assertEquals("/nix/store", a.get("storeDir"));
        assertEquals(2L, a.get("storePaths"));
        assertEquals((long) (NixRoot.GLIBC_FILES.size() + NixRoot.GCC_FILES.size()), a.get("libraries"));
        assertEquals(2L, a.get("added"));
        assertEquals(false, a.get("unchanged"));
        assertEquals("database", a.get("source"));
        assertTrue(Files.isRegularFile(Path.of((String) a.get("cache"))), "cache written: " + a.get("cache"));
        assertTrue(Path.of((String) a.get("cache")).startsWith(cache()));

        Map<String, Object> b = object(JsonParser.parse(second.out()));
        assertEquals(true, b.get("unchanged"));
        assertEquals(0L, b.get("added"));

        Map<String, Object> c = object(JsonParser.parse(third.out()));
        assertEquals(1L, c.get("added"));
        assertEquals(0L, c.get("removed"));
        assertEquals(3L, c.get("storePaths"));
    }

    @Test
    void textSummaryNamesTheSourceOfValidPaths() throws IOException {
        NixRoot nix = NixRoot.create(dir.resolve("nix"));

        CliRun db = inRoot(nix, cache(), "index");
        Files.delete(nix.host("/nix/var/nix/db/db.sqlite"));
        CliRun listing = inRoot(nix, cache(), "index", "--rebuild");

        assertEquals(0, db.exit(), db.toString());
        assertTrue(db.out().startsWith("/nix/store: 2 store paths, " + (NixRoot.GLIBC_FILES.size()
                + NixRoot.GCC_FILES.size()) + " libraries (valid paths from the store database; refreshed, 2 new, 0 gone)"),
                db.out());
        assertTrue(listing.out().contains("valid paths from the directory listing"), listing.out());
    }

    @Test
    void theNewestVersionOfEachFamilyIsFoundWhateverTheDefinitionOrder() {
        assertEquals(List.of("GLIBCXX_3.4.30", "CXXABI_1.3.13", "CXXABI_TM_1"), IndexCommand.newestPerFamily(
                List.of("GLIBCXX_3.4", "GLIBCXX_3.4.30", "GLIBCXX_3.4.9", "CXXABI_1.3.13", "CXXABI_1.3.2",
                        "CXXABI_TM_1", "CXXABI_FLOAT128")));
        assertEquals(List.of("GLIBC_2.36"), IndexCommand.newestPerFamily(List.of("GLIBC_2.2.5", "GLIBC_2.36",
                "GLIBC_2.4", "GLIBC_PRIVATE")));
        assertEquals(List.of(), IndexCommand.newestPerFamily(List.of("GLIBC_PRIVATE")));
    }

    @Test
    void findListsEveryLibraryWithThatNameAndWhatItIs() throws IOException {
        NixRoot nix = NixRoot.create(dir.resolve("nix"));
        String greet32 = nix.addPackage("greet32-1.0", Map.of("lib/libgreet.so.1",
                Fixtures.compile("greet", Fixtures.Variant.SHARED_32)), null);
        String greet = nix.addPackage("greet-1.0", Map.of("lib/libgreet.so.1",
                Fixtures.compile("greet", Fixtures.Variant.SHARED)), null);

        CliRun text = inRoot(nix, cache(), "index", "--find", "libstdc++.so.6");
        CliRun json = inRoot(nix, cache(), "index", "--find", "libgreet.so.1", "--json");
        CliRun none = inRoot(nix, cache(), "index", "--find", "libnothere.so.1");

        assertEquals(0, text.exit(), text.toString());
        String stdcxx = NixRoot.inStore(nix.gccLib()) + "/lib/libstdc++.so.6";
        assertTrue(text.out().startsWith(stdcxx + "  ("), text.out());
        assertEquals(1, text.out().lines().count(), text.out());
        String newestGlibcxx = Readelf.versionDefinitions(nix.host(stdcxx)).stream()
                .map(Readelf.VersionDefinition::name).filter(n -> n.matches("GLIBCXX_[0-9.]+"))
                .max((x, y) -> StorePath.compareVersions(x.substring(8), y.substring(8))).orElseThrow();
        assertTrue(text.out().contains("newest " + newestGlibcxx + ", CXXABI_1.3."),
                "the newest of each version family is named: " + text.out());

        assertEquals(0, json.exit(), json.toString());
        List<Object> rows = list(JsonParser.parse(json.out()));
        assertEquals(2, rows.size());
        Map<String, Object> x86 = rows.stream().map(FixCommandTest::object)
                .filter(r -> r.get("storePath").equals(greet)).findFirst().orElseThrow();
        assertEquals(NixRoot.inStore(greet) + "/lib/libgreet.so.1", x86.get("path"));
        assertEquals("libgreet.so.1", x86.get("soname"));
        assertEquals("ELF64", x86.get("class"));
        assertEquals("little", x86.get("endian"));
        assertEquals("x86_64", x86.get("machine"));
        Map<String, Object> i386 = rows.stream().map(FixCommandTest::object)
                .filter(r -> r.get("storePath").equals(greet32)).findFirst().orElseThrow();
        assertEquals("ELF32", i386.get("class"));
        assertEquals("i386", i386.get("machine"));

        assertEquals(1, none.exit(), none.toString());
        assertFalse(none.out().contains("/nix/store"));
    }
}
