package dev.elfmend.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.NixRoot;
import dev.elfmend.testing.Readelf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The index of a real Nix store (made with nix-store --add): what is found, from where, and what a refresh costs. */
class StoreScannerTest {

    @TempDir
    static Path shared;

    /** A store only read by the tests here: glibc, gcc runtime, a 32-bit library, a package with odd files. */
    static NixRoot nix;
    static String greet32;
    static String odd;

    @BeforeAll
    static void buildStore() throws IOException {
        nix = NixRoot.create(shared);
        greet32 = nix.addPackage("greet32-1.0", Map.of("lib/libgreet.so.1",
                Fixtures.compile("greet", Fixtures.Variant.SHARED_32)), null);
        // A package with a library in a subdirectory and in lib64, a soname symlink, a text file named
        // like a library and an executable: only the shared objects count.
        Path dir = Files.createDirectories(shared.resolve("odd").resolve("odd-2.0"));
        Path ver = Fixtures.versionedLibrary();
        Files.createDirectories(dir.resolve("lib/engines"));
        Files.createDirectories(dir.resolve("lib64"));
        Files.createDirectories(dir.resolve("bin"));
        Files.copy(ver, dir.resolve("lib/libver.so.1"));
        Files.createSymbolicLink(dir.resolve("lib/libver.so"), Path.of("libver.so.1"));
        Files.copy(Fixtures.compile("greet", Fixtures.Variant.SHARED), dir.resolve("lib/engines/libgreet.so.1"));
        Files.copy(Fixtures.compile("greet", Fixtures.Variant.SHARED), dir.resolve("lib64/libgreet64.so.1"));
        Files.writeString(dir.resolve("lib/libnotelf.so.1"), "INPUT(-lver)\n");
        Files.copy(Fixtures.compile("hello", Fixtures.Variant.NO_PIE), dir.resolve("lib/hello.so.exe"));
        Files.copy(Fixtures.compile("hello", Fixtures.Variant.NO_PIE), dir.resolve("bin/libinbin.so.1"));
        odd = nix.addDirectory(dir);
    }

    private static StoreScanner.Refresh scan(NixRoot root) throws IOException {
        return new StoreScanner(root.root(), NixRoot.STORE_DIR).refresh(LibraryIndex.empty(NixRoot.STORE_DIR));
    }

    @Test
    void everyLibraryIsIndexedWithWhatReadelfSaysAboutIt() throws IOException {
        LibraryIndex index = scan(nix).index();

        assertEquals(Set.copyOf(nix.listStore()), index.byStorePath().keySet());
        Set<String> glibcNames = new TreeSet<>();
        index.librariesIn(nix.glibc()).forEach(l -> glibcNames.add(l.fileName()));
        assertEquals(new TreeSet<>(NixRoot.GLIBC_FILES), glibcNames);
        Set<String> gccNames = new TreeSet<>();
        index.librariesIn(nix.gccLib()).forEach(l -> gccNames.add(l.fileName()));
        assertEquals(new TreeSet<>(NixRoot.GCC_FILES), gccNames);

        int compared = 0;
        for (String base : List.of(nix.glibc(), nix.gccLib(), greet32, odd)) {
            for (StoreLibrary lib : index.librariesIn(base)) {
                Path file = nix.host(lib.path());
                Readelf.Header h = Readelf.header(file);
                Readelf.Dynamic d = Readelf.dynamic(file);
                String what = lib.path();
                assertEquals(base, lib.storePath(), what);
                assertEquals(h.elfClass().equals("ELF64") ? 2 : 1, lib.elfClass(), what);
                assertEquals(!h.littleEndian(), lib.bigEndian(), what);
                assertEquals(h.machine().contains("X86-64") ? 62 : h.machine().contains("80386") ? 3 : -1,
                        lib.machine(), what);
                assertEquals(d.soname().orElse(null), lib.soname(), what);
                assertEquals(d.needed(), lib.needed(), what);
                assertEquals(d.runpath().or(d::rpath).orElse(null), lib.runPath(), what);
                List<String> defs = Readelf.versionDefinitions(file).stream()
                        .filter(v -> !v.flags().contains("BASE")).map(Readelf.VersionDefinition::name).toList();
                assertEquals(defs, lib.versionDefinitions(), what);
                List<String> required = Readelf.versionNeeds(file).stream()
                        .flatMap(n -> n.names().stream().map(v -> n.file() + ":" + v)).toList();
                assertEquals(required, lib.requiredVersions(), what);
                compared++;
            }
        }
        assertTrue(compared >= 13, "compared " + compared + " libraries");

        StoreLibrary libc = index.candidates("libc.so.6").getFirst();
        assertTrue(libc.defines("GLIBC_2.34"), "host glibc defines GLIBC_2.34: " + libc.versionDefinitions());
        StoreLibrary stdcxx = index.librariesIn(nix.gccLib()).stream()
                .filter(l -> l.fileName().equals("libstdc++.so.6")).findFirst().orElseThrow();
        assertTrue(stdcxx.defines("GLIBCXX_3.4.30"), stdcxx.versionDefinitions().toString());
        assertEquals("$ORIGIN:/nix/store/" + nix.glibc() + "/lib", stdcxx.runPath());
        StoreLibrary greet = index.librariesIn(greet32).getFirst();
        assertEquals(1, greet.elfClass());
        assertEquals(3, greet.machine());
    }

    @Test
    void onlySharedObjectsInLibraryDirectoriesCountUnderEveryNameTheLoaderWouldUse() throws IOException {
        LibraryIndex index = scan(nix).index();
        Set<String> paths = new TreeSet<>();
        index.librariesIn(odd).forEach(l -> paths.add(l.path()));
        String base = NixRoot.inStore(odd);

        assertEquals(new TreeSet<>(List.of(base + "/lib/libver.so.1", base + "/lib/libver.so",
                base + "/lib/engines/libgreet.so.1", base + "/lib64/libgreet64.so.1")), paths);
        StoreLibrary viaLink = index.candidates("libver.so").getFirst();
        assertEquals("libver.so.1", viaLink.soname());
        assertEquals(List.of("LIBVER_1.0", "LIBVER_2.0"), viaLink.versionDefinitions());
        assertTrue(index.candidates("libnotelf.so.1").isEmpty());
        assertTrue(index.candidates("libinbin.so.1").isEmpty());
    }

    @Test
    void validPathsComeFromTheStoreDatabaseNotFromWhatLiesInTheDirectory(@TempDir Path dir) throws IOException {
        NixRoot root = NixRoot.create(dir);
        String handMade = handMadeStorePath(root);

        StoreScanner.Refresh r = scan(root);

        assertEquals(ValidPaths.Source.DATABASE, r.index().stamp().source());
        assertFalse(r.index().contains(handMade), "a directory nix never registered is not indexed");
        assertTrue(r.index().candidates("libgreet.so.1").isEmpty());
        assertEquals(Set.of(root.glibc(), root.gccLib()), r.index().byStorePath().keySet());
    }

    @Test
    void withoutTheDatabaseTheDirectoryListingIsUsed(@TempDir Path dir) throws IOException {
        NixRoot root = NixRoot.create(dir);
        String handMade = handMadeStorePath(root);
        Files.delete(root.host("/nix/var/nix/db/db.sqlite"));

        StoreScanner.Refresh r = scan(root);

        assertEquals(ValidPaths.Source.LISTING, r.index().stamp().source());
        assertTrue(r.index().contains(handMade));
        assertTrue(r.index().contains(root.glibc()));
        assertEquals(1, r.index().candidates("libgreet.so.1").size());
    }

    @Test
    void anUnreadableDatabaseFallsBackToTheListing(@TempDir Path dir) throws IOException {
        NixRoot root = NixRoot.create(dir);
        Files.writeString(root.host("/nix/var/nix/db/db.sqlite"), "this is not an SQLite database\n".repeat(200));

        StoreScanner.Refresh r = scan(root);

        assertEquals(ValidPaths.Source.LISTING, r.index().stamp().source());
        assertEquals(Set.of(root.glibc(), root.gccLib()), r.index().byStorePath().keySet());
        assertEquals(1, r.index().candidates("libc.so.6").size());
    }

    @Test
    void aRefreshScansOnlyNewPathsAndDropsCollectedOnes(@TempDir Path dir) throws IOException {
        NixRoot root = NixRoot.create(dir);
        StoreScanner scanner = new StoreScanner(root.root(), NixRoot.STORE_DIR);
        StoreScanner.Refresh first = scanner.refresh(LibraryIndex.empty(NixRoot.STORE_DIR));
        assertEquals(2, first.added());

        StoreScanner.Refresh same = scanner.refresh(first.index());
        assertTrue(same.unchanged());
        assertSame(first.index(), same.index());

        String greet = root.addPackage("greet-1.0", Map.of("lib/libgreet.so.1",
                Fixtures.compile("greet", Fixtures.Variant.SHARED)), null);
        StoreScanner.Refresh added = scanner.refresh(first.index());
        assertFalse(added.unchanged());
        assertEquals(1, added.added());
        assertEquals(0, added.removed());
        assertEquals(1, added.index().candidates("libgreet.so.1").size());
        // Store paths never change: what the previous index knew is taken over, not read again.
        assertSame(first.index().librariesIn(root.glibc()), added.index().librariesIn(root.glibc()));
        assertSame(first.index().librariesIn(root.gccLib()), added.index().librariesIn(root.gccLib()));

        Files.createSymbolicLink(Files.createDirectories(root.host("/nix/var/nix/gcroots/test")).resolve("glibc"),
                Path.of(NixRoot.inStore(root.glibc())));
        root.gc();
        assertFalse(root.exists(greet));
        assertFalse(root.exists(root.gccLib()));

        StoreScanner.Refresh collected = scanner.refresh(added.index());
        assertEquals(0, collected.added());
        assertEquals(2, collected.removed());
        assertEquals(Set.of(root.glibc()), collected.index().byStorePath().keySet());
        assertTrue(collected.index().candidates("libgreet.so.1").isEmpty());
        assertTrue(collected.index().candidates("libstdc++.so.6").isEmpty());
    }

    @Test
    void aPathRegisteredAfterItsDirectoryAppearedIsPickedUp(@TempDir Path dir) throws Exception {
        // Nix creates a path's directory first and registers it afterwards; a refresh in between must not
        // leave the index blind to it for good (the database changes, the store directory does not).
        NixRoot root = NixRoot.create(dir);
        StoreScanner scanner = new StoreScanner(root.root(), NixRoot.STORE_DIR);
        String handMade = handMadeStorePath(root);
        StoreScanner.Refresh before = scanner.refresh(LibraryIndex.empty(NixRoot.STORE_DIR));
        assertFalse(before.index().contains(handMade));

        Path db = root.host("/nix/var/nix/db/db.sqlite");
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
             var s = c.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            s.execute("PRAGMA wal_autocheckpoint=0");
            s.executeUpdate("INSERT INTO ValidPaths (path, hash, registrationTime, narSize) VALUES ('"
                    + NixRoot.inStore(handMade) + "', 'sha256:" + "0".repeat(52) + "', 1, 1)");
            // The connection stays open, as the nix daemon's does: the change sits in the WAL file.
            StoreScanner.Refresh after = scanner.refresh(before.index());
            assertTrue(after.index().contains(handMade), "registered path missing: " + after);
            assertEquals(1, after.added());
        }
    }

    /** A directory in the store, with a library, that Nix knows nothing about. */
    private static String handMadeStorePath(NixRoot root) throws IOException {
        String base = "0123456789abcdfghijklmnpqrsvwxyz-handmade-1.0";
        Path lib = Files.createDirectories(root.storePath(base).resolve("lib"));
        Files.copy(Fixtures.compile("greet", Fixtures.Variant.SHARED), lib.resolve("libgreet.so.1"));
        assertNotNull(new StorePath(base));
        return base;
    }
}
