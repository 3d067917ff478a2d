package dev.elfmend.fixup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.resolve.ResolveConfig;
import dev.elfmend.resolve.Resolver;
import dev.elfmend.store.LibraryIndex;
import dev.elfmend.store.StoreScanner;
import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.NixRoot;
import dev.elfmend.testing.Readelf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fix pipeline on files in a root with a real store: what is found, what is recorded, what is left. */
class FixerTest {

    @TempDir
    Path dir;

    NixRoot nix;
    Resolver resolver;

    @BeforeEach
    void store() throws IOException {
        nix = NixRoot.create(dir.resolve("nix"));
        resolver = resolver(nix);
        Files.createDirectories(nix.host("/opt/elfmend-fixture/lib"));
    }

    /** A resolver against the root's store, freshly indexed, with default preferences. */
    static Resolver resolver(NixRoot nix) throws IOException {
        LibraryIndex index = new StoreScanner(nix.root(), NixRoot.STORE_DIR)
                .refresh(LibraryIndex.empty(NixRoot.STORE_DIR)).index();
        return new Resolver(index, new FsRootLookup(nix.root()), ResolveConfig.defaults());
    }

    private Fixer fixer(Journal journal, boolean dryRun) {
        return new Fixer(nix.root(), NixRoot.STORE_DIR, resolver, null, Fixer.Target.NIX, dryRun, journal);
    }

    private Map<String, Fixer.Outcome> outcomes(List<Fixer.FileResult> results) {
        Map<String, Fixer.Outcome> out = new TreeMap<>();
        results.forEach(r -> out.put(r.pathInRoot(), r.outcome()));
        return out;
    }

    @Test
    void elfFilesAreFoundByContentWithoutFollowingLinksOrEnteringTheTempArea() throws IOException {
        Path tree = Files.createDirectories(nix.host("/opt/tree"));
        Path hello = Fixtures.compile("hello", Fixtures.Variant.PIE);
        nix.install(hello, "/opt/tree/README");
        nix.install(hello, "/opt/tree/sub/deeper/tool.bin");
        Files.writeString(tree.resolve("libfake.so.1"), "INPUT(-lc)\n");
        Files.write(tree.resolve("tiny"), new byte[] {0x7f, 'E', 'L', 'F'});
        Files.createSymbolicLink(tree.resolve("link-to-elf"), Path.of("README"));
        nix.install(hello, "/opt/tree/" + ElfFiles.TEMP_DIR + "/leftover");

        List<Fixer.FileResult> results = fixer(new Journal(), true).run(List.of(tree), new Fixer.Listener() { });

        assertEquals(Map.of("/opt/tree/README", Fixer.Outcome.WOULD_PATCH,
                "/opt/tree/sub/deeper/tool.bin", Fixer.Outcome.WOULD_PATCH), outcomes(results));
    }

    @Test
    void aDryRunRecordsNothingAndARealRunRecordsTheOriginals() throws IOException {
        Path file = nix.install(Fixtures.compile("hello", Fixtures.Variant.RUNPATH), "/opt/app/tool");
        Journal journal = new Journal();

        fixer(journal, true).run(List.of(file), new Fixer.Listener() { });
        assertTrue(journal.entries().isEmpty());

        List<Fixer.FileResult> results = fixer(journal, false).run(List.of(file), new Fixer.Listener() { });

        assertEquals(Fixer.Outcome.PATCHED, results.getFirst().outcome());
        Journal.Entry e = journal.get("/opt/app/tool");
        assertEquals("/lib64/ld-linux-x86-64.so.2", e.interpreter());
        assertEquals(Fixtures.SEARCH_PATH, e.runPath());
        assertNull(e.rPath());
        assertEquals(List.of("libc.so.6"), e.needed());
        assertEquals(Readelf.programHeaders(file).interpreter().orElseThrow(), e.patchedInterpreter());
        assertEquals(Readelf.dynamic(file).runpath().orElseThrow(), e.patchedRunPath());
        assertEquals(Set.of(nix.glibc()), e.storePaths());
        assertFalse(Files.exists(nix.host("/opt/app/" + ElfFiles.TEMP_DIR)), "the temp area is removed");
    }

    @Test
    void aNewFileAtAPatchedPathIsJournalledWithItsOwnOriginals() throws IOException {
        // An update replaces a patched tool with a new download at the same path; undo must restore the
        // new file's originals, not the old file's.
        Path file = nix.install(Fixtures.compile("hello", Fixtures.Variant.RUNPATH), "/opt/app/tool");
        Journal journal = new Journal();
        fixer(journal, false).run(List.of(file), new Fixer.Listener() { });
        Files.copy(Fixtures.compile("hello", Fixtures.Variant.RPATH), file, StandardCopyOption.REPLACE_EXISTING);

        fixer(journal, false).run(List.of(file), new Fixer.Listener() { });

        Journal.Entry e = journal.get("/opt/app/tool");
        assertNull(e.runPath());
        assertEquals(Fixtures.SEARCH_PATH, e.rPath());
        new Undoer(nix.root(), journal).undo(List.of(file));
        assertEquals(Optional.of(Fixtures.SEARCH_PATH), Readelf.dynamic(file).rpath());
        assertEquals(Optional.empty(), Readelf.dynamic(file).runpath());
    }

    @Test
    void storePathsOfFilesThatAreGoneAreNoLongerLive() throws IOException {
        Path kept = nix.install(Fixtures.compile("hello", Fixtures.Variant.PIE), "/opt/app/kept");
        Path gone = nix.install(Fixtures.compile("hello", Fixtures.Variant.PIE), "/opt/app/gone");
        Journal journal = new Journal();
        Fixer fixer = fixer(journal, false);
        fixer.run(List.of(kept.getParent()), new Fixer.Listener() { });
        Files.delete(gone);

        assertEquals(Set.of(nix.glibc()), fixer.liveStorePaths());
        assertEquals(List.of("/opt/app/kept"), journal.entries().stream().map(Journal.Entry::path).toList());
        Files.delete(kept);
        assertEquals(Set.of(), fixer.liveStorePaths());
    }
}
