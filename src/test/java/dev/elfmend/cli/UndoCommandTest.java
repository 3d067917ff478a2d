package dev.elfmend.cli;

import static dev.elfmend.cli.FixCommandTest.gcRoots;
import static dev.elfmend.cli.FixCommandTest.inRoot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.fixup.Journal;
import dev.elfmend.testing.Fixtures;
import dev.elfmend.testing.NixRoot;
import dev.elfmend.testing.Processes;
import dev.elfmend.testing.Readelf;
import dev.elfmend.testing.RegistryBinaries;
import dev.elfmend.testing.Requirements;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GC roots and {@code elfmend undo} against a real store: what patched files use survives
 * {@code nix-store --gc}; after undo the originals are back and the store paths can be collected.
 */
class UndoCommandTest {

    @TempDir
    Path dir;

    private Path cache() {
        return dir.resolve("cache");
    }

    /** What readelf says about a file's loading: interpreter, needs, run path and rpath. */
    private static List<Object> loading(Path file) {
        Readelf.Dynamic d = Readelf.dynamic(file);
        return List.of(Readelf.programHeaders(file).interpreter(), d.needed(), d.runpath(), d.rpath());
    }

    @Test
    void gcKeepsWhatPatchedFilesUseAndCollectsItAfterUndo() throws IOException {
        Requirements.requireRoot();
        NixRoot nix = NixRoot.create(dir.resolve("nix"));
        NixRoot.VscodeServer vscode = nix.installVscodeServer(false);
        String unrelated = nix.addPackage("unrelated-1.0", Map.of("lib/libunrelated.so.1",
                Fixtures.compile("greet", Fixtures.Variant.SHARED)), null);
        Fixtures.Chain chain = Fixtures.chain();
        String bar = nix.addPackage("bar-1.0", Map.of("lib/libbar.so.1", chain.libbar()), null);
        String foo = nix.addPackage("foo-1.0", Map.of("lib/libfoo.so.1", chain.libfoo()),
                NixRoot.inStore(bar) + "/lib");
        nix.install(chain.executable(), "/opt/app/chain");
        Path tree = nix.host(vscode.tree());
        Path app = nix.host("/opt/app");
        List<Object> nodeBefore = loading(nix.host(vscode.node()));
        List<Object> watcherBefore = loading(nix.host(vscode.watcher()));
        List<Object> chainBefore = loading(nix.host("/opt/app/chain"));

        CliRun fix = inRoot(nix, cache(), "fix", tree.toString(), app.toString());
        assertEquals(0, fix.exit(), fix.toString());
        assertEquals(Set.of(nix.glibc(), nix.gccLib(), foo, bar), gcRoots(nix), "bar: libfoo loads it");
        CliRun again = inRoot(nix, cache(), "fix", tree.toString(), app.toString());
        assertTrue(again.out().contains("0 GC roots added, 0 removed"), "a second fix keeps every root: " + again);

        nix.gc();

        assertFalse(nix.exists(unrelated), "an unrelated path is collected");
        for (String kept : List.of(nix.glibc(), nix.gccLib(), foo, bar)) {
            assertTrue(nix.exists(kept), kept + " is used by a patched file and survives");
        }
        Processes.Result node = nix.chroot(vscode.node(), "--version");
        assertEquals(0, node.exit(), node.toString());
        assertEquals(Fixtures.Chain.OUTPUT, nix.chroot("/opt/app/chain").out());

        CliRun undo = inRoot(nix, cache(), "undo", tree.toString(), app.toString());

        assertEquals(0, undo.exit(), undo.toString());
        assertTrue(undo.out().contains("3 files restored; 4 GC roots released"), undo.out());
        assertEquals(Set.of(), gcRoots(nix));
        assertEquals(nodeBefore, loading(nix.host(vscode.node())));
        assertEquals(Optional.of("/lib64/ld-linux-x86-64.so.2"), Readelf.programHeaders(nix.host(vscode.node()))
                .interpreter());
        assertEquals(Optional.empty(), Readelf.dynamic(nix.host(vscode.node())).runpath());
        assertEquals(watcherBefore, loading(nix.host(vscode.watcher())));
        assertEquals(chainBefore, loading(nix.host("/opt/app/chain")));
        assertTrue(Journal.load(nix.host("/var/lib/elfmend/journal")).entries().isEmpty());
        String version = Processes.runOk(RegistryBinaries.nodeLinux("x64").toString(), "--version").out();
        assertEquals(version, Processes.runOk(nix.host(vscode.node()).toString(), "--version").out(),
                "the restored node runs on this (FHS) host again");

        nix.gc();

        for (String gone : List.of(nix.glibc(), nix.gccLib(), foo, bar)) {
            assertFalse(nix.exists(gone), gone + " is collected once nothing patched needs it");
        }
    }

    @Test
    void undoRestoresAnRpathAsAnRpath() throws IOException {
        NixRoot nix = NixRoot.create(dir.resolve("nix"));
        Path file = nix.install(Fixtures.compile("hello", Fixtures.Variant.RPATH), "/opt/app/hello");
        Files.createDirectories(nix.host("/opt/elfmend-fixture/lib"));
        List<Object> before = loading(file);
        assertTrue(Readelf.dynamic(file).rpath().isPresent(), "fixture premise: DT_RPATH");

        assertEquals(0, inRoot(nix, cache(), "fix", file.toString()).exit());
        assertFalse(before.equals(loading(file)));
        CliRun undo = inRoot(nix, cache(), "undo", file.toString());

        assertEquals(0, undo.exit(), undo.toString());
        assertEquals(before, loading(file));
        assertEquals(Optional.of(Fixtures.SEARCH_PATH), Readelf.dynamic(file).rpath());
        assertEquals(Optional.empty(), Readelf.dynamic(file).runpath());
    }

    @Test
    void aFileChangedSinceElfmendPatchedItIsLeftAlone() throws IOException {
        NixRoot nix = NixRoot.create(dir.resolve("nix"));
        Path file = nix.install(Fixtures.compile("hello", Fixtures.Variant.PIE), "/opt/app/hello");
        Path gone = nix.install(Fixtures.compile("hello", Fixtures.Variant.PIE), "/opt/app/gone");
        assertEquals(0, inRoot(nix, cache(), "fix", nix.host("/opt/app").toString()).exit());
        Processes.runOk("patchelf", "--set-rpath", "/somewhere/else", file.toString());
        Files.delete(gone);
        List<Object> edited = loading(file);

        CliRun undo = inRoot(nix, cache(), "undo", nix.host("/opt/app").toString());

        assertEquals(1, undo.exit(), undo.toString());
        assertTrue(undo.out().contains("not restored " + file + ": changed since elfmend patched it; left as it is"),
                undo.out());
        assertTrue(undo.out().contains("not restored " + gone + ": no longer exists; forgotten"), undo.out());
        assertEquals(edited, loading(file), "someone else's edit is not overwritten");
        Journal journal = Journal.load(nix.host("/var/lib/elfmend/journal"));
        assertEquals(Set.of("/opt/app/hello"), Set.copyOf(journal.entries().stream().map(Journal.Entry::path).toList()));
    }
}
